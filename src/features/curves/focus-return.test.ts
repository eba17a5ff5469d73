import { describe, expect, it } from 'vitest';
import { focusReturn, type Focusable } from './focus-return.ts';

function control(name: string, log: string[], connected = true): Focusable {
  return { isConnected: connected, focus: () => log.push(name) };
}

describe('focusReturn: closing the curve editor gives focus back to its opener', () => {
  it('focuses the control that opened the editor', () => {
    const log: string[] = [];
    const back = focusReturn();
    back.opened(control('vary t', log), false);
    back.closed();
    expect(log).toEqual(['vary t']);
    back.closed(); // once only
    expect(log).toEqual(['vary t']);
  });
  it('keeps the first opener when the editor switches from inside itself', () => {
    const log: string[] = [];
    const back = focusReturn();
    back.opened(control('vary t', log), false);
    back.opened(control('a button in the editor', log), true);
    back.closed();
    expect(log).toEqual(['vary t']);
  });
  it('does nothing when the opener left the page', () => {
    const log: string[] = [];
    const back = focusReturn();
    back.opened(control('gone', log, false), false);
    back.closed();
    expect(log).toEqual([]);
  });
});
