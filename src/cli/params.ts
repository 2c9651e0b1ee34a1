// `--param name=value` as the JSON value the template expects. Text from a shell has no types, so
// each value is read through its parameter's derived JSON Schema: "20" becomes 20 for an integer
// and stays "20" for a string. `name=@file` reads the value from a file (long prompts), or
// uploads it when the parameter is an image (x-upload).
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

export interface ParamSources {
  readText: (file: string) => string;
  /** Stores a file for an image parameter (POST /uploads) and gives the value to send. */
  upload: (file: string) => Promise<unknown>;
}

/** `--param` flags → the `params` object of POST /jobs. For an image parameter `name=@file` uploads the file. */
export async function parseParams(flags: string[], parameters: Record<string, ParameterReplyT>, sources: ParamSources): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param ${flag}: expected name=value`);
    const name = flag.slice(0, eq);
    const raw = flag.slice(eq + 1);
    const schema = parameters[name]?.schema;
    if (!raw.startsWith('@')) {
      out[name] = coerceValue(raw, schema);
      continue;
    }
    const file = raw.slice(1);
    if (schema?.['x-upload']) {
      out[name] = await sources.upload(file);
      continue;
    }
    let text: string;
    try {
      text = sources.readText(file).replace(/\r?\n$/, '');
    } catch (err) {
      throw new UsageError(`--param ${name}: cannot read ${file}: ${(err as Error).message}`);
    }
    out[name] = coerceValue(text, schema);
  }
  return out;
}
