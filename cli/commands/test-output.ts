/**
 * Test helpers for the commands: what a command prints, captured per test, and the check of
 * a failing command (its error type, message and exit code).
 */
import { beforeEach, expect, vi } from 'vitest';
import { exitCodeOf } from '../errors.ts';

export interface Captured {
  /** Cleared before each test; clear it with `.length = 0` between two commands. */
  readonly stdout: string[];
  readonly stderr: string[];
}

/** Registers a beforeEach that captures process.stdout and process.stderr writes. */
export function captureOutput(): Captured {
  const captured: Captured = { stdout: [], stderr: [] };
  beforeEach(() => {
    captured.stdout.length = 0;
    captured.stderr.length = 0;
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (captured.stdout.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (captured.stderr.push(String(s)), true));
    return () => vi.restoreAllMocks();
  });
  return captured;
}

/** Awaits `p`, which must fail with an error of `type` whose message matches, and the exit code. */
export async function expectFailure(
  p: Promise<void>,
  type: new (...a: never[]) => Error,
  message: RegExp,
  code: number,
): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(type);
  expect((e as Error).message).toMatch(message);
  expect(exitCodeOf(e)).toBe(code);
}
