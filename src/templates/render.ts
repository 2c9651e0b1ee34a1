// Template + parameter values + patch → a concrete API-format prompt. Parameters are checked
// against their derived schemas first (unknown names refused); then each parameter (given, or
// its declared default) is written into its targets; then the patch sets literal inputs by
// node id, and wins over parameters. Validation of the result is validate.ts's job.
import { z } from 'zod';
import { FleetError, type ProblemItem } from '../errors.ts';
import { issuesToItems } from '../http/zod.ts';
import type { NodeDefs } from './nodeinfo.ts';
import { RANDOM, type DerivedParam } from './schema.ts';
import { cloneJson, isArrayValue, type ApiWorkflow } from './workflow.ts';

export const PatchSchema = z.record(z.string(), z.record(z.string(), z.unknown()))
  .describe('Literal inputs set by node id: {"<node id>": {"<input>": value}}; applied after parameters')
  .meta({ examples: [{ '3': { steps: 30, cfg: 6.5 } }] });
export type Patch = z.infer<typeof PatchSchema>;

export interface RenderInput {
  workflow: ApiWorkflow;
  params: DerivedParam[];
  values: Record<string, unknown>;
  patch?: Patch | undefined;
  defs: NodeDefs | undefined;
  /** Maps `{upload: id}` to a file name on the backend; without it the value becomes "upload:<id>" (dry runs). */
  resolveUpload?: ((id: string) => string) | undefined;
  /** Source of randomness for "random" seeds, in [0, 1); injectable for tests. */
  random?: (() => number) | undefined;
}

export interface RenderOutput {
  prompt: ApiWorkflow;
  /** Every parameter's effective value (random seeds drawn, uploads mapped), for the record. */
  values: Record<string, unknown>;
}

/** 53 random bits from the platform CSPRNG, as a float in [0, 1). */
export function secureRandom(): number {
  const [hi = 0, lo = 0] = crypto.getRandomValues(new Uint32Array(2));
  return ((hi >>> 11) * 2 ** 32 + lo) / 2 ** 53;
}

function drawSeed(p: DerivedParam, random: () => number): number {
  const spec = p.spec?.kind === 'INT' ? p.spec : undefined;
  const min = spec?.min ?? 0;
  const max = spec?.max ?? Number.MAX_SAFE_INTEGER;
  return Math.min(max, min + Math.floor(random() * (max - min + 1)));
}

function checkValues(params: DerivedParam[], values: Record<string, unknown>): void {
  const byName = new Map(params.map((p) => [p.name, p]));
  const items: ProblemItem[] = [];
  for (const [name, v] of Object.entries(values)) {
    const p = byName.get(name);
    if (!p) {
      const known = params.map((x) => x.name);
      items.push({ path: `params/${name}`, parameter: name, message: `Unknown parameter "${name}"; this template has ${known.length ? known.join(', ') : 'no declared parameters (use "patch" to set inputs by node id)'}` });
      continue;
    }
    const r = p.zod.safeParse(v);
    if (!r.success) {
      for (const it of issuesToItems(r.error.issues, `params/${name}`)) {
        items.push({ ...it, parameter: name, value: v, expected: p.jsonSchema, message: `Parameter "${name}": ${it.message}` });
      }
    }
  }
  for (const p of params) {
    if (p.required && values[p.name] === undefined) items.push({ path: `params/${p.name}`, parameter: p.name, message: `Parameter "${p.name}" is required` });
  }
  if (items.length > 0) throw new FleetError('FLEET_PARAMS_INVALID', `${items.length} problem${items.length > 1 ? 's' : ''} with the parameters: ${items[0]?.message ?? ''}`, { errors: items });
}

function effectiveValue(p: DerivedParam, given: unknown, input: RenderInput): unknown {
  const v = given !== undefined ? given : p.declaredDefault;
  if (v === RANDOM && p.spec?.kind === 'INT') return drawSeed(p, input.random ?? secureRandom);
  if (v !== null && typeof v === 'object' && 'upload' in v && typeof v.upload === 'string') {
    return input.resolveUpload ? input.resolveUpload(v.upload) : `upload:${v.upload}`;
  }
  return v;
}

function applyPatch(prompt: ApiWorkflow, patch: Patch, defs: NodeDefs | undefined): void {
  const items: ProblemItem[] = [];
  for (const [nodeId, inputs] of Object.entries(patch)) {
    const node = prompt[nodeId];
    if (!node) {
      items.push({ path: `patch/${nodeId}`, nodeId, message: `No node "${nodeId}" in the workflow; node ids are ${Object.keys(prompt).join(', ')}` });
      continue;
    }
    const def = defs?.get(node.class_type);
    for (const [input, value] of Object.entries(inputs)) {
      const path = `patch/${nodeId}/${input}`;
      const where = `node ${nodeId} (${node._meta?.title ?? node.class_type})`;
      const current = node.inputs[input];
      const declared = def?.inputs.find((i) => i.name === input);
      if (isArrayValue(current)) items.push({ path, nodeId, input, message: `Input "${input}" of ${where} is a link; a patch can only set literal inputs` });
      else if (declared && !declared.widget) items.push({ path, nodeId, input, message: `Input "${input}" of ${where} takes a link, not a value` });
      else if (current === undefined && !declared) {
        const literal = def ? def.inputs.filter((i) => i.widget).map((i) => i.name) : Object.keys(node.inputs).filter((k) => !isArrayValue(node.inputs[k]));
        items.push({ path, nodeId, input, message: `${where} has no input "${input}"; its literal inputs are ${literal.join(', ') || 'none'}` });
      } else if (isArrayValue(value)) items.push({ path, nodeId, input, value, message: `A patch cannot create links; wrap array values as {"__value__": [...]}` });
      else node.inputs[input] = value;
    }
  }
  if (items.length > 0) throw new FleetError('FLEET_PARAMS_INVALID', `${items.length} problem${items.length > 1 ? 's' : ''} with the patch: ${items[0]?.message ?? ''}`, { errors: items });
}

export function renderTemplate(input: RenderInput): RenderOutput {
  checkValues(input.params, input.values);
  const prompt = cloneJson(input.workflow);
  const values: Record<string, unknown> = {};
  for (const p of input.params) {
    const v = effectiveValue(p, input.values[p.name], input);
    if (v === undefined) continue;
    values[p.name] = v;
    for (const t of p.targets) {
      const node = prompt[t.nodeId];
      if (node) node.inputs[t.input] = v;
    }
  }
  if (input.patch) applyPatch(prompt, input.patch, input.defs);
  return { prompt, values };
}
