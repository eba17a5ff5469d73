#!/usr/bin/env node
/**
 * `npm test`: every suite, then one summary line `N passed, N failed, N skipped` that CI reads.
 * Static checks (types, lint with zero warnings, formatting) count as one test each; the unit
 * and golden tests run in Vitest (Node), the end-to-end tests in Playwright (real Chromium).
 * Exits non-zero when anything failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'merge-studio-test-'));
const bin = (name) => path.join('node_modules', '.bin', name);
const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSuites = [];

function run(label, cmd, args, env = {}) {
  console.log(`\n━━ ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

function check(label, cmd, args) {
  const ok = run(label, cmd, args) === 0;
  totals[ok ? 'passed' : 'failed']++;
  if (!ok) failedSuites.push(label);
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

const only = process.argv[2]; // optional: static | unit | e2e

if (!only || only === 'static') {
  check('types', bin('tsc'), ['-b']);
  check('lint', bin('oxlint'), ['--deny-warnings']);
  check('format', bin('prettier'), ['--check', '.']);
}

if (!only || only === 'unit') {
  const out = path.join(tmp, 'vitest.json');
  const code = run('unit and golden tests (Vitest)', bin('vitest'), [
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
  ]);
  const r = readJson(out);
  if (r) {
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    if (code !== 0 && r.numFailedTests === 0) totals.failed++; // a suite that failed to load
  } else totals.failed++;
  if (code !== 0) failedSuites.push('vitest');
}

if (!only || only === 'e2e') {
  const out = path.join(tmp, 'playwright.json');
  const code = run(
    'end-to-end tests (Playwright, Chromium)',
    bin('playwright'),
    ['test', '--reporter=list,json'],
    {
      PLAYWRIGHT_JSON_OUTPUT_NAME: out,
    },
  );
  const r = readJson(out);
  if (r?.stats) {
    totals.passed += r.stats.expected + (r.stats.flaky ?? 0);
    totals.failed += r.stats.unexpected;
    totals.skipped += r.stats.skipped;
    if (code !== 0 && r.stats.unexpected === 0) totals.failed++;
  } else totals.failed++;
  if (code !== 0) failedSuites.push('playwright');
}

rmSync(tmp, { recursive: true, force: true });
console.log(
  `\n${failedSuites.length ? `failed: ${failedSuites.join(', ')}\n` : ''}${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`,
);
process.exit(totals.failed > 0 ? 1 : 0);
