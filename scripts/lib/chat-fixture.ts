/**
 * "tinymix-chat": tinymix-math as a chat fine-tune would leave it, for tokenizer-merging tests
 * and demos. Two added special tokens, `<|im_start|>` (id 260) and `<|im_end|>` (id 261),
 * with embedding and head rows copied from its rows for "a" (97) and "</s>" (257), config
 * vocab_size 262, one safetensors file, and a ChatML template in tokenizer_config.json.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadModel } from '../../workers/io/load-model.ts';
import { blobModelSource } from '../../workers/io/memory.ts';
import { serializeSafetensors } from '../../workers/io/safetensors/layout.ts';
import type { DType } from '../../workers/io/dtypes.ts';
import { MODELS_DIR } from './golden.ts';

export const CHAT_TOKENS = ['<|im_start|>', '<|im_end|>'] as const;
export const CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const EMBEDS = ['model.embed_tokens.weight', 'lm_head.weight'];
const enc = new TextEncoder();
const dec = new TextDecoder();

/** The files of tinymix-chat, by name. */
export async function chatModelFiles(): Promise<Map<string, Uint8Array>> {
  const dir = path.join(MODELS_DIR, 'tinymix-math');
  const src = new Map<string, Uint8Array>();
  for (const f of await readdir(dir)) src.set(f, new Uint8Array(await readFile(path.join(dir, f))));
  const model = await loadModel(blobModelSource('tinymix-math', src));
  const tensors = [...model.tensors].map(([name, t]) => {
    let data = src.get(t.file)!.slice(t.begin, t.end);
    let shape = [...t.shape];
    if (EMBEDS.includes(name)) {
      const row = (data.byteLength / shape[0]!) | 0;
      const grown = new Uint8Array(data.byteLength + 2 * row);
      grown.set(data);
      grown.copyWithin(260 * row, 97 * row, 98 * row);
      grown.copyWithin(261 * row, 257 * row, 258 * row);
      data = grown;
      shape = [262, shape[1]!];
    }
    return { name, dtype: t.dtype as DType, shape, data };
  });
  const tok = JSON.parse(dec.decode(src.get('tokenizer.json'))) as { added_tokens: unknown[] };
  CHAT_TOKENS.forEach((content, i) =>
    tok.added_tokens.push({
      id: 260 + i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }),
  );
  const json = (f: string): Record<string, unknown> =>
    JSON.parse(dec.decode(src.get(f))) as Record<string, unknown>;
  const out = new Map<string, Uint8Array>();
  for (const [f, data] of src) if (!f.startsWith('model')) out.set(f, data);
  out.set('model.safetensors', serializeSafetensors(tensors));
  out.set('tokenizer.json', enc.encode(JSON.stringify(tok, null, 2)));
  out.set('config.json', enc.encode(JSON.stringify({ ...json('config.json'), vocab_size: 262 }, null, 2)));
  out.set(
    'tokenizer_config.json',
    enc.encode(JSON.stringify({ ...json('tokenizer_config.json'), chat_template: CHAT_TEMPLATE }, null, 2)),
  );
  out.set(
    'README.md',
    enc.encode('# tinymix-chat\n\ntinymix-math with two ChatML tokens added (a test fixture).\n'),
  );
  return out;
}

/** Writes tinymix-chat into `root/tinymix-chat`. */
export async function writeChatModel(root: string): Promise<void> {
  const dir = path.join(root, 'tinymix-chat');
  await mkdir(dir, { recursive: true });
  for (const [f, data] of await chatModelFiles()) await writeFile(path.join(dir, f), data);
}
