// `--param name=value` as the JSON value the template expects. Text from a shell has no types, so
// each value is read through its parameter's derived JSON Schema: "20" becomes 20 for an integer
// and stays "20" for a string. `name=@file` reads the value from a file (long prompts).
import { readFileSync } from 'node:fs';
import type { ParameterReplyT } from './replies.ts';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Schema = Record<string, unknown>;

function alternatives(schema: Schema): Schema[] {
  const any = schema.anyOf ?? schema.oneOf;
  return Array.isArray(any) ? (any as Schema[]) : [schema];
}

const NUMERIC = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** The typed value of one parameter, or the raw text when the schema takes text. */
export function coerceValue(raw: string, schema: Schema | undefined): unknown {
  if (!schema) {
    // Unknown parameter: the service will refuse it and list the real ones; send it readable.
    try { return JSON.parse(raw); } catch { return raw; }
  }
  const alts = alternatives(schema);
  for (const s of alts) {
    const options = Array.isArray(s.enum) ? s.enum : s.const !== undefined ? [s.const] : null;
    const match = options?.find((o) => String(o) === raw);
    if (match !== undefined) return match;
  }
  if (NUMERIC.test(raw.trim()) && alts.some((s) => s.type === 'integer' || s.type === 'number')) return Number(raw);
  if ((raw === 'true' || raw === 'false') && alts.some((s) => s.type === 'boolean')) return raw === 'true';
  if (alts.some((s) => s.type === 'string')) return raw;
  if (alts.some((s) => s.type === 'object' || s.type === 'array')) {
    try { return JSON.parse(raw); } catch { return raw; }
  }
  return raw;
}

/** `--param` flags → the `params` object of POST /jobs. */
export function parseParams(flags: string[], parameters: Record<string, ParameterReplyT>, readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param ${flag}: expected name=value`);
    const name = flag.slice(0, eq);
    let raw = flag.slice(eq + 1);
    if (raw.startsWith('@')) {
      try {
        raw = readFile(raw.slice(1)).replace(/\r?\n$/, '');
      } catch (err) {
        throw new UsageError(`--param ${name}: cannot read ${raw.slice(1)}: ${(err as Error).message}`);
      }
    }
    out[name] = coerceValue(raw, parameters[name]?.schema);
  }
  return out;
}
