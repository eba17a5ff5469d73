/**
 * Which row of MODEL's embedding each donor token takes (mergekit's build_embedding_matrix,
 * before any approximation): the row of the same normalised token; else, with --byte-match, a
 * single character <-> its "<0xNN>" byte token; else, with --prefix-match, the row of the
 * longest proper prefix MODEL has; else the token is to be approximated.
 */
import { tokenParts, tokenPrefixes, plainKey, type NormalizedToken } from './normalize-vocab.ts';

export type Vocab = ReadonlyMap<NormalizedToken, number>;

export interface AssignmentStats {
  exact: number;
  byte: number;
  prefix: number;
  toApproximate: number;
}

export interface RowAssignment {
  /** Per output row: MODEL's row to copy, or -1 (approximated, junk, or no donor token). */
  readonly source: Int32Array;
  /** Donor tokens to approximate, in the donor vocabulary's order. */
  readonly newTokens: readonly NormalizedToken[];
  readonly stats: AssignmentStats;
}

/** mergekit's match_byte_token. */
export function matchByteToken(token: NormalizedToken, orig: Vocab): number | undefined {
  const p = tokenParts(token);
  if (p.kind !== 'plain') return undefined;
  const chars = Array.from(p.text);
  if (chars.length === 1 && p.text.codePointAt(0)! < 256) {
    const hex = p.text.codePointAt(0)!.toString(16).toUpperCase().padStart(2, '0');
    return orig.get(`<0x${hex}>`);
  }
  // mergekit's check is len == 6 and int(x, 16): two hex digits
  const m = /^<0x([0-9a-fA-F]{2})>$/.exec(p.text);
  if (m) return orig.get(plainKey(String.fromCodePoint(parseInt(m[1]!, 16))));
  return undefined;
}

/** mergekit's match_prefix: the longest proper prefix MODEL has. */
export function matchPrefix(token: NormalizedToken, orig: Vocab): number | undefined {
  for (const prefix of tokenPrefixes(token)) {
    const id = orig.get(prefix);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** mergekit's out_vocab_size: enough rows for every donor id. */
export function outputRows(donor: Vocab): number {
  let max = -1;
  for (const id of donor.values()) max = Math.max(max, id);
  return Math.max(donor.size, max + 1);
}

/** Keeps the tokens whose id has a row in the matrix (mergekit's safe_*_vocab). */
export function withinRows(vocab: Vocab, rows: number): Map<NormalizedToken, number> {
  return new Map([...vocab].filter(([, id]) => id < rows));
}

export function assignRows(
  donor: Vocab,
  orig: Vocab,
  outRows: number,
  allowByte: boolean,
  allowPrefix: boolean,
): RowAssignment {
  const source = new Int32Array(outRows).fill(-1);
  const stats: AssignmentStats = { exact: 0, byte: 0, prefix: 0, toApproximate: 0 };
  const newTokens: NormalizedToken[] = [];
  for (const [token, donorId] of donor) {
    const exact = orig.get(token);
    if (exact !== undefined) {
      source[donorId] = exact;
      stats.exact++;
      continue;
    }
    const byte = allowByte ? matchByteToken(token, orig) : undefined;
    if (byte !== undefined) {
      source[donorId] = byte;
      stats.byte++;
      continue;
    }
    const prefix = allowPrefix ? matchPrefix(token, orig) : undefined;
    if (prefix !== undefined) {
      source[donorId] = prefix;
      stats.prefix++;
      continue;
    }
    newTokens.push(token);
    stats.toApproximate++;
  }
  return { source, newTokens, stats };
}
