import { buildApp } from '../../src/app.ts';
import { buildOpenApi } from '../../src/http/openapi.ts';
import { toYaml } from '../../src/http/yaml.ts';
import { testConfig } from './config.ts';

/** The document exactly as the service serves it, from an app that starts nothing. */
export async function renderOpenApiYaml(): Promise<string> {
  const app = await buildApp(testConfig(), { logger: false, startPool: false });
  try {
    await app.ready();
    return toYaml(buildOpenApi(app.catalog, { version: app.fleetVersion }));
  } finally {
    await app.close();
  }
}
