// HTTP client of the CLI: the public REST API with an optional API key. Every failure becomes
// one of two errors the CLI knows how to print: ApiError (the service answered with a problem)
// or UnreachableError (no answer at all).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export const ProblemSchema = z.object({
  type: z.string().optional(),
  title: z.string().optional(),
  status: z.number().optional(),
  detail: z.string().optional(),
  code: z.string().optional(),
  errors: z.array(z.object({ message: z.string(), path: z.string().optional() }).loose()).optional(),
}).loose();
export type Problem = z.infer<typeof ProblemSchema>;

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

export class UnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    const why = cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause);
    super(`cannot reach the service at ${url}: ${why}`);
    this.name = 'UnreachableError';
  }
}

export interface ClientOptions {
  url: string;
  key?: string | undefined;
}

export class FleetClient {
  readonly url: string;
  readonly #key: string | undefined;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.#key = opts.key || undefined;
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.#key ? { authorization: `Bearer ${this.#key}` } : {}), ...extra };
  }

  /** ws(s):// URL of a path of the service. */
  wsUrl(path: string): string {
    return this.url.replace(/^http/, 'ws') + path;
  }

  /** A raw response; refusals (status ≥ 400) are thrown as ApiError. */
  async fetch(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.url + path, {
        method: init.method ?? 'GET',
        headers: this.headers(init.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' }),
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        ...(init.signal ? { signal: init.signal } : {}),
      });
    } catch (err) {
      throw new UnreachableError(this.url, err);
    }
    if (res.status >= 400) throw new ApiError(res.status, await problemOf(res));
    return res;
  }

  /** POST /uploads (multipart): the value an image parameter takes, `{upload: id}`. */
  async upload(file: string): Promise<{ upload: string }> {
    const form = new FormData();
    form.append('file', new Blob([await readFile(file)]), path.basename(file));
    let res: Response;
    try {
      res = await fetch(`${this.url}/uploads`, { method: 'POST', headers: this.headers({ accept: 'application/json' }), body: form });
    } catch (err) {
      throw new UnreachableError(this.url, err);
    }
    if (res.status >= 400) throw new ApiError(res.status, await problemOf(res));
    const reply = z.object({ id: z.string(), use: z.object({ upload: z.string() }).optional() }).loose().parse(await res.json());
    return reply.use ?? { upload: reply.id };
  }

  /** JSON reply checked against `schema` (unknown fields kept out, missing ones an error). */
  async json<S extends z.ZodType>(schema: S, path: string, init: { method?: string; body?: unknown } = {}): Promise<z.output<S>> {
    const res = await this.fetch(path, init);
    const body: unknown = await res.json();
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ApiError(res.status, { title: 'Unexpected reply', detail: `${init.method ?? 'GET'} ${path}: the reply does not have the expected shape (${z.prettifyError(parsed.error)})` });
    }
    return parsed.data;
  }
}

async function problemOf(res: Response): Promise<Problem> {
  const text = await res.text();
  try {
    const parsed = ProblemSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { status: res.status, ...parsed.data };
  } catch {
    // not JSON: fall through to the raw text
  }
  return { status: res.status, title: res.statusText, detail: text.slice(0, 500) || undefined };
}
