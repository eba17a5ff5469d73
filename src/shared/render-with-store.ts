/**
 * For unit tests that render components to HTML with react-dom/server: zustand's hooks read
 * the store's *initial* state in a server render, so a test's `setState` would not show.
 * Tests mock 'zustand' with this module, whose `create` reads the current state there too:
 *
 *   vi.mock('zustand', () => import('../../shared/render-with-store.ts'));
 */
import { useCallback, useSyncExternalStore } from 'react';
import { createStore, type StateCreator, type StoreApi } from 'zustand/vanilla';

type Hook<T> = (<U>(selector?: (s: T) => U) => U) & StoreApi<T>;

function createImpl<T>(init: StateCreator<T, [], []>): Hook<T> {
  const api = createStore(init);
  const useBound = <U>(selector: (s: T) => U = (s) => s as unknown as U): U => {
    const get = useCallback(() => selector(api.getState()), [selector]);
    return useSyncExternalStore(api.subscribe, get, get);
  };
  return Object.assign(useBound, api);
}

export function create<T>(): (init: StateCreator<T, [], []>) => Hook<T>;
export function create<T>(init: StateCreator<T, [], []>): Hook<T>;
export function create<T>(init?: StateCreator<T, [], []>) {
  return init ? createImpl(init) : createImpl;
}
