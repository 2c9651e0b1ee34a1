// Writes openapi.yaml from the routes' zod schemas. test/http/openapi.test.ts fails when the
// committed file differs from what this prints.
import { writeFileSync } from 'node:fs';
import { renderOpenApiYaml } from '../test/helpers/openapi.ts';

const out = new URL('../openapi.yaml', import.meta.url);
writeFileSync(out, await renderOpenApiYaml());
console.log(`wrote ${out.pathname}`);
