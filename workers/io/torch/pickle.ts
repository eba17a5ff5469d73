/**
 * A Python pickle reader that runs nothing. It rebuilds the data a checkpoint's pickle holds
 * (numbers, strings, bytes, lists, tuples, dicts) and leaves every class or function the
 * pickle names as a `PickleGlobal`; a call to one (REDUCE, NEWOBJ, ...) becomes a
 * `PickleCall`, unless the caller's `call` hook recognises it (torch's tensor rebuild, say).
 * Python's `pickle.load` would import and call those names, which is how a malicious
 * checkpoint runs code; here they stay inert data, so any pickle is safe to read.
 */
import {
  PickleGlobal,
  PickleTuple,
  PickleDict,
  PickleCall,
  PickleError,
  type PickleValue,
  type PickleHooks,
} from './pickle-values.ts';
import { key, safe, parseIntText, parseLongText, longLE, rawUnicodeEscape } from './pickle-numbers.ts';

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

/** Reads one pickle from `bytes` at `start`; returns its value and the offset after STOP. */
export function readPickle(
  bytes: Uint8Array,
  hooks: PickleHooks = {},
  start = 0,
): { value: PickleValue; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = start;

  const need = (n: number): number => {
    // A negative length (BINSTRING's is signed) would move pos back and replay the opcodes forever.
    if (n < 0) throw new PickleError(`a negative length (${n}) at byte ${pos}`);
    if (pos + n > bytes.byteLength)
      throw new PickleError(`the pickle ends early (at byte ${bytes.byteLength})`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => bytes[need(1)]!;
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const i32 = (): number => view.getInt32(need(4), true);
  const u64 = (): number => safe(view.getBigUint64(need(8), true));
  const take = (n: number): Uint8Array => bytes.subarray(need(n), pos);
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) throw new PickleError('the pickle ends inside a text line');
    const s = latin1.decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const text = (n: number): string => {
    try {
      return utf8.decode(take(n));
    } catch {
      throw new PickleError('a string is not valid UTF-8');
    }
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw new PickleError('stack underflow');
    return v;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw new PickleError('stack underflow');
    return v;
  };
  const popMark = (): PickleValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) throw new PickleError('no MARK on the stack');
    const items = stack.splice(at) as PickleValue[];
    items.shift();
    return items;
  };
  const call = (callee: PickleValue, args: readonly PickleValue[]): PickleValue =>
    hooks.call?.(callee, args) ?? new PickleCall(callee, args);
  const memoGet = (k: number): PickleValue => {
    if (!memo.has(k)) throw new PickleError(`memo ${k} is not set`);
    return memo.get(k)!;
  };
  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new PickleError('pickle protocol newer than 5');
        break;
      case 0x95: // FRAME
        need(8);
        break;
      case 0x2e: // STOP
        return { value: pop(), end: pos };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x49: {
        // INT (text; "01"/"00" are True/False)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : parseIntText(s));
        break;
      }
      case 0x4c: // LONG (text, ending in L): the legacy magic number, in protocols 0 and 1
        stack.push(parseLongText(line().replace(/L$/, '')));
        break;
      case 0x8a: // LONG1
        stack.push(longLE(take(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(longLE(take(u32())));
        break;
      case 0x47: // BINFLOAT (big-endian)
        stack.push(view.getFloat64(need(8), false));
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number(line()));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x56: // UNICODE (raw-unicode-escape text)
        stack.push(rawUnicodeEscape(line()));
        break;
      case 0x54: // BINSTRING (Python 2 str)
        stack.push(latin1.decode(take(i32())));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1.decode(take(u8())));
        break;
      case 0x53: // STRING (quoted text)
        stack.push(line().slice(1, -1));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(take(u64()).slice());
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PickleTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PickleTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PickleTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PickleTuple([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict());
        break;
      case 0x64: {
        // DICT
        const d = new PickleDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(new PickleGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new PickleError('STACK_GLOBAL needs two strings');
        stack.push(new PickleGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callee = pop();
        stack.push(call(callee, args instanceof PickleTuple ? args.items : [args]));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args instanceof PickleTuple ? args.items : [args]));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        stack.push(call(cls, [...(args instanceof PickleTuple ? args.items : [args]), kwargs]));
        break;
      }
      case 0x6f: {
        // OBJ
        const items = popMark();
        const cls = items.shift() ?? null;
        stack.push(call(cls, items));
        break;
      }
      case 0x69: {
        // INST "module\nname\n"
        const module = line();
        const cls = new PickleGlobal(module, line());
        stack.push(call(cls, popMark()));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state); kept on unknown objects, ignored on dicts (their attributes)
        const state = pop();
        const obj = top();
        if (obj instanceof PickleCall) obj.state = state;
        break;
      }
      case 0x70: // PUT
        memo.set(parseIntText(line()), top());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
        stack.push(memoGet(parseIntText(line())));
        break;
      case 0x68: // BINGET
        stack.push(memoGet(u8()));
        break;
      case 0x6a: // LONG_BINGET
        stack.push(memoGet(u32()));
        break;
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!hooks.persistentLoad) throw new PickleError('a persistent id, and nothing to resolve it');
        stack.push(hooks.persistentLoad(pid));
        break;
      }
      case 0x50: {
        // PERSID (text)
        const pid = line();
        if (!hooks.persistentLoad) throw new PickleError('a persistent id, and nothing to resolve it');
        stack.push(hooks.persistentLoad(pid));
        break;
      }
      default:
        throw new PickleError(
          `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${pos - 1}`,
        );
    }
  }
}

/** SETITEM(S): `items` as key, value pairs into a dict. */
function setItems(target: PickleValue, items: PickleValue[]): void {
  if (items.length % 2) throw new PickleError('SETITEMS with an odd number of items');
  if (target instanceof PickleCall) return; // an object of a class we do not know: its items do not matter
  if (!(target instanceof PickleDict)) throw new PickleError('SETITEM on something that is not a dict');
  for (let i = 0; i < items.length; i += 2) target.map.set(key(items[i]!), items[i + 1]!);
}

/** APPEND(S): `items` onto a list. */
function append(target: PickleValue, items: PickleValue[]): void {
  if (target instanceof PickleCall) return;
  if (!Array.isArray(target)) throw new PickleError('APPEND to something that is not a list');
  // Not push(...items): spreading a few hundred thousand items overflows the call stack.
  for (const item of items) target.push(item);
}
