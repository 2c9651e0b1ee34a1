// A real fleet for end-to-end tests of the page and the CLI: the app listening on a free port,
// one spawned stand-in backend, and the templates of examples/ loaded. Closed when the test ends.
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { testConfig } from '../helpers/config.ts';
import { until } from '../helpers/jobs.ts';

export const EXAMPLES_DIR = path.resolve(import.meta.dirname, '../../examples');

export interface Fleet {
  app: FastifyInstance;
  url: string;
}

/** `key`: an API key for the readiness checks when `env` configures API_KEYS. */
export async function startFleet(t: TestContext, env: Record<string, string> = {}, opts: { key?: string } = {}): Promise<Fleet> {
  // Spawned stand-ins inherit the environment: sampler steps slow enough that progress is seen
  // moving, yet a 20-step job stays around a second.
  process.env.STANDIN_STEP_MS ??= '50';
  const config = testConfig({
    COMFY_SERVERS: '',
    COMFY_SIMULATED: 'true',
    COMFY_SPAWN_COUNT: '1',
    COMFY_EXTRA_ARGS: '--preview-method auto',
    COMFY_STOP_GRACE_MS: '2000',
    TEMPLATES_DIR: EXAMPLES_DIR,
    ...env,
  });
  const app = await buildApp(config, { logger: false });
  t.after(() => app.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  await until(async () => (await fetch(`${url}/ready`)).status, (s) => s === 200, 30_000, 'a ready stand-in backend');
  const headers = opts.key ? { authorization: `Bearer ${opts.key}` } : undefined;
  await until(async () => ((await (await fetch(`${url}/templates`, { headers })).json()) as { templates: unknown[] }).templates.length, (n) => n >= 3, 10_000, 'the example templates');
  return { app, url };
}
