/**
 * What the browser benchmark measures of processes, from /proc (Linux): the PSS and resident
 * memory of a process tree, sampled for its peak, and the CPU seconds of each kind of process.
 */
import { readFile, readdir } from 'node:fs/promises';

/** The pids of a process tree, from /proc (Linux). */
async function treePids(rootPid: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // gone
    }
  }
  const pids: number[] = [];
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    pids.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return pids;
}

/**
 * The tree as of at most a second ago: scanning all of /proc takes ~17 ms here, which every
 * 150 ms sample would otherwise take from the merge it measures.
 */
let cachedTree: { root: number; at: number; pids: Promise<number[]> } | undefined;
function recentTree(rootPid: number): Promise<number[]> {
  const now = performance.now();
  if (!cachedTree || cachedTree.root !== rootPid || now - cachedTree.at > 1000)
    cachedTree = { root: rootPid, at: now, pids: treePids(rootPid) };
  return cachedTree.pids;
}

/** PSS of a process tree (MB). */
export async function treePss(rootPid: number): Promise<number> {
  let total = 0;
  for (const pid of await recentTree(rootPid)) {
    try {
      const m = /Pss:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'));
      total += m ? Number(m[1]) : 0;
    } catch {
      // gone
    }
  }
  return total / 1024;
}

/** Resident memory of the processes (MB): /proc/PID/statm is a counter, cheap to read. */
async function rssOf(pids: readonly number[]): Promise<number> {
  let pages = 0;
  for (const pid of pids) {
    const statm = await readFile(`/proc/${pid}/statm`, 'utf8').catch(() => '');
    pages += Number(statm.split(' ')[1] ?? 0);
  }
  return (pages * 4096) / 2 ** 20;
}

/**
 * The peak PSS of a process tree, sampled every 150 ms. Exact PSS (smaps_rollup) walks the page
 * tables: ~9 ms for a 600 MB process here, CPU that the merge being measured would lose on a
 * 2-core machine. So the exact figure is taken once a second, and between those the change in
 * resident memory (statm, a counter) is added to it. What changes during a merge is private
 * memory (buffers), for which the two move together; a page newly shared between processes
 * counts once in PSS but in each process's RSS, so the estimate can only err high.
 */
export class PeakPss {
  peak = 0;
  exactPeak = 0;
  private base: { pss: number; rss: number; at: number } | undefined;
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(private readonly root: number) {
    this.timer = setInterval(() => void this.sample(), 150);
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const pids = await recentTree(this.root);
      const now = performance.now();
      if (!this.base || now - this.base.at > 1000) {
        const pss = await treePss(this.root);
        this.base = { pss, rss: await rssOf(pids), at: now };
        this.exactPeak = Math.max(this.exactPeak, pss);
        this.peak = Math.max(this.peak, pss);
      } else {
        this.peak = Math.max(this.peak, this.base.pss + (await rssOf(pids)) - this.base.rss);
      }
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** CPU seconds (user + system) a process has used so far, its ended threads (a finished worker) included. */
export async function processCpu(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ ticks
}

/** CPU seconds (user + system) used so far by each kind of process of the tree. */
export async function treeCpu(rootPid: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const pid of await treePids(rootPid)) {
    try {
      const cpu = await processCpu(pid);
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      const type = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? 'browser';
      const sub = /--utility-sub-type=([a-zA-Z.]+)/.exec(cmd)?.[1]?.split('.').at(-2);
      const kind = sub ? `${type} (${sub})` : type;
      out.set(kind, (out.get(kind) ?? 0) + cpu);
    } catch {
      // gone
    }
  }
  return out;
}

/** CPU used between two readings, per process kind, plus the hub server's and this Node process's. */
export function cpuSplit(
  before: Map<string, number>,
  after: Map<string, number>,
  hub: number,
  node: NodeJS.CpuUsage,
): string {
  const parts = [...after]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
    .filter(([, v]) => v >= 0.05);
  parts.push(
    ['hub server (Node)', hub],
    ['this Node process (Vite, sampler)', (node.user + node.system) / 1e6],
  );
  return parts
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
    .join(', ');
}

/** The browser process is the Chromium started with our profile directory. */
export async function findBrowserPid(profile: string): Promise<number> {
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const cmd = await readFile(`/proc/${e}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(profile) && !cmd.includes('--type=')) return Number(e);
  }
  throw new Error('browser process not found');
}
