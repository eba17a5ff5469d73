/**
 * The dev server reloads a page when any module it imported changes on disk (hot reload), and
 * other work in the same checkout may touch engine files mid-run: the harness page is given
 * this Vite client, which does nothing, so nothing reloads it under a running test or bench.
 */
export const INERT_VITE_CLIENT = [
  'export const createHotContext = () => ({ accept() {}, dispose() {}, prune() {}, invalidate() {}, on() {}, off() {}, send() {}, data: {} });',
  'export const updateStyle = () => {};',
  'export const removeStyle = () => {};',
  'export const injectQuery = (url) => url;',
  'export class ErrorOverlay {}',
].join('\n');

/** The route pattern of the client a Vite dev page loads. */
export const VITE_CLIENT_ROUTE = '**/@vite/client';
