/**
 * The teaching views as a user meets them: the demo models added from a local hub through the
 * model search, then each view on toy vectors and on the models' real tensors (non-empty SVG),
 * the t slider dragged with the mouse (the plotted points move), and the link to the recipe
 * (the YAML follows). With SCREENSHOTS=1 it also writes docs/screenshots/visualize-*.png.
 */
import path from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import type { HubServer } from '../../server/hub-server.ts';
import { REPO, startTestHub } from '../support/hub.ts';

const SHOTS = process.env['SCREENSHOTS'] === '1';
const MODELS = ['tinymix-base', 'tinymix-code', 'tinymix-math'];

let hub: HubServer;
test.beforeAll(async () => {
  hub = await startTestHub();
});
test.afterAll(() => hub.close());
test.afterEach(async ({ page }, info) => {
  if (info.status !== info.expectedStatus)
    await page.screenshot({ path: `/tmp/vis/fail-${info.title.slice(0, 8)}.png`, fullPage: true });
});
test.beforeEach(() => {
  test.skip(test.info().project.name !== 'cpu-fallback', 'no GPU code here: one browser project is enough');
});

async function openStudio(page: Page): Promise<Locator> {
  // Others edit this checkout while tests run: keep the dev server's hot updates (which would
  // re-create the store mid-test) away from the page by answering its HMR socket ourselves.
  await page.routeWebSocket(
    () => true,
    () => {},
  );
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto(`/#hub=${encodeURIComponent(hub.url)}`);
  await page.getByRole('searchbox', { name: 'Search models' }).fill('tinymix');
  for (const id of MODELS) await page.getByRole('button', { name: `Add ${id}`, exact: true }).click();
  await expect(page.getByRole('list', { name: 'Models in the merge' }).getByRole('listitem')).toHaveCount(3);
  return page.getByRole('region', { name: 'See how merging works' });
}

const yaml = (page: Page) => page.getByRole('textbox', { name: 'Recipe YAML' });

async function shot(page: Page, panel: Locator, name: string): Promise<void> {
  if (!SHOTS) return;
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await panel.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: path.join(REPO, 'docs/screenshots', `visualize-${name}.png`) });
}

