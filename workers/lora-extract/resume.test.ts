/**
 * An extraction stopped part-way resumes from its checkpoint (./checkpoint.ts): the modules
 * already extracted are not computed again, and the adapter is byte for byte the one an
 * uninterrupted run writes. Another job's checkpoint, or a damaged part, starts that work over.
 */
import { describe, expect, it } from 'vitest';
import { memorySink } from '../io/memory.ts';
import type { OutputSink } from '../io/source.ts';
import { LORA_JOB_FILE } from './checkpoint.ts';
import { extractLora, type ExtractJob } from './extract-lora.ts';
import { DEFAULTS, tinymix } from './test-helpers.ts';

const card = { name: 'code-lora', model: 'tinymix-code', base: 'tinymix-base', hubModels: new Set<string>(), invocation: 'merge-studio extract-lora' }; // prettier-ignore
const [code, base] = await Promise.all([tinymix('tinymix-code'), tinymix('tinymix-base')]);
const PARTS = /^\.merge-studio-lora-part-\d+\.bin$/;

/** A job writing a part after every module. */
function job(sink: OutputSink, extra: Partial<ExtractJob> = {}): ExtractJob {
  return {
    model: code,
    base,
    sink,
    options: { ...DEFAULTS, maxRank: 8 },
    card,
    checkpoint: { partBytes: 1 },
    ...extra,
  };
}

/** Runs `job` until `modules` modules are done, then aborts it as a closed tab would end it. */
async function stopAfter(
  sink: ReturnType<typeof memorySink>,
  modules: number,
  extra: Partial<ExtractJob> = {},
) {
  const ac = new AbortController();
  const run = extractLora(
    job(sink, {
      ...extra,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.modulesDone >= modules) ac.abort();
      },
    }),
  );
  await expect(run).rejects.toThrow();
}

const uninterrupted = memorySink();
await extractLora(job(uninterrupted));

function expectSameAdapter(sink: ReturnType<typeof memorySink>): void {
  const names = [...sink.files.keys()].sort();
  expect(names).toEqual([...uninterrupted.files.keys()].sort());
  for (const f of ['adapter_model.safetensors', 'adapter_config.json'])
    expect(Buffer.from(sink.files.get(f)!).equals(Buffer.from(uninterrupted.files.get(f)!)), f).toBe(true);
}

describe('resuming an extraction', () => {
  it('skips the modules an interrupted run finished and writes the same adapter', async () => {
    const sink = memorySink();
    await stopAfter(sink, 10);
    const parts = [...sink.files.keys()].filter((f) => PARTS.test(f));
    expect(parts.length).toBeGreaterThanOrEqual(10);
    expect(sink.files.has('adapter_config.json')).toBe(false);
    const logs: string[] = [];
    const computed: string[] = [];
    const summary = await extractLora(
      job(sink, { onLog: (l) => (l.startsWith('[') ? computed.push(l) : logs.push(l)) }),
    );
    const resumed = Number(
      /^resume: (\d+) of 28 modules/.exec(logs.find((l) => l.startsWith('resume:'))!)![1],
    );
    expect(resumed).toBeGreaterThanOrEqual(10);
    expect(computed.length).toBe(28 - resumed);
    expect(summary.loraModules.length).toBe(28);
    expectSameAdapter(sink);
    // The checkpoint is gone with the adapter complete.
    expect([...sink.files.keys()].some((f) => PARTS.test(f) || f === LORA_JOB_FILE)).toBe(false);
  });

  it('keeps the modules finished before a cancel even when no part was due yet', async () => {
    const sink = memorySink();
    const late = { checkpoint: { partBytes: 1e12, partMs: 1e9 } };
    await stopAfter(sink, 7, late);
    expect([...sink.files.keys()].filter((f) => PARTS.test(f))).toHaveLength(1);
    const logs: string[] = [];
    const summary = await extractLora(job(sink, { ...late, onLog: (l) => logs.push(l) }));
    expect(summary.resumedModules).toBeGreaterThanOrEqual(7);
    expect(logs).toContain(
      `resume: ${summary.resumedModules} of 28 modules were extracted by an earlier run`,
    );
    expectSameAdapter(sink);
  });

  it('starts over for another job, removing its parts; drops a damaged part and what follows', async () => {
    const sink = memorySink();
    await stopAfter(sink, 6, { options: { ...DEFAULTS, maxRank: 4 } });
    const stale = [...sink.files.keys()].filter((f) => PARTS.test(f));
    expect(stale.length).toBeGreaterThan(0);
    // maxRank 8: another job. Its own run stops too, and one of its parts is then cut short.
    await stopAfter(sink, 8);
    const parts = [...sink.files.keys()].filter((f) => PARTS.test(f)).sort();
    expect(parts.length).toBeGreaterThanOrEqual(8);
    expect(parts.length).toBeLessThan(stale.length + 8); // the rank-4 job's parts went
    sink.files.set(parts[3]!, sink.files.get(parts[3]!)!.subarray(1));
    const logs: string[] = [];
    await extractLora(job(sink, { onLog: (l) => logs.push(l) }));
    expect(logs).toContain('resume: 3 of 28 modules were extracted by an earlier run');
    expectSameAdapter(sink);
  });
});
