/**
 * The dev server reloads a page when a module it imported changes on disk, and other work in
 * the same checkout may touch shared files mid-run: the preview specs give their pages this
 * Vite client, which does nothing, so nothing reloads a page under a running test.
 */
import type { Page } from '@playwright/test';

const INERT_VITE_CLIENT = [
  'export const createHotContext = () => ({ accept() {}, dispose() {}, prune() {}, invalidate() {}, on() {}, off() {}, send() {}, data: {} });',
  'export const updateStyle = (id, css) => { const s = document.createElement("style"); s.dataset.viteId = id; s.textContent = css; document.head.appendChild(s); };',
  'export const removeStyle = () => {};',
  'export const injectQuery = (url) => url;',
  'export class ErrorOverlay {}',
].join('\n');

export async function inertViteClient(page: Page): Promise<void> {
  await page.route('**/@vite/client', (route) =>
    route.fulfill({ contentType: 'text/javascript', body: INERT_VITE_CLIENT }),
  );
}
