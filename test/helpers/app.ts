import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../src/app.ts';
import { testConfig } from './config.ts';

/** A fresh app per test, closed when the test ends. */
export async function makeApp(
  t: TestContext,
  env: Record<string, string> = {},
  opts: BuildOptions & { setup?: (app: FastifyInstance) => void } = {},
): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(env), { logger: false, startPool: false, ...opts });
  t.after(() => app.close());
  opts.setup?.(app);
  await app.ready();
  return app;
}
