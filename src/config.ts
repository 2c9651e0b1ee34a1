// Every setting of the service, in one zod schema. Values come from the environment, optionally
// layered over a JSON or YAML file named by CONFIG_FILE (the file uses the same keys as the
// environment). Importing this module does nothing; call loadConfig().
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ApiKeysSchema, type ApiKey } from './auth/keys.ts';
import { OriginsSchema } from './auth/origins.ts';

const csv = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0));

const intFrom = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);

const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Settings whose values must never be echoed in an error message. */
const SECRET_SETTINGS = new Set(['API_KEYS']);

const httpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));

/** Keys are the environment variable names, documented one by one in the README's table. */
export const EnvSchema = z.object({
  PORT: intFrom(8787, 0, 65535).describe('HTTP port of the service'),
  HOST: z.string().min(1).default('127.0.0.1').describe('Address to bind'),
  DATA_DIR: z.string().min(1).default('./data').describe('All state lives under it (database, server records, logs, files)'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
  CONFIG_FILE: z.string().optional().describe('Optional JSON or YAML file with any of these keys; the environment wins'),

  COMFY_PYTHON: z.string().min(1).default('python3').describe('Python executable that runs ComfyUI'),
  COMFY_PATH: z.string().optional().describe('ComfyUI checkout; servers are spawned as `COMFY_PYTHON COMFY_PATH/main.py ...`'),
  COMFY_COMMAND: z.string().optional().describe('Whole command that stands for `python main.py` (overrides COMFY_PYTHON/COMFY_PATH)'),
  COMFY_OUTPUT_DIR: z.string().optional().describe('Output directory shared by spawned servers (default: one per server under DATA_DIR)'),
  COMFY_INPUT_DIR: z.string().optional().describe('Input directory shared by spawned servers (default: one per server under DATA_DIR)'),
  COMFY_SERVERS: csv.pipe(z.array(httpUrl)).default([]).describe('Comma-separated URLs of already-running ComfyUI servers to attach'),
  COMFY_CONNECT_ATTEMPTS: intFrom(60, 1, 10_000).describe('Maximum readiness probes / connection attempts per server start'),
  COMFY_GPUS: csv.default([]).describe('Comma-separated GPU ids; one spawned server per id (`--cuda-device`)'),
  COMFY_SPAWN_COUNT: intFrom(0, 0, 64).describe('Number of servers to spawn when COMFY_GPUS is empty'),
  COMFY_EXTRA_ARGS: z.string().default('').describe('Extra flags appended to every spawned server command line'),
  COMFY_START_TIMEOUT_MS: intFrom(120_000, 100).describe('Upper bound on one server start-up'),
  COMFY_SIMULATED: bool(false).describe('Force the built-in stand-in ComfyUI (set automatically when nothing else is configured)'),
  COMFY_PROBE_INTERVAL_MS: intFrom(1000, 10).describe('Health probe cadence of every backend; also the longest gap between readiness probes'),
  COMFY_PROBE_TIMEOUT_MS: intFrom(5000, 10).describe('Timeout of one health or readiness probe (GET /api/system_stats)'),
  COMFY_RESTART_BACKOFF_MS: intFrom(1000, 0).describe('Delay before restarting a crashed spawned server; doubles with each crash in the window'),
  COMFY_RESTART_BACKOFF_MAX_MS: intFrom(30_000, 0).describe('Upper bound of the restart delay (and of the re-probe delay of an unreachable remote)'),
  COMFY_CRASH_LOOP_COUNT: intFrom(5, 1).describe('Crashes within COMFY_CRASH_LOOP_WINDOW_MS that mark a spawned server `failed` (no more restarts until an operator asks)'),
  COMFY_CRASH_LOOP_WINDOW_MS: intFrom(120_000, 1).describe('Window of the crash-loop breaker'),
  COMFY_STOP_GRACE_MS: intFrom(10_000, 0).describe('After POST /interrupt and SIGTERM to its process group, how long a server may take to exit before SIGKILL'),
  COMFY_LOG_LINES: intFrom(1000, 10, 1_000_000).describe('Lines of stdout/stderr kept in memory per spawned server (all of it also goes to DATA_DIR/servers/<id>/comfy.log)'),
  COMFY_DRAIN_TIMEOUT_MS: intFrom(600_000, 0).describe('DELETE /servers/:id waits this long for the queue of a draining server to empty before stopping it anyway'),
  COMFY_KEEP_ON_EXIT: bool(false).describe('On a clean shutdown leave spawned servers running for the next service start to re-adopt (default: stop them; after a crash or kill -9 they are always re-adopted)'),

  TEMPLATES_DIR: z.string().optional().describe('Directory of workflow templates loaded at start-up'),
  BODY_LIMIT_BYTES: intFrom(10 * 1024 * 1024, 1024).describe('Largest accepted request body'),

  WORKFLOW_MAX_BYTES: intFrom(2 * 1024 * 1024, 1024).describe('Largest workflow (JSON bytes) accepted in a template or a raw job'),
  WORKFLOW_MAX_NODES: intFrom(2000, 1).describe('Most nodes in a workflow'),
  TEMPLATE_MAX_PARAMETERS: intFrom(100, 1).describe('Most parameters a template may declare'),
  UPLOAD_MAX_BYTES: intFrom(50 * 1024 * 1024, 1024).describe('Largest accepted upload (POST /uploads)'),
  JOB_MAX_ATTEMPTS: intFrom(3, 1, 20).describe('Attempts per job before an infrastructure failure fails it'),
  JOB_PREFETCH: intFrom(1, 0, 8).describe('Prompts queued inside each ComfyUI beyond the running one (no idle gap between jobs)'),
  JOB_SILENCE_MS: intFrom(120_000, 100).describe('A running prompt silent this long is checked (/queue, /history); hung → backend recovered, job requeued'),
  JOB_COLLECT_OUTPUTS: bool(true).describe('Copy outputs into DATA_DIR/outputs after success, then delete the prompt from ComfyUI history'),
  WEBHOOK_SECRET: z.string().min(16).optional().describe('Standard Webhooks signing secret (`whsec_...`); default: generated once into DATA_DIR/webhook-secret'),
  JOB_MAX_QUEUED: intFrom(100_000, 1).describe('Queued jobs above which POST /jobs answers 503 with Retry-After'),

  API_KEYS: ApiKeysSchema.describe('API keys as `name:secret:scope+scope` entries, comma-separated (or a YAML list in CONFIG_FILE). Scopes: `read`, `submit` (jobs, uploads; implies read), `admin` (servers, templates, every job; implies both). Secrets: 16+ characters. Empty: no authentication, and the service refuses to bind to anything but loopback'),
  TICKET_TTL_MS: intFrom(60_000, 1000, 3_600_000).describe('Lifetime of a single-use ticket from POST /auth/ticket (for EventSource and WebSocket, which cannot send headers)'),
  CORS_ORIGINS: OriginsSchema.describe('Comma-separated browser origins allowed by CORS and on the websocket (e.g. `https://app.example.com`), or `*`. The service\'s own origin is always allowed'),
  RATE_LIMIT_PER_MINUTE: intFrom(600, 0).describe('Requests per minute per key (per IP without a key); 0 disables. Over the limit: 429 FLEET_RATE_LIMITED with Retry-After'),
  MAX_QUEUED_PER_KEY: intFrom(1000, 0).describe('Queued jobs one key may have at a time; 0 disables. Over the cap: 429 FLEET_QUOTA_EXCEEDED'),
  METRICS_PUBLIC: bool(false).describe('Serve GET /metrics without credentials (otherwise it needs the read scope)'),
  ALLOW_PRIVATE_URLS: bool(false).describe('Allow client-given URLs (webhooks) that resolve to loopback, private, link-local or other non-public addresses'),
  SHUTDOWN_GRACE_MS: intFrom(30_000, 0).describe('On SIGTERM: stop taking jobs (503 FLEET_SHUTTING_DOWN), then wait this long for running jobs to finish before closing'),
});

export type Env = z.input<typeof EnvSchema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  logLevel: z.output<typeof EnvSchema>['LOG_LEVEL'];
  comfy: {
    /** argv prefix that stands for `python main.py`, or null when no server is spawned. */
    command: string[] | null;
    simulated: boolean;
    outputDir: string | null;
    inputDir: string | null;
    servers: string[];
    connectAttempts: number;
    gpus: string[];
    spawnCount: number;
    extraArgs: string[];
    startTimeoutMs: number;
    probeIntervalMs: number;
    probeTimeoutMs: number;
    restartBackoffMs: number;
    restartBackoffMaxMs: number;
    crashLoopCount: number;
    crashLoopWindowMs: number;
    stopGraceMs: number;
    logLines: number;
    drainTimeoutMs: number;
    keepOnExit: boolean;
  };
  templatesDir: string | null;
  bodyLimitBytes: number;
  webhookSecret: string | null;
  uploadMaxBytes: number;
  workflowLimits: { maxWorkflowBytes: number; maxNodes: number; maxParameters: number };
  jobs: { maxAttempts: number; prefetch: number; silenceMs: number; maxQueued: number; collect: boolean };
  auth: {
    /** Digests only (src/auth/keys.ts). Empty means open mode, loopback only. */
    keys: readonly ApiKey[];
    ticketTtlMs: number;
    corsOrigins: readonly string[];
    rateLimitPerMinute: number;
    maxQueuedPerKey: number;
    metricsPublic: boolean;
    allowPrivateUrls: boolean;
  };
  shutdownGraceMs: number;
}

