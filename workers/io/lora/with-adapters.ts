/**
 * A resolver that also understands mergekit's `base+adapter` ids: it resolves both parts with
 * the resolver it wraps (so a base on the Hub and an adapter in a local folder mix freely) and
 * returns the adapted model (./lora-source.ts). Every other id goes straight through.
 */
import type { ModelResolver } from '../source.ts';
import { splitAdapterRef } from './adapter-ref.ts';
import { LoraModelSource } from './lora-source.ts';
import { openAdapter } from './open-adapter.ts';

/** Resolvers that already return adapted models for `base+adapter` ids. */
const handlesAdapters = new WeakSet<ModelResolver>();

export function withAdapters(resolve: ModelResolver): ModelResolver {
  if (handlesAdapters.has(resolve)) return resolve;
  const wrapped: ModelResolver = async (id, signal) => {
    const ref = splitAdapterRef(id);
    if (!ref) return resolve(id, signal);
    const [base, adapterSource] = await Promise.all([
      resolve(ref.base, signal),
      resolve(ref.adapter, signal),
    ]);
    const adapter = await openAdapter(adapterSource, signal);
    return LoraModelSource.open(id, base, adapter, signal);
  };
  handlesAdapters.add(wrapped);
  return wrapped;
}

/**
 * Marks `resolve` as one that returns whole models for `base+adapter` ids itself (a cache of
 * models that were opened through withAdapters), so withAdapters leaves it as it is.
 */
export function resolvesAdapters(resolve: ModelResolver): ModelResolver {
  handlesAdapters.add(resolve);
  return resolve;
}
