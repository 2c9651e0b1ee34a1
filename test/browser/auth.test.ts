// With API keys configured: the page asks for a key (kept in sessionStorage), sends it as a
// bearer token and opens the websocket with a single-use ticket; the CLI sends --key /
// COMFY_FLEET_KEY and prints the refusal without one.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { cli } from '../cli/run.ts';
import { startFleet } from './fleet.ts';

const KEY = 'demo-secret-0123456789';
const ENV = { API_KEYS: `demo:${KEY}:admin` };

test('keys required: the page runs a job with a key and a websocket ticket', { timeout: 60_000 }, async (t) => {
  if (!existsSync('/usr/bin/chromium')) {
    if (process.env.CI) assert.fail('/usr/bin/chromium is missing (apt-get install -y chromium)');
    return t.skip('/usr/bin/chromium is missing');
  }
  const { url } = await startFleet(t, ENV, { key: KEY });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const wsUrls: string[] = [];
  page.on('websocket', (ws) => wsUrls.push(ws.url()));
  await page.goto(`${url}/`);

  const key = page.getByLabel('API key');
  await key.waitFor();
  await page.getByRole('alert').filter({ hasText: 'FLEET_UNAUTHORIZED' }).waitFor();
  await key.fill(KEY);
  await key.press('Enter');
  await page.getByLabel('Template', { exact: true }).selectOption('solid-color');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByRole('status').filter({ hasText: 'Job succeeded' }).waitFor({ timeout: 20_000 });
  await page.getByRole('img', { name: /^Output 1:/ }).waitFor();

  assert.equal(await page.evaluate('sessionStorage.getItem("comfy-fleet-key")'), KEY);
  assert.equal(wsUrls.length, 1);
  assert.match(wsUrls[0] ?? '', /\/ws\?ticket=tk_/);
  assert.ok(!wsUrls[0]?.includes(KEY), 'the key itself never goes in a URL');
});

test('keys required: the CLI sends --key or COMFY_FLEET_KEY, and prints the refusal without one', { timeout: 60_000 }, async (t) => {
  const { url } = await startFleet(t, ENV, { key: KEY });
  const refused = await cli(['jobs'], { url });
  assert.equal(refused.code, 3);
  assert.match(refused.stderr, /FLEET_UNAUTHORIZED \(HTTP 401\)/);

  assert.equal((await cli(['jobs', '--key', KEY], { url })).code, 0);
  const sub = await cli(['submit', 'solid-color', '-p', 'width=8', '--no-wait'], { url, env: { COMFY_FLEET_KEY: KEY } });
  assert.equal(sub.code, 0, sub.stderr);
  const watched = await cli(['watch', sub.stdout.trim(), '--key', KEY], { url });
  assert.equal(watched.code, 0, watched.stderr);
  assert.match(watched.stdout, /succeeded/);
});
