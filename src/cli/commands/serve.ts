// `serve`: runs the service in this process, exactly as `npm start` does (src/main.ts reads the
// environment, which the flags below fill in; the environment and CONFIG_FILE work as usual).
import path from 'node:path';
import { type Command, str } from '../command.ts';
import { UsageError } from '../params.ts';

const EXAMPLES_DIR = path.resolve(import.meta.dirname, '../../../examples');

export const serveCommand: Command = {
  name: 'serve',
  usage: 'serve [--port N] [--host H] [--data-dir DIR] [--templates DIR | --examples]',
  summary: 'Start the service (like npm start); with no ComfyUI configured it runs stand-ins',
  local: true,
  options: {
    port: { type: 'string', valueName: 'N', description: 'PORT (default 8787)' },
    host: { type: 'string', valueName: 'H', description: 'HOST (default 127.0.0.1)' },
    'data-dir': { type: 'string', valueName: 'DIR', description: 'DATA_DIR (default ./data)' },
    templates: { type: 'string', valueName: 'DIR', description: 'TEMPLATES_DIR: templates loaded at start-up' },
    examples: { type: 'boolean', description: 'Load the example templates shipped with comfy-fleet' },
  },
  async run({ values, positionals, io }) {
    if (positionals.length) throw new UsageError('serve takes no arguments');
    if (values.examples && values.templates) throw new UsageError('give --templates or --examples, not both');
    const set: Record<string, string | undefined> = {
      PORT: str(values, 'port'),
      HOST: str(values, 'host'),
      DATA_DIR: str(values, 'data-dir'),
      TEMPLATES_DIR: values.examples ? EXAMPLES_DIR : str(values, 'templates'),
    };
    for (const [k, v] of Object.entries(set)) if (v !== undefined) io.env[k] = v;
    await import('../../main.ts');
    // main.ts owns the process from here: it exits on SIGINT/SIGTERM or a failed start.
    return new Promise<number>(() => undefined);
  },
};
