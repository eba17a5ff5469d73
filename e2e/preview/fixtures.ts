/**
 * What the preview specs share: the tinymix reference numbers, and the harness page (with an
 * inert Vite client, so a file saved elsewhere in the checkout cannot reload it mid-test).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';
import { TINYMIX } from '../support/hub.ts';
import { inertViteClient } from './inert-vite-client.ts';

export type ModelName = 'base' | 'code' | 'math' | 'law' | 'code-b' | 'code-c';
export const MODEL_NAMES: readonly ModelName[] = ['base', 'code', 'math', 'law', 'code-b', 'code-c'];

export const REFERENCE_LOGITS = JSON.parse(
  readFileSync(path.join(TINYMIX, 'tinymix-reference-logits.json'), 'utf8'),
) as Record<ModelName, { input_ids: number[]; last_logits: number[] }>;

export const REFERENCE_LOSSES = JSON.parse(
  readFileSync(path.join(TINYMIX, 'tinymix-losses.json'), 'utf8'),
) as Record<ModelName, Record<'general' | 'code' | 'law' | 'math', number>>;

export async function openHarness(page: Page): Promise<void> {
  await inertViteClient(page);
  const failed = new Promise<never>((_, reject) =>
    page.on('pageerror', (e) => reject(new Error(`the harness page failed: ${e.message}`))),
  );
  await page.goto('/e2e/preview/harness/index.html');
  await Promise.race([expect(page.locator('body[data-ready=true]')).toBeAttached(), failed]);
}
