// What every subcommand is given and returns. Commands write through `io` (never straight to
// process.*) and return their exit code, so main.ts alone decides how the process ends.
import type { FleetClient } from './client.ts';
import type { Stream } from './progress.ts';

export const EXIT = {
  OK: 0,
  /** The job failed or was cancelled. */
  JOB_FAILED: 1,
  USAGE: 2,
  /** The service refused the request (problem+json printed). */
  API_ERROR: 3,
  /** The service could not be reached. */
  UNREACHABLE: 4,
} as const;

export interface Io {
  out: Stream;
  err: Stream;
  env: Record<string, string | undefined>;
  cwd: string;
}

export type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string; description: string; valueName?: string };
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  values: Values;
  positionals: string[];
  client: FleetClient;
  io: Io;
}

export interface Command {
  name: string;
  usage: string;
  summary: string;
  options: Record<string, OptionSpec>;
  /** Does not talk to a running service (no --url / --key). */
  local?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function strings(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}

export const JSON_OPTION: OptionSpec = { type: 'boolean', description: 'Print the reply as JSON instead of text' };
