/** Small argument helpers shared by the commands. */

export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/** "5B", "500M", "2.5GB", "1e9" -> bytes (decimal units, as mergekit's --out-shard-size). */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([KMGTB]?)B?$/i.exec(s.trim());
  if (!m) throw new UsageError(`cannot read size '${s}': use e.g. 5B (bytes, decimal units K, M, B/G)`);
  const mult: Record<string, number> = { '': 1, K: 1e3, M: 1e6, B: 1e9, G: 1e9, T: 1e12 };
  return Math.round(Number(m[1]) * mult[m[2]!.toUpperCase()]!);
}

export function parseSeed(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32)
    throw new UsageError(`--seed must be a whole number from 0 to 4294967295`);
  return n;
}
