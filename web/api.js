// REST calls of the demo page. Errors of the API are problem+json (RFC 9457); they become an
// ApiError that keeps the problem so the page can list every item of a 422.

/** @typedef {{type?: string, title?: string, status?: number, detail?: string, code?: string, errors?: {message: string, path?: string}[]}} Problem */

export class ApiError extends Error {
  /** @param {Problem} problem */
  constructor(problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
    this.problem = problem;
  }
}

/**
 * Credentials: the key goes on every request as a bearer token; `ticket` (set only when the
 * service has POST /auth/ticket) gets a short-lived ticket for the websocket URL.
 * @type {{key: string, ticket: null | (() => Promise<string | null>)}}
 */
export const auth = { key: '', ticket: null };

/**
 * @param {string} path
 * @param {{method?: string, body?: unknown, signal?: AbortSignal}} [opts]
 * @returns {Promise<any>} the JSON reply (null for 204)
 */
export async function api(path, opts = {}) {
  const headers = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (auth.key) headers.authorization = `Bearer ${auth.key}`;
  let res;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (err) {
    throw new ApiError({ title: 'The service cannot be reached', detail: `${path}: ${err instanceof Error ? err.message : err}` });
  }
  if (res.status === 204) return null;
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    throw new ApiError(typeof body === 'object' && body ? body : { status: res.status, title: res.statusText, detail: String(body).slice(0, 300) });
  }
  return body;
}

/**
 * POST /uploads (multipart): the value an image parameter takes, `{upload: id}`.
 * @param {File} file
 * @returns {Promise<{upload: string}>}
 */
export async function uploadFile(file) {
  const body = new FormData();
  body.append('file', file, file.name);
  const res = await fetch('/uploads', { method: 'POST', body, headers: auth.key ? { authorization: `Bearer ${auth.key}` } : {} });
  const reply = await res.json().catch(() => ({ status: res.status, title: res.statusText }));
  if (!res.ok) throw new ApiError(reply);
  return reply.use ?? { upload: reply.id };
}

/** A problem as lines a person can read: "title: detail", then one line per listed item. */
export function describeProblem(err) {
  if (!(err instanceof ApiError)) return [String(err instanceof Error ? err.message : err)];
  const p = err.problem;
  const head = p.code ? `${p.code}: ${p.detail ?? p.title}` : (p.detail ?? p.title ?? 'Request failed');
  return [head, ...(p.errors ?? []).map((e) => (e.path ? `${e.path}: ${e.message}` : e.message))];
}
