// Every error the service can answer with, declared once: a stable code, its HTTP status and a
// title. Routes throw `new FleetError(code, detail)`; one handler renders RFC 9457 problem+json.

export const ERRORS = {
  // Request shape
  FLEET_NOT_FOUND: { status: 404, title: 'Not found' },
  FLEET_ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  FLEET_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  FLEET_BAD_JSON: { status: 400, title: 'The body is not valid JSON' },
  FLEET_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  FLEET_BODY_TOO_LARGE: { status: 413, title: 'The body is too large' },
  FLEET_INVALID_REQUEST: { status: 400, title: 'The request does not match its schema' },
  FLEET_INTERNAL: { status: 500, title: 'Internal error' },
  FLEET_NOT_READY: { status: 503, title: 'No ComfyUI backend is ready' },

  // Servers (pool)
  FLEET_SERVER_NOT_FOUND: { status: 404, title: 'No such server' },
  FLEET_SERVER_BAD_URL: { status: 422, title: 'The server URL cannot be used' },
  FLEET_SERVER_DUPLICATE: { status: 409, title: 'This server is already in the pool' },
  FLEET_SERVER_INVALID_TRANSITION: { status: 409, title: 'The server cannot do that in its current state' },
  FLEET_SPAWN_DISABLED: { status: 409, title: 'Spawning servers is not configured' },

  // Templates
  FLEET_TEMPLATE_NOT_FOUND: { status: 404, title: 'No such template' },
  FLEET_TEMPLATE_VERSION_NOT_FOUND: { status: 404, title: 'No such template version' },
  FLEET_TEMPLATE_EXISTS: { status: 409, title: 'A template with this name exists' },
  FLEET_TEMPLATE_BAD_NAME: { status: 422, title: 'The template name is not allowed' },
  FLEET_WORKFLOW_FORMAT: { status: 422, title: 'The workflow is not in a format we can use' },
  FLEET_WORKFLOW_CONVERSION: { status: 422, title: 'The editor (UI) workflow cannot be converted' },
  FLEET_PARAMETER_REFERENCE: { status: 422, title: 'A parameter does not point at exactly one node input' },
  FLEET_PARAMS_INVALID: { status: 422, title: 'The parameters are not valid' },
  FLEET_WORKFLOW_INVALID: { status: 422, title: 'The workflow does not validate' },
  FLEET_NO_CAPABLE_BACKEND: { status: 422, title: 'No backend in the pool can run this workflow' },
  FLEET_NO_NODE_INFO: { status: 503, title: 'No backend has reported its node definitions yet' },

  // Jobs
  FLEET_JOB_NOT_FOUND: { status: 404, title: 'No such job' },
  FLEET_OUTPUT_NOT_FOUND: { status: 404, title: 'No such output' },
  FLEET_IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'This Idempotency-Key was used with a different body' },
  FLEET_QUEUE_FULL: { status: 503, title: 'The job queue is full; retry later' },
  FLEET_BACKEND_UNAVAILABLE: { status: 502, title: 'The backend holding this file cannot be reached' },
  FLEET_RANGE_NOT_SATISFIABLE: { status: 416, title: 'The requested range is not satisfiable' },

  // Access control and limits
  FLEET_UNAUTHORIZED: { status: 401, title: 'Missing, unknown or expired credentials' },
  FLEET_FORBIDDEN: { status: 403, title: 'These credentials do not allow this' },
  FLEET_RATE_LIMITED: { status: 429, title: 'Too many requests; retry later' },
  FLEET_QUOTA_EXCEEDED: { status: 429, title: 'Too many queued jobs for this key; retry later' },
  FLEET_URL_FORBIDDEN: { status: 422, title: 'The URL points at a private, local or otherwise forbidden address' },
  FLEET_SHUTTING_DOWN: { status: 503, title: 'The service is shutting down; retry on another instance or later' },

  // Uploads
  FLEET_UPLOAD_NOT_FOUND: { status: 404, title: 'No such upload' },
  FLEET_UPLOAD_TYPE: { status: 415, title: 'This file type is not accepted' },
  FLEET_UPLOAD_MISSING_FILE: { status: 400, title: 'The multipart body has no file part' },
  FLEET_DEPENDENCY_FAILED: { status: 422, title: 'A job this job takes an input from did not succeed' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** One entry of `errors[]`: where it happened and what was expected. */
export interface ProblemItem {
  message: string;
  path?: string;
  [extra: string]: unknown;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: ProblemItem[];
  [extra: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'https://comfy-fleet.dev/errors/';

export class FleetError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly errors: ProblemItem[] | undefined;
  readonly extra: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    detail?: string,
    opts: { errors?: ProblemItem[]; extra?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail ?? ERRORS[code].title, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FleetError';
    this.code = code;
    this.statusCode = ERRORS[code].status;
    this.errors = opts.errors;
    this.extra = opts.extra ?? {};
    this.headers = opts.headers ?? {};
  }

  toProblem(): Problem {
    const p: Problem = {
      type: PROBLEM_TYPE_BASE + this.code,
      title: ERRORS[this.code].title,
      status: this.statusCode,
      detail: this.message,
      code: this.code,
      ...this.extra,
    };
    if (this.errors && this.errors.length > 0) p.errors = this.errors;
    return p;
  }
}

export const isFleetError = (err: unknown): err is FleetError => err instanceof FleetError;
