/**
 * Chromium's memory-infra dumps (bench:browser `--memory-dumps`): what each allocator of the
 * largest process holds, at the dump where its allocators held the most. The dumps cost the
 * merge some CPU and memory of their own, so the timings of such a run are not comparable.
 */
import type { PipeBrowser } from './cdp-pipe.ts';

type Allocators = Record<string, { attrs?: Record<string, { value: string }> }>;
interface TraceEvent {
  ph: string;
  pid: number;
  args?: { dumps?: { allocators?: Allocators } };
}

/** Starts dumping every `everyMs`; the returned function stops and prints the largest dump. */
export async function startMemoryDumps(
  browser: PipeBrowser,
  everyMs: number,
  phase: string,
): Promise<() => Promise<void>> {
  const events: TraceEvent[] = [];
  const off = browser.on('Tracing.dataCollected', (p) => events.push(...(p['value'] as TraceEvent[])));
  await browser.send('Tracing.start', {
    traceConfig: {
      includedCategories: ['disabled-by-default-memory-infra'],
      excludedCategories: ['*'],
      memoryDumpConfig: { triggers: [] },
    },
    transferMode: 'ReportEvents',
  });
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void browser
      .send('Tracing.requestMemoryDump', { levelOfDetail: 'detailed' })
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, everyMs);

  return async () => {
    clearInterval(timer);
    const complete = new Promise<void>((resolve) => {
      const stop = browser.on('Tracing.tracingComplete', () => (stop(), resolve()));
    });
    await browser.send('Tracing.end');
    await complete;
    off();
    print(phase, largestDump(events));
  };
}

interface Dump {
  pid: number;
  total: number;
  sizes: Map<string, number>;
}

function largestDump(events: readonly TraceEvent[]): Dump | undefined {
  let best: Dump | undefined;
  for (const e of events) {
    const allocators = e.ph === 'v' ? e.args?.dumps?.allocators : undefined;
    if (!allocators) continue;
    const sizes = new Map<string, number>();
    for (const [name, a] of Object.entries(allocators)) {
      const size = a.attrs?.['size'];
      if (size) sizes.set(name, parseInt(size.value, 16) / 2 ** 20);
    }
    const total = [...sizes].filter(([n]) => !n.includes('/')).reduce((s, [, mb]) => s + mb, 0);
    if (!best || total > best.total) best = { pid: e.pid, total, sizes };
  }
  return best;
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const mb = (x: number): string => `${x.toFixed(1).padStart(7)} MB`;

function print(phase: string, dump: Dump | undefined): void {
  if (!dump) return console.log(`  memory dumps, ${phase}: none`);
  console.log(
    `  largest memory dump, ${phase}: pid ${dump.pid}, ${dump.total.toFixed(0)} MB in its allocators`,
  );
  const rows = [...dump.sizes].filter(([n, v]) => n.split('/').length <= 3 && v >= 1);
  for (const [name, v] of rows.sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(`  ${mb(v)}  ${name}`);
  // Each worker's V8 heap by space (a compute lane's isolate costs its own new and old space).
  const isolates = new Map<string, Map<string, number>>();
  for (const [name, v] of dump.sizes) {
    const m = /^v8\/workers\/heap\/([a-z_]+)_space\/isolate_(0x[0-9A-Fa-f]+)$/.exec(name);
    if (!m) continue;
    const spaces = isolates.get(m[2]!) ?? new Map<string, number>();
    spaces.set(m[1]!, v);
    isolates.set(m[2]!, spaces);
  }
  if (isolates.size > 0) console.log(`  V8 heaps of the ${isolates.size} worker isolates (MB by space):`);
  for (const spaces of [...isolates.values()].sort((x, y) => sum(y) - sum(x))) {
    const parts = [...spaces].filter(([, v]) => v >= 0.1).map(([k, v]) => `${k} ${v.toFixed(1)}`);
    console.log(`  ${mb(sum(spaces))}  ${parts.join(', ')}`);
  }
  // Blink's buffer partition by block size: large direct-mapped blocks are the suspects.
  const blocks = new Map<string, { n: number; mb: number }>();
  for (const [name, v] of dump.sizes) {
    const m = /^partition_alloc\/partitions\/buffer\/buckets\/([^/]+)$/.exec(name);
    if (!m) continue;
    const key = m[1]!.startsWith('directMap') ? `direct-mapped ${v.toFixed(1)} MB` : m[1]!;
    const b = blocks.get(key) ?? { n: 0, mb: 0 };
    blocks.set(key, { n: b.n + 1, mb: b.mb + v });
  }
  for (const [key, b] of [...blocks].sort((x, y) => y[1].mb - x[1].mb).slice(0, 5))
    if (b.mb >= 1) console.log(`  ${mb(b.mb)}  Blink's buffer partition: ${key} x ${b.n}`);
}