/** Drags a range input's thumb from one fraction of its track to another with the mouse. */
async function dragSlider(page: Page, slider: Locator, from: number, to: number): Promise<void> {
  await slider.scrollIntoViewIfNeeded();
  const box = (await slider.boundingBox())!;
  const at = (f: number) => box.x + 8 + f * (box.width - 16);
  await page.mouse.move(at(from), box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(at((from + to) / 2), box.y + box.height / 2, { steps: 5 });
  await page.mouse.move(at(to), box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
}

const position = (svg: Locator, point: string) =>
  svg.locator(`[data-point="${point}"]`).evaluate((c) => [c.getAttribute('cx'), c.getAttribute('cy')]);

async function expectDrawn(svg: Locator, selector: string, atLeast: number): Promise<void> {
  await expect(svg).toBeVisible();
  expect(await svg.locator(selector).count()).toBeGreaterThanOrEqual(atLeast);
}

test('sphere: toy and real tensors, the t slider moves the points, t goes to the recipe', async ({
  page,
}) => {
  const panel = await openStudio(page);
  const globe = panel.getByRole('img', { name: /^Unit vectors A and B 100\.000° apart/ });
  await expectDrawn(globe, 'path', 2);
  const chart = panel.getByRole('img', { name: /^Norm of the result against t/ });
  await expectDrawn(chart, 'path.vis-curve', 2);
  await expect(chart).toHaveAttribute('aria-label', /LERP dips to 0\.643/); // cos(50 degrees)

  const slider = panel.getByRole('slider', { name: 't slider' });
  const before = [
    await position(globe, 'slerp'),
    await position(globe, 'lerp'),
    await position(chart, 'lerp-norm'),
  ];
  await dragSlider(page, slider, 0.5, 0.9);
  const t = Number(await slider.inputValue());
  expect(t).toBeGreaterThan(0.7);
  const after = [
    await position(globe, 'slerp'),
    await position(globe, 'lerp'),
    await position(chart, 'lerp-norm'),
  ];
  for (let i = 0; i < 3; i++) expect(after[i]).not.toEqual(before[i]);
  await expect(globe).toHaveAttribute(
    'aria-label',
    new RegExp(`At t = ${t.toFixed(2)}, SLERP is on the arc with norm 1\\.000`),
  );
  // Turn the globe: arrow keys, then a mouse drag.
  await globe.focus();
  await page.keyboard.press('ArrowRight');
  const turned = await position(globe, 'slerp');
  expect(turned).not.toEqual(after[0]);
  const box = (await globe.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 20, { steps: 6 });
  await page.mouse.up();
  expect(await position(globe, 'slerp')).not.toEqual(turned);
  await shot(page, panel, 'sphere');

  // The recipe is linear: applying t switches it to SLERP.
  await panel.getByRole('button', { name: `Switch the recipe to SLERP with t = ${t}` }).click();
  await expect(yaml(page)).toHaveValue(/merge_method: slerp/);
  await expect(yaml(page)).toHaveValue(new RegExp(`t: ${t}\\n`));
  await expect(panel.getByTestId('recipe-t')).toHaveText(String(t));
  // Live link: the keyboard moves t, the recipe follows.
  await panel.getByRole('switch', { name: /Live link: moving t/ }).check();
  await slider.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(yaml(page)).toHaveValue(new RegExp(`t: ${(t - 0.01).toFixed(2)}\\n`));

  // Real tensors: base vs code, layer 1's q_proj by default.
  await panel.getByRole('radio', { name: 'Real tensors' }).check();
  await expect(panel.getByTestId('real-angle')).toHaveText(/^\d+\.\d{3}°$/);
  const realGlobe = panel.getByRole('img', {
    name: /^Tensors model\.layers\.1\.self_attn\.q_proj\.weight of tinymix-base/,
  });
  await expectDrawn(realGlobe, 'circle', 4);
  await expectDrawn(panel.getByRole('img', { name: /^Norm of the result against t/ }), 'path.vis-curve', 2);
  const layers = panel.getByRole('img', { name: /^Angle between the two models per layer/ });
  await expectDrawn(layers, 'rect.vis-bar', 4);
  const realBefore = await position(realGlobe, 'slerp');
  await dragSlider(page, slider, 0.9, 0.2);
  await expect.poll(() => position(realGlobe, 'slerp')).not.toEqual(realBefore);
  await panel.getByLabel('Tensor', { exact: true }).selectOption('model.norm.weight');
  await expect(panel.getByText(/falls back to LERP here/)).toBeVisible();
  await panel.getByLabel('Tensor', { exact: true }).selectOption('model.layers.2.mlp.down_proj.weight');
  await expect(
    panel.getByRole('img', { name: /^Tensors model\.layers\.2\.mlp\.down_proj\.weight of/ }),
  ).toBeVisible();
  await expectDrawn(
    panel.getByRole('img', { name: /per layer for mlp\.down_proj\.weight/ }),
    'rect.vis-bar',
    4,
  );
  await shot(page, panel, 'sphere-real');
});

test('TIES: toy steps and a real 16x16 patch; density goes to the recipe', async ({ page }) => {
  const panel = await openStudio(page);
  await panel.getByRole('tab', { name: 'TIES step by step' }).click();
  const grid = panel.getByRole('img', { name: /^TIES step 4, Disjoint mean/ });
  await expectDrawn(grid, 'rect', 5 * 10); // three models, the sign, the result, the average
  await expect(panel.getByTestId('ties-counts')).toHaveText(
    /Kept per model: 5, 5, 5 of 10\. After the trim, 1 entry has a sign conflict/,
  );
  await panel.getByRole('radio', { name: '2. Trim' }).check();
  await expectDrawn(panel.getByRole('img', { name: /^TIES step 2, Trim/ }), 'g.vis-cell.faded', 15);
  const density = panel.getByRole('slider', { name: 'density slider' });
  await dragSlider(page, density, 0.5, 0.3);
  await expect(panel.getByTestId('ties-counts')).toHaveText(/Kept per model: 3, 3, 3 of 10/);
  await shot(page, panel, 'ties');

  await panel.getByRole('radio', { name: 'Real tensors' }).check();
  await panel.getByRole('radio', { name: '4. Disjoint mean' }).check();
  const real = panel.getByRole('img', { name: /^TIES step 4/ });
  await expectDrawn(real, 'rect', 5 * 256); // two task vectors, the sign, the result, the average
  await expect(panel.getByTestId('ties-counts')).toHaveText(/of 256\./);
  await panel.getByRole('spinbutton', { name: 'Patch: first row' }).fill('32');
  await expect(panel.getByText(/Read whole: trims and masks are the ones the merge makes/)).toBeVisible();
  await panel.getByRole('button', { name: /Switch the recipe to TIES with density = 0\.3/ }).click();
  await expect(yaml(page)).toHaveValue(/merge_method: ties/);
  await expect(yaml(page)).toHaveValue(/density: 0\.3\n/);
  await expect(panel.getByTestId('recipe-density')).toHaveText('0.3');
  await shot(page, panel, 'ties-real');
});

test('DARE and DELLA: histograms before and after, expectation kept; density goes to the recipe', async ({
  page,
}) => {
  const panel = await openStudio(page);
  await panel.getByRole('tab', { name: 'DARE and DELLA' }).click();
  await expectDrawn(
    panel.getByRole('img', { name: /^Histogram of the toy task vector/ }),
    'rect.vis-bar',
    20,
  );
  await expectDrawn(
    panel.getByRole('img', { name: /mean over \d+ seeds sits on the diagonal/ }),
    'circle',
    256,
  );
  await expectDrawn(panel.getByRole('img', { name: /^Share of entries kept by magnitude rank/ }), 'rect', 16);
  await expect(panel.getByTestId('drop-stats')).toHaveText(/of 512/);
  await panel.getByRole('radio', { name: /DELLA/ }).check();
  await expect(panel.getByRole('spinbutton', { name: 'epsilon' })).toBeVisible();
  await shot(page, panel, 'dare');

  await panel.getByRole('radio', { name: 'Real tensors' }).check();
  await expectDrawn(
    panel.getByRole('img', { name: /^Histogram of tinymix-code − tinymix-base/ }),
    'rect.vis-bar',
    20,
  );
  await expect(panel.getByTestId('drop-stats')).toHaveText(/of 16384/);
  await panel.getByLabel('Task vector of').selectOption('tinymix-math');
  await expectDrawn(
    panel.getByRole('img', { name: /^Histogram of tinymix-math − tinymix-base/ }),
    'rect.vis-bar',
    20,
  );
  await panel.getByRole('spinbutton', { name: 'density', exact: true }).fill('0.4');
  await panel.getByRole('button', { name: /Switch the recipe to DELLA with density = 0\.4/ }).click();
  await expect(yaml(page)).toHaveValue(/merge_method: della\n/);
  await expect(yaml(page)).toHaveValue(/density: 0\.4\n/);
  await shot(page, panel, 'dare-real');
});
