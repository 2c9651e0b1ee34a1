// The demo page in a real headless Chromium (Debian's package, driven by playwright-core) against
// the real app with a spawned stand-in backend: a job submitted through the page shows its
// progress moving, a preview and the output image; a running job can be cancelled; a template can
// be uploaded, and an image for an image parameter. Screenshots go to test-artifacts/ (kept by CI, ignored by git).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { startFleet } from './fleet.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The page in a fresh browser; fails the test if the page logs an error. */
async function openPage(t: TestContext, url: string, width = 1280): Promise<Page> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  t.after(() => assert.deepEqual(problems, [], 'the page logged errors'));
  await page.goto(`${url}/`);
  return page;
}

function tinyPng(): Buffer {
  const png = new PNG({ width: 4, height: 4 });
  png.data.fill(200);
  return PNG.sync.write(png);
}

function needChromium(t: TestContext): boolean {
  if (existsSync(CHROMIUM)) return true;
  const why = `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium; .ci/run does it in CI)`;
  if (process.env.CI) assert.fail(why);
  t.skip(why);
  return false;
}

// Code that runs inside the page is given as text: the tests are compiled without the DOM types.

/** Records every value the progress bar takes, so a test can tell it moved rather than jumped. */
const RECORD_PROGRESS = `(() => {
  const bar = document.getElementById('job-progress');
  window.progressSeen = [];
  new MutationObserver(() => window.progressSeen.push(bar.value)).observe(bar, { attributes: true, attributeFilter: ['value'] });
})()`;
const OUTPUT_LOADED = `(() => {
  const img = document.querySelector('#outputs img');
  return img !== null && img.complete && img.naturalWidth > 0;
})()`;

test('demo page: submit txt2img through the form, see the progress move, a preview and the output image', { timeout: 60_000 }, async (t) => {
  if (!needChromium(t)) return;
  const { url } = await startFleet(t);
  const page = await openPage(t, url);

  await page.getByLabel('Template', { exact: true }).selectOption('txt2img');
  // The form follows the derived schemas: a select for an enum, a number input with bounds, a textarea for a multiline string.
  await assert.doesNotReject(page.getByLabel('sampler').selectOption('heun'));
  assert.equal(await page.getByLabel('steps').getAttribute('min'), '1');
  assert.equal(await page.getByLabel('prompt').evaluate((e) => e.tagName), 'TEXTAREA');
  assert.equal(await page.getByLabel('random').isChecked(), true, 'the seed defaults to random');
  await page.getByLabel('steps').fill('30');
  await page.getByLabel('prompt').fill('a lighthouse at dusk');
  await page.evaluate(RECORD_PROGRESS);
  await page.getByRole('button', { name: 'Run' }).click();

  await page.getByRole('status').filter({ hasText: 'Job running' }).waitFor({ timeout: 20_000 });
  await page.locator('#preview-figure').waitFor({ state: 'visible', timeout: 20_000 });
  const output = page.getByRole('img', { name: /^Output 1:/ });
  await output.waitFor({ timeout: 30_000 });
  await page.waitForFunction(OUTPUT_LOADED);
  assert.equal(await page.locator('#job-status').textContent(), 'Job succeeded');
  assert.equal(await page.locator('#job-progress').getAttribute('value'), '100');
  const seen = (await page.evaluate('window.progressSeen')) as number[];
  const between = new Set(seen.filter((v) => v > 0 && v < 100));
  assert.ok(between.size >= 2, `the progress bar moved through intermediate values (saw ${JSON.stringify(seen)})`);
  // The backends panel lists the stand-in.
  await page.locator('#servers li', { hasText: 'local-1' }).waitFor();
  assert.match(await page.locator('#servers').textContent() ?? '', /stand-in/);

  // The output is the file the service serves for the job.
  const src = await output.getAttribute('src');
  assert.match(src ?? '', /^\/jobs\/[0-9a-f-]{36}\/outputs\/0$/);
  const res = await fetch(url + src);
  assert.equal(res.status, 200);
  assert.deepEqual([...new Uint8Array(await res.arrayBuffer()).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);

  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = path.join(ARTIFACTS, 'demo.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(readFileSync(shot).length > 1000);
});

test('demo page: upload a template by pasting JSON, its form appears; a long job is cancelled from the page', { timeout: 60_000 }, async (t) => {
  if (!needChromium(t)) return;
  const { url } = await startFleet(t);
  const page = await openPage(t, url, 420); // a narrow window: one column

  await page.getByText('Upload a template').click();
  const wrapped = readFileSync(path.resolve(import.meta.dirname, '../../examples/solid-color.json'), 'utf8');
  await page.getByLabel('…or paste its JSON').fill(wrapped);
  await page.getByLabel('Name', { exact: true }).fill('pasted-color');
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.getByText('Stored pasted-color v1.').waitFor();
  assert.equal(await page.getByLabel('Template', { exact: true }).inputValue(), 'pasted-color');
  assert.equal(await page.getByLabel('width').getAttribute('type'), 'number');
  assert.equal(await page.getByLabel('color').getAttribute('max'), '16777215');

  // A value outside the schema's bounds is refused before anything is sent, and said why.
  await page.getByLabel('width').fill('0');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByRole('alert').filter({ hasText: /width/ }).waitFor();

  // An image parameter takes a file name or a file from this computer, uploaded when chosen.
  await page.getByLabel('Template', { exact: true }).selectOption('invert-image');
  assert.equal(await page.getByLabel('image', { exact: true }).inputValue(), 'example.png');
  await page.getByLabel('or upload an image').setInputFiles({ name: 'tiny.png', mimeType: 'image/png', buffer: tinyPng() });
  await page.getByText('Uploaded tiny.png').waitFor();

  await page.getByLabel('Template', { exact: true }).selectOption('txt2img');
  await page.getByLabel('steps').fill('5000');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('#job-progress-text', { hasText: 'step' }).waitFor({ timeout: 20_000 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('status').filter({ hasText: 'Job cancelled' }).waitFor({ timeout: 20_000 });
  assert.equal(await page.getByRole('button', { name: 'Cancel' }).isDisabled(), true);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'demo-narrow-cancelled.png'), fullPage: true });
});
