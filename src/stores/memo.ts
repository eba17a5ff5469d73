/** A one-entry memo for selectors: the last argument's result, computed again when it changes. */
export function memo<A, R>(f: (a: A) => R): (a: A) => R {
  let last: A | undefined;
  let value: R | undefined;
  return (a) => {
    if (a !== last || value === undefined) {
      last = a;
      value = f(a);
    }
    return value;
  };
}
