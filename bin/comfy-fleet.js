#!/usr/bin/env node
// The `comfy-fleet` command: registers tsx so the TypeScript sources run as they are (no build
// step, same as `npm start`), then hands over to src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main();
