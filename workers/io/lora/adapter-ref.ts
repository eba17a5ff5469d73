/**
 * mergekit's `base+adapter` model references (mergekit/common.py, `ModelReference.parse`): the
 * text before the one `+` is the model, the text after it a PEFT LoRA adapter merged into it
 * first; each may carry its own `@revision`. The recipe's id stays the whole string everywhere
 * (plans, messages, the resume fingerprint); only the resolver splits it.
 */
import { SourceError } from '../source.ts';

export interface AdapterRef {
  readonly base: string;
  readonly adapter: string;
}

/** A model id's base and adapter parts, or undefined when it names no adapter (no `+`). */
export function splitAdapterRef(id: string): AdapterRef | undefined {
  if (!id.includes('+')) return undefined;
  const parts = id.split('+');
  // Validation refuses these before a merge; this is for callers that skipped it.
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new SourceError(
      `'${id}' is not a model reference: write base+adapter (org/model+org/lora-adapter)`,
    );
  }
  return { base: parts[0]!, adapter: parts[1]! };
}
