/** The benchmarks' `--lane-writes` flag (MergeRequest.laneWrites), checked. */
export function laneWrites(flag: string): 'auto' | 'always' | 'never' {
  if (flag === 'auto' || flag === 'always' || flag === 'never') return flag;
  throw new Error(`--lane-writes wants auto, always or never, not ${flag}`);
}
