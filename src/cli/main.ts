// The comfy-fleet command line: `comfy-fleet <command> [options]`. It talks to a running service
// over the same public REST and websocket API as any client (--url, --key); `serve` starts one.
import { parseArgs } from 'node:util';
import { ApiError, FleetClient, UnreachableError } from './client.ts';
import { EXIT, type Command, type Io, type OptionSpec } from './command.ts';
import { jobsCommand, serversCommand } from './commands/lists.ts';
import { serveCommand } from './commands/serve.ts';
import { submitCommand } from './commands/submit.ts';
import { templatesCommand } from './commands/templates.ts';
import { watchCommand } from './commands/watch.ts';
import { describeError } from './format.ts';
import { UsageError } from './params.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8787';

const COMMANDS: Command[] = [serveCommand, submitCommand, watchCommand, jobsCommand, serversCommand, templatesCommand];

const GLOBAL: Record<string, OptionSpec> = {
  url: { type: 'string', valueName: 'URL', description: `Service URL (default: $COMFY_FLEET_URL or ${DEFAULT_URL})` },
  key: { type: 'string', valueName: 'KEY', description: 'API key, sent as Authorization: Bearer (default: $COMFY_FLEET_KEY)' },
  help: { type: 'boolean', short: 'h', description: 'Show help' },
};

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.valueName ?? 'VALUE'}` : ''}`;
    return `  ${flag.padEnd(28)} ${o.description}`;
  });
}

export function usage(cmd?: Command): string {
  if (cmd) {
    const globals = cmd.local ? { help: GLOBAL.help as OptionSpec } : GLOBAL;
    return [`usage: comfy-fleet ${cmd.usage}`, '', cmd.summary, '', 'options:', ...optionLines({ ...cmd.options, ...globals }), ''].join('\n');
  }
  return [
    'usage: comfy-fleet <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`),
    '',
    'Run `comfy-fleet <command> --help` for its options.',
    `Exit codes: ${EXIT.OK} ok, ${EXIT.JOB_FAILED} job failed or cancelled, ${EXIT.USAGE} bad usage, ${EXIT.API_ERROR} refused by the service, ${EXIT.UNREACHABLE} service unreachable.`,
    '',
  ].join('\n');
}

export async function runCli(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out.write(usage());
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err.write(`comfy-fleet: unknown command "${name}"\n\n${usage()}`);
    return EXIT.USAGE;
  }
  try {
    const options = { ...cmd.options, ...GLOBAL };
    const { values, positionals } = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    if (values.help) {
      io.out.write(usage(cmd));
      return EXIT.OK;
    }
    const url = (typeof values.url === 'string' ? values.url : undefined) ?? io.env.COMFY_FLEET_URL ?? DEFAULT_URL;
    if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url ${url}: expected an http(s) URL`);
    const key = (typeof values.key === 'string' ? values.key : undefined) ?? io.env.COMFY_FLEET_KEY;
    return await cmd.run({ values, positionals, client: new FleetClient({ url, key }), io });
  } catch (err) {
    const lines = describeError(err);
    io.err.write(lines.map((l, i) => (i === 0 ? `comfy-fleet ${name}: ${l}` : l)).join('\n') + '\n');
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err.write(`usage: comfy-fleet ${cmd.usage}\n`);
      return EXIT.USAGE;
    }
    if (err instanceof ApiError) return EXIT.API_ERROR;
    if (err instanceof UnreachableError) return EXIT.UNREACHABLE;
    // Anything else is a bug in the CLI: keep the stack for the report.
    if (err instanceof Error && err.stack) io.err.write(err.stack + '\n');
    return EXIT.API_ERROR;
  }
}

/** The program: bin/comfy-fleet.js calls this; tests call runCli with their own streams. */
export async function main(): Promise<never> {
  const io: Io = { out: process.stdout, err: process.stderr, env: process.env, cwd: process.cwd() };
  // `comfy-fleet watch <id> | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
    throw err;
  });
  const code = await runCli(process.argv.slice(2), io);
  // Exit explicitly: idle keep-alive connections must not hold the shell for seconds.
  if (process.stdout.writableNeedDrain) await new Promise((r) => process.stdout.once('drain', r));
  process.exit(code);
}
