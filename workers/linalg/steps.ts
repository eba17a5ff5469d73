/**
 * Long factorisations written as generators that yield between steps (a row of a sweep, a
 * block of rows), so that a worker or the CLI can run them without blocking its event loop for
 * minutes: a cancel or Ctrl-C gets through between steps. `drain` runs one to the end at once,
 * for the callers that are quick anyway.
 */
export type Steps<T> = Generator<void, T, void>;

export function drain<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
