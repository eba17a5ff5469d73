/** The running extraction's line (modules, the current one, time so far and left) and the result's rank summary. */
import { describe, expect, it } from 'vitest';
import type { ModuleReport } from '../../../workers/lora-extract/extract-lora.ts';
import { loraProgressText } from './lora-progress-text.ts';
import { rankCounts } from './LoraResult.tsx';

const p = { modulesDone: 12, modulesTotal: 28, elapsedMs: 3200 };
const at = (rank: number) => ({ rank }) as ModuleReport;

describe('loraProgressText', () => {
  it('says where the extraction is', () => {
    expect(loraProgressText(undefined, 'running')).toBe('reading the models’ headers…');
    expect(loraProgressText({ ...p, phase: 'extracting', currentModule: 'model.layers.1.mlp.up_proj', etaMs: 5000 }, 'running')).toBe(
      '12 of 28 modules · model.layers.1.mlp.up_proj · 3.2 s so far · about 5.0 s left',
    ); // prettier-ignore
    // No promise of time left once Cancel was pressed.
    expect(loraProgressText({ ...p, phase: 'extracting', etaMs: 5000 }, 'cancelling')).toBe('12 of 28 modules · 3.2 s so far'); // prettier-ignore
    expect(loraProgressText({ ...p, phase: 'writing' }, 'running')).toBe('12 of 28 modules · writing the adapter… · 3.2 s so far'); // prettier-ignore
    expect(loraProgressText({ ...p, modulesDone: 28, phase: 'done' }, 'done')).toBe('28 of 28 modules · done in 3.2 s'); // prettier-ignore
  });
});

describe('rankCounts', () => {
  it('counts the modules at each rank, highest first', () => {
    expect(rankCounts({ modules: [at(4), at(8), at(8), at(2), at(8)] })).toBe(
      '3 at rank 8, 1 at rank 4, 1 at rank 2',
    );
  });
});
