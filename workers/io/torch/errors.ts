/** Malformed or unsupported PyTorch checkpoints (pytorch_model.bin): which file, what is wrong. */
export class TorchFormatError extends Error {
  override readonly name: string = 'TorchFormatError';
  constructor(
    readonly file: string,
    detail: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor ? `, tensor ${tensor}` : ''}: ${detail}`);
  }
}

/** What to do about a checkpoint we cannot read, appended to the messages that need it. */
export const CONVERT_HINT =
  'convert it to safetensors (transformers: save_pretrained(..., safe_serialization=True))';
