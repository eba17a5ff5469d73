/**
 * What ./pickle.ts rebuilds from a pickle: plain values, and inert stand-ins for the classes
 * and calls a pickle names (nothing is ever imported or run).
 */

export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  toString(): string {
    return `${this.module}.${this.name}`;
  }
}

export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A dict. Keys are strings, numbers, booleans or null (what state dicts use). */
export class PickleDict {
  readonly map = new Map<PickleKey, PickleValue>();
}

/** A call the hooks did not recognise: `callee(*args)`, with BUILD's state if any. */
export class PickleCall {
  state: PickleValue | undefined;
  constructor(
    readonly callee: PickleValue,
    readonly args: readonly PickleValue[],
  ) {}
}

export type PickleKey = string | number | boolean | null;
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleGlobal
  | PickleCall
  | PickleExtra;

/** What a hook makes of a persistent id or a call (a storage, a tensor): tagged by kind. */
export interface PickleExtra {
  readonly pickleKind: string;
}

export interface PickleHooks {
  /** BINPERSID / PERSID: the object a persistent id stands for. */
  persistentLoad?(pid: PickleValue): PickleValue;
  /** `callee(*args)`: a value, or undefined to leave it a PickleCall. */
  call?(callee: PickleValue, args: readonly PickleValue[]): PickleValue | undefined;
}

export class PickleError extends Error {
  override readonly name = 'PickleError';
}
