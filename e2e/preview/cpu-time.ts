/**
 * CPU seconds used so far by this process's descendants (the browser Playwright launched: its
 * renderer and worker threads), from /proc. On a shared, loaded machine wall time grows with
 * the load; the CPU time a measurement took does not, so the specs report both. Linux only:
 * undefined elsewhere.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Kernel clock ticks per second (USER_HZ): 100 on every Linux Playwright supports. */
const TICKS = 100;

export async function descendantsCpuSeconds(root = process.pid): Promise<number | undefined> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return undefined;
  }
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8');
      // fields after the command name: state ppid ... utime (14th) stime (15th)
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(e), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // the process ended meanwhile
    }
  }
  let ticks = 0;
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    for (const [child, s] of stats) {
      if (s.ppid !== pid) continue;
      ticks += s.ticks;
      stack.push(child);
    }
  }
  return ticks / TICKS;
}
