/**
 * A tool's settings as text, for the page's link and "Recent recipes" (Extract LoRA's and
 * Transplant tokenizer's): JSON whose keys are the CLI's long option names, with the values
 * that are still the defaults left out (the keys in `always` are kept), so that a link stays
 * short and reads as the command it stands for. Text from a link is untrusted: every key and
 * value is checked, and anything else is refused with a reason rather than half-read.
 */

/** A value's kind: a string, number, boolean, list of strings, or one of the named strings. */
export type SettingKind = 'string' | 'number' | 'boolean' | 'list' | readonly string[];

/** One key of the text: its name (the CLI's option), the settings' field, and its kind. */
export type SettingKey<C> = readonly [key: string, field: keyof C & string, kind: SettingKind];

export interface SettingsCodec<C> {
  toText(c: C): string;
  /** Never throws. */
  parse(text: string): { config: C } | { problem: string };
}

function fits(v: unknown, kind: SettingKind): boolean {
  if (typeof kind !== 'string') return typeof v === 'string' && kind.includes(v);
  if (kind === 'list') return Array.isArray(v) && v.every((x) => typeof x === 'string');
  return kind === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === kind;
}

const describe = (kind: SettingKind): string =>
  typeof kind === 'string' ? `a ${kind}` : `one of ${kind.join(', ')}`;

const isDefault = (v: unknown, d: unknown, kind: SettingKind): boolean =>
  kind === 'list' ? (v as readonly unknown[]).length === 0 : v === d;

export function settingsCodec<C extends object>(
  keys: readonly SettingKey<C>[],
  defaults: C,
  always: readonly (keyof C)[],
): SettingsCodec<C> {
  return {
    toText(c) {
      const out: Record<string, unknown> = {};
      for (const [key, field, kind] of keys) {
        if (always.includes(field) || !isDefault(c[field], defaults[field], kind)) out[key] = c[field];
      }
      return JSON.stringify(out);
    },
    parse(text) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return { problem: 'the settings are not JSON' };
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return { problem: 'the settings are not a JSON object' };
      const config: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
      for (const [key, v] of Object.entries(value)) {
        const known = keys.find(([k]) => k === key);
        if (!known) return { problem: `unknown setting ${JSON.stringify(key).slice(0, 60)}` };
        if (!fits(v, known[2])) return { problem: `${key} is not ${describe(known[2])}` };
        config[known[1]] = v;
      }
      return { config: config as unknown as C };
    },
  };
}
