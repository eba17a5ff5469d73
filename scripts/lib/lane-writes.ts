/** The benchmarks' `--lane-writes` flag (MergeRequest.laneWrites), checked. */
export function laneWrites(flag: string): 'auto' | 'always' | 'never' {
  if (flag === 'auto' || flag === 'always' || flag === 'never') return flag;
  throw new Error(`--lane-writes wants auto, always or never, not ${flag}`);
}

/** The benchmarks' `--coordinator-share` flag (MergeRequest.coordinatorShare), checked. */
export function coordinatorShare(flag: string): number {
  const share = Number(flag);
  if (flag.trim() !== '' && Number.isFinite(share) && share >= 0) return share;
  throw new Error(`--coordinator-share wants a number >= 0 (a lane's part is 1), not ${flag}`);
}
