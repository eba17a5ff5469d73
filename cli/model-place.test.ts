/** Which model ids are local folders, by mergekit's rule with --models DIR in front. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { looksLikePath, placeModel } from './model-place.ts';

// A working directory with ./m, ./org/name, ./file and ./models/m, nothing else.
const cwd = mkdtempSync(path.join(os.tmpdir(), 'model-place-'));
for (const d of ['m', 'org/name', 'models/m']) mkdirSync(path.join(cwd, d), { recursive: true });
writeFileSync(path.join(cwd, 'file'), '');
const modelsDir = path.join(cwd, 'models');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const folder = (dir: string, fromCwd = true, ignoredRevision?: string) => ({
  kind: 'folder',
  dir,
  fromCwd,
  ignoredRevision,
});

const missing = (message: string) => ({ kind: 'missing', message });

describe('placeModel', () => {
  it('reads an existing folder from the working directory: relative, ./, ../ or absolute', () => {
    const opts = { modelsDir: undefined, cwd };
    expect(placeModel('m', opts)).toEqual(folder(path.join(cwd, 'm')));
    expect(placeModel('./m', opts)).toEqual(folder(path.join(cwd, 'm')));
    expect(placeModel('../m', { modelsDir: undefined, cwd: modelsDir })).toEqual(folder(path.join(cwd, 'm')));
    expect(placeModel(path.join(cwd, 'm'), { modelsDir: undefined, cwd: '/' })).toEqual(
      folder(path.join(cwd, 'm')),
    );
  });

  it('lets a folder shadow a Hub repo of the same name, and drops its @revision (as mergekit)', () => {
    const opts = { modelsDir: undefined, cwd };
    expect(placeModel('org/name', opts)).toEqual(folder(path.join(cwd, 'org/name')));
    expect(placeModel('./m@main', opts)).toEqual(folder(path.join(cwd, 'm'), true, 'main'));
    expect(placeModel('org/other', opts)).toEqual({ kind: 'hub', tried: [path.join(cwd, 'org/other')] });
  });

  it('looks in --models DIR first (as before), then the working directory, then the Hub', () => {
    const opts = { modelsDir, cwd };
    expect(placeModel('m', opts)).toEqual(folder(path.join(modelsDir, 'm'), false));
    expect(placeModel('org/name', opts)).toEqual(folder(path.join(cwd, 'org/name')));
    expect(placeModel('org/x', opts)).toEqual({
      kind: 'hub',
      tried: [path.join(modelsDir, 'org/x'), path.join(cwd, 'org/x')],
    });
  });

  it('names the folders it looked for when a path is missing, or is a file', () => {
    const opts = { modelsDir: undefined, cwd };
    expect(placeModel('./nope', opts)).toEqual(
      missing(`model './nope' not found: no folder ${path.join(cwd, 'nope')}`),
    );
    expect(placeModel('/no/such/model', opts)).toEqual(
      missing(`model '/no/such/model' not found: no folder /no/such/model`),
    );
    expect(placeModel('./file', opts)).toEqual(
      missing(`model './file' not found: no folder ${path.join(cwd, 'file')}`),
    );
    expect(placeModel('../nope', { modelsDir, cwd })).toEqual(
      missing(
        `model '../nope' not found: no folder ${path.join(cwd, 'nope')} or ${path.resolve(cwd, '../nope')}`,
      ),
    );
    expect(placeModel('~/m', opts)).toEqual(
      missing(
        `model '~/m' not found: no folder ${path.join(cwd, '~/m')} (~ is not expanded: write the full path)`,
      ),
    );
    expect(placeModel('a/b/c', opts)).toEqual(
      missing(
        `model 'a/b/c' not found: no folder ${path.join(cwd, 'a/b/c')}, ` +
          'and it is not a Hub model id (org/name or org/name@revision)',
      ),
    );
  });
});

describe('looksLikePath', () => {
  it('is true for ids that cannot be Hub repos because they are written as paths', () => {
    for (const p of ['/abs', './x', '../x', '.', '..', '~', '~/x', '.\\x'])
      expect(looksLikePath(p), p).toBe(true);
    for (const p of ['x', 'org/name', 'org/name@main', '.x', '..x', 'x/./y'])
      expect(looksLikePath(p), p).toBe(false);
  });
});
