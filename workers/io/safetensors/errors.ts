/** Named errors for malformed safetensors input: each says which file, which tensor and what is wrong. */

export type SafetensorsProblem =
  | 'too-short'
  | 'header-too-large'
  | 'header-past-end'
  | 'bad-json'
  | 'bad-entry'
  | 'bad-dtype'
  | 'bad-shape'
  | 'size-mismatch'
  | 'hole'
  | 'overlap'
  | 'length-mismatch'
  | 'bad-metadata'
  | 'bad-index';

export class SafetensorsFormatError extends Error {
  override readonly name: string = 'SafetensorsFormatError';
  constructor(
    readonly file: string,
    readonly problem: SafetensorsProblem,
    detail: string,
    readonly tensor?: string,
  ) {
    super(`${file}${tensor ? `, tensor ${tensor}` : ''}: ${detail}`);
  }
}
