/**
 * Typed reads of config.json values, each refusing a value of the wrong kind by key and model
 * (a config.json written by hand or by another tool is the usual cause). A key that is absent
 * or null takes the fallback, as transformers' config classes do for their keyword defaults.
 */
import { UnsupportedModelError } from '../errors.ts';

export type Json = Readonly<Record<string, unknown>>;

function refuse(model: string, key: string, what: string, v: unknown): never {
  throw new UnsupportedModelError(
    `${model}/config.json: ${key} must be ${what} (found ${JSON.stringify(v)})`,
  );
}

/** A positive integer. */
export function int(config: Json, key: string, model: string, fallback?: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) refuse(model, key, 'a positive integer', v);
  return v;
}

/** An integer >= 0 (counts that may be zero: first_k_dense_replace, num_experts). */
export function count(config: Json, key: string, model: string, fallback: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) refuse(model, key, 'a whole number', v);
  return v;
}

/** A positive finite number. */
export function num(config: Json, key: string, model: string, fallback: number): number {
  const v = config[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) refuse(model, key, 'a positive number', v);
  return v;
}

export function bool(config: Json, key: string, model: string, fallback: boolean): boolean {
  const v = config[key] ?? fallback;
  if (typeof v !== 'boolean') refuse(model, key, 'true or false', v);
  return v;
}

/** A list of integers (layer indices). */
export function intList(config: Json, key: string, model: string): readonly number[] {
  const v = config[key] ?? [];
  if (!Array.isArray(v) || !v.every((x) => Number.isInteger(x))) refuse(model, key, 'a list of integers', v);
  return v as number[];
}
