/** POST /prompt (§3.3.1): counter, prompt_id check, validation, enqueue, reply. */
import { randomUUID } from 'node:crypto';
import type { Core } from './core.ts';
import { isDict, json, parseJsonBody, serverError } from './http.ts';
import type { Reply } from './http.ts';
import { PyFloat, pyRepr } from './pyjson.ts';
import { Http500 } from './pyerrors.ts';
import type { Ctx } from './router.ts';
import { assertPromptShape, validatePrompt } from './validate.ts';

const SENSITIVE_KEYS = ['auth_token_comfy_org', 'api_key_comfy_org'];
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const promptError = (type: string, message: string, details: string): Reply =>
  json({ error: { type, message, details, extra_info: {} }, node_errors: {} }, 400);

/** The priority: explicit number as float, else the counter (negated with `front`). */
function takeNumber(core: Core, body: Record<string, unknown>): unknown {
  if (Object.hasOwn(body, 'number')) {
    const n = body['number'];
    const v = n instanceof PyFloat ? n.value : typeof n === 'number' ? n : typeof n === 'string' && n.trim() !== '' && !Number.isNaN(Number(n)) ? Number(n) : undefined;
    if (v === undefined) throw new Http500('float() of number failed');
    return new PyFloat(v);
  }
  let number = core.counter.next;
  if (Object.hasOwn(body, 'front') && body['front'] !== false && body['front'] !== null && body['front'] !== 0 && body['front'] !== '') number = -number;
  core.counter.next++;
  return number;
}

function extraDataOf(body: Record<string, unknown>): Record<string, unknown> {
  const extra = Object.hasOwn(body, 'extra_data') ? body['extra_data'] : {};
  if (!isDict(extra)) throw new Http500('extra_data is not a dict');
  if (Object.hasOwn(body, 'client_id')) extra['client_id'] = body['client_id'];
  return extra;
}

export async function postPrompt(ctx: Ctx): Promise<Reply> {
  const { core } = ctx;
  core.log.info('got prompt');
  if (core.faults.takePrompt500()) return serverError(false);
  const raw = parseJsonBody(await ctx.body());
  if (typeof raw !== 'object' || raw === null) throw new Http500('body is not a dict');
  // A JSON list is iterable in Python, so `"prompt" in body` is just false: no_prompt.
  const body: Record<string, unknown> = Array.isArray(raw) ? {} : (raw as Record<string, unknown>);
  const number = takeNumber(core, body);
  if (!Object.hasOwn(body, 'prompt')) return promptError('no_prompt', 'No prompt provided', 'No prompt provided');
  const rawId = body['prompt_id'];
  if (rawId !== undefined && rawId !== null && (typeof rawId !== 'string' || !CANONICAL_UUID.test(rawId))) {
    return promptError('invalid_prompt_id', 'prompt_id must be a valid UUID',
      'prompt_id must be a UUID string in canonical lowercase hyphenated form; omit it to let the server generate one');
  }
  const promptId = typeof rawId === 'string' ? rawId : randomUUID();
  const prompt = body['prompt'];
  assertPromptShape(prompt);
  const partial = Object.hasOwn(body, 'partial_execution_targets') ? body['partial_execution_targets'] : null;
  const result = validatePrompt(prompt, partial, { registry: core.registry, log: core.log, resolveInputPath: core.resolveInputPath });
  const extra = extraDataOf(body);
  if (!result.ok) {
    core.log.warning(`invalid prompt: ${pyRepr(result.error)}`);
    return json({ error: result.error, node_errors: result.nodeErrors }, 400);
  }
  const sensitive: Record<string, unknown> = {};
  for (const k of SENSITIVE_KEYS) {
    if (Object.hasOwn(extra, k)) {
      sensitive[k] = extra[k];
      delete extra[k];
    }
  }
  const comfyUsage = ctx.req.headers['comfy-usage-source'];
  if (!Object.hasOwn(extra, 'comfy_usage_source') && typeof comfyUsage === 'string') extra['comfy_usage_source'] = comfyUsage;
  extra['create_time'] = Date.now();
  core.queue.put({ number, promptId, prompt, extraData: extra, outputs: result.outputs, sensitive });
  return json({ prompt_id: promptId, number, node_errors: result.nodeErrors });
}