export class ConfigError extends Error {
  readonly code = 'FLEET_CONFIG_INVALID';
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`);
    this.issues = issues;
  }
}

/** Splits a command line on whitespace, honouring simple single and double quotes. */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** The stand-in is spawned through the same supervisor path as ComfyUI, only the command differs. */
export function standinCommand(): string[] {
  const entry = new URL('./standin/main.ts', import.meta.url).pathname;
  return [process.execPath, '--import', 'tsx', entry];
}

function readFileLayer(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`CONFIG_FILE: cannot read ${file}: ${(err as Error).message}`]);
  }
  try {
    const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Error('expected an object of settings');
    }
    // Files may hold numbers, booleans and lists; the schema reads strings like the environment.
    return Object.fromEntries(
      Object.entries(parsed).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]),
    );
  } catch (err) {
    throw new ConfigError([`CONFIG_FILE: ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`]);
  }
}

/** Parses settings; throws ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const fileLayer = env.CONFIG_FILE ? readFileLayer(env.CONFIG_FILE) : {};
  const known = new Set(Object.keys(EnvSchema.shape));
  const merged: Record<string, unknown> = { ...fileLayer };
  for (const key of known) {
    const v = env[key];
    if (v !== undefined && v !== '') merged[key] = v;
  }
  const unknownInFile = Object.keys(fileLayer).filter((k) => !known.has(k));
  const result = EnvSchema.safeParse(merged);
  const issues = unknownInFile.map((k) => `${k}: unknown setting in CONFIG_FILE`);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? '?');
      issues.push(`${name}: ${issue.message}${SECRET_SETTINGS.has(name) ? '' : ` (got ${JSON.stringify(merged[name])})`}`);
    }
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues);
  return fromEnv(result.data);
}

function fromEnv(e: z.output<typeof EnvSchema>): Config {
  let command: string[] | null = null;
  if (e.COMFY_COMMAND) command = splitArgs(e.COMFY_COMMAND);
  else if (e.COMFY_PATH) command = [e.COMFY_PYTHON, path.join(e.COMFY_PATH, 'main.py')];
  // Nothing configured at all: run two simulated servers so the service works out of the box.
  const nothingConfigured = command === null && e.COMFY_SERVERS.length === 0;
  const simulated = e.COMFY_SIMULATED || nothingConfigured;
  if (simulated && command === null) command = standinCommand();
  const defaultCount = nothingConfigured ? 2 : command ? 1 : 0;
  const spawnCount = e.COMFY_GPUS.length > 0 ? e.COMFY_GPUS.length : e.COMFY_SPAWN_COUNT || defaultCount;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    comfy: {
      command,
      simulated,
      outputDir: e.COMFY_OUTPUT_DIR ? path.resolve(e.COMFY_OUTPUT_DIR) : null,
      inputDir: e.COMFY_INPUT_DIR ? path.resolve(e.COMFY_INPUT_DIR) : null,
      servers: e.COMFY_SERVERS,
      connectAttempts: e.COMFY_CONNECT_ATTEMPTS,
      gpus: e.COMFY_GPUS,
      spawnCount: command ? spawnCount : 0,
      extraArgs: splitArgs(e.COMFY_EXTRA_ARGS),
      startTimeoutMs: e.COMFY_START_TIMEOUT_MS,
      probeIntervalMs: e.COMFY_PROBE_INTERVAL_MS,
      probeTimeoutMs: e.COMFY_PROBE_TIMEOUT_MS,
      restartBackoffMs: e.COMFY_RESTART_BACKOFF_MS,
      restartBackoffMaxMs: e.COMFY_RESTART_BACKOFF_MAX_MS,
      crashLoopCount: e.COMFY_CRASH_LOOP_COUNT,
      crashLoopWindowMs: e.COMFY_CRASH_LOOP_WINDOW_MS,
      stopGraceMs: e.COMFY_STOP_GRACE_MS,
      logLines: e.COMFY_LOG_LINES,
      drainTimeoutMs: e.COMFY_DRAIN_TIMEOUT_MS,
      keepOnExit: e.COMFY_KEEP_ON_EXIT,
    },
    templatesDir: e.TEMPLATES_DIR ? path.resolve(e.TEMPLATES_DIR) : null,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    webhookSecret: e.WEBHOOK_SECRET ?? null,
    uploadMaxBytes: e.UPLOAD_MAX_BYTES,
    workflowLimits: { maxWorkflowBytes: e.WORKFLOW_MAX_BYTES, maxNodes: e.WORKFLOW_MAX_NODES, maxParameters: e.TEMPLATE_MAX_PARAMETERS },
    jobs: { maxAttempts: e.JOB_MAX_ATTEMPTS, prefetch: e.JOB_PREFETCH, silenceMs: e.JOB_SILENCE_MS, maxQueued: e.JOB_MAX_QUEUED, collect: e.JOB_COLLECT_OUTPUTS },
    auth: {
      keys: e.API_KEYS,
      ticketTtlMs: e.TICKET_TTL_MS,
      corsOrigins: e.CORS_ORIGINS,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      maxQueuedPerKey: e.MAX_QUEUED_PER_KEY,
      metricsPublic: e.METRICS_PUBLIC,
      allowPrivateUrls: e.ALLOW_PRIVATE_URLS,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  });
}
