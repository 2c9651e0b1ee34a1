// Each parameter's value schema, derived from the backends' `/object_info` (PROTOCOL.md §6.2):
// one zod schema validates render requests and the JSON Schema published to clients is generated
// from that same zod schema. Without node info the schema falls back to the type of the literal
// currently in the workflow (`source: "graph"`).
import { z } from 'zod';
import type { InputSpec, NodeDefs } from './nodeinfo.ts';
import type { ResolvedParam, ResolvedTarget } from './params.ts';
import type { ApiWorkflow } from './workflow.ts';

export const RANDOM = 'random';

/** A file the job will upload (`{upload: id}`, mapped by the jobs module) or a file name already in the backend's input folder. */
export const UploadRefSchema = z.union([
  z.string().min(1).describe('File name relative to the backend input directory, e.g. "example.png" or "sub/x.png [output]"'),
  z.object({ upload: z.string().min(1).describe('Id of a file uploaded to the fleet') }).strict(),
]);

export interface DerivedParam {
  name: string;
  targets: ResolvedTarget[];
  required: boolean;
  description: string | undefined;
  /** What a render uses when the parameter is not given: declared default, else the workflow's current value. */
  default: unknown;
  /** The template's own default, applied when a render does not give the parameter (undefined: leave the workflow's values). */
  declaredDefault: unknown;
  source: 'object_info' | 'graph';
  spec: InputSpec | undefined;
  /** Validates a given value (not applied to defaults). */
  zod: z.ZodType;
  jsonSchema: Record<string, unknown>;
  /** Set when the targets' types cannot share one value. */
  conflict: string | undefined;
}

function specFromLiteral(v: unknown, input: string): InputSpec | undefined {
  const seed = input === 'seed' || input === 'noise_seed';
  // JSON cannot tell 7.0 from 7, so only seeds are taken as integers; the node info, once known, is exact.
  if (typeof v === 'number') return seed && Number.isInteger(v) ? { kind: 'INT', control: true } : { kind: 'FLOAT', control: false };
  if (typeof v === 'string') return { kind: 'STRING', multiline: false };
  if (typeof v === 'boolean') return { kind: 'BOOLEAN' };
  return undefined;
}

function combine(specs: InputSpec[]): { spec: InputSpec | undefined; conflict?: string } {
  const [first, ...rest] = specs;
  if (!first) return { spec: undefined };
  let spec: InputSpec = first;
  for (const s of rest) {
    if (s.kind !== spec.kind) return { spec: first, conflict: `its targets take different types (${spec.kind} and ${s.kind})` };
    if ((spec.kind === 'INT' || spec.kind === 'FLOAT') && (s.kind === 'INT' || s.kind === 'FLOAT')) {
      const min = spec.min === undefined ? s.min : s.min === undefined ? spec.min : Math.max(spec.min, s.min);
      const max = spec.max === undefined ? s.max : s.max === undefined ? spec.max : Math.min(spec.max, s.max);
      spec = { ...spec, min, max, control: spec.control || s.control };
    } else if (spec.kind === 'COMBO' && s.kind === 'COMBO') {
      spec = spec.upload ? spec : { ...spec, options: spec.options.filter((o) => s.options.includes(o)) };
    }
  }
  return { spec };
}

/** Value schema for one input spec; JSON Schema extensions carry what JSON Schema cannot say. */
export function valueSchema(spec: InputSpec | undefined): z.ZodType {
  if (!spec) return z.unknown();
  switch (spec.kind) {
    case 'INT': {
      let s = z.int();
      if (spec.min !== undefined) s = s.min(spec.min);
      if (spec.max !== undefined) s = s.max(spec.max);
      // step is a UI hint (ComfyUI accepts any integer in range), so it is not enforced.
      const meta = { ...(spec.step !== undefined ? { 'x-step': spec.step } : {}), ...(spec.control ? { 'x-seed': true } : {}) };
      return spec.control ? z.union([s.meta(meta), z.literal(RANDOM).describe('a fresh random seed')]) : s.meta(meta);
    }
    case 'FLOAT': {
      let s = z.number();
      if (spec.min !== undefined) s = s.min(spec.min);
      if (spec.max !== undefined) s = s.max(spec.max);
      return spec.step !== undefined ? s.meta({ 'x-step': spec.step }) : s;
    }
    case 'STRING':
      return z.string().meta({ 'x-multiline': spec.multiline });
    case 'BOOLEAN':
      return z.boolean();
    case 'COMBO': {
      if (spec.upload) return UploadRefSchema.meta({ 'x-upload': spec.upload });
      const [a, b, ...more] = spec.options;
      if (a === undefined) return z.union([z.string(), z.number()]);
      return b === undefined ? z.literal(a) : z.literal([a, b, ...more]);
    }
    case 'LINK':
      return z.never();
  }
}

function jsonSchemaOf(zod: z.ZodType, extra: Record<string, unknown>): Record<string, unknown> {
  const js = z.toJSONSchema(zod, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  delete js.$schema;
  return { ...js, ...extra };
}

/** Derives one parameter's schema; `defs` undefined means no backend has reported node info. */
export function deriveParameter(wf: ApiWorkflow, p: ResolvedParam, defs: NodeDefs | undefined): DerivedParam {
  const specs: InputSpec[] = [];
  let source: DerivedParam['source'] = 'object_info';
  let tooltip: string | undefined;
  for (const t of p.targets) {
    const fromInfo = defs?.get(t.classType)?.inputs.find((i) => i.name === t.input)?.spec;
    const spec = fromInfo ?? specFromLiteral(wf[t.nodeId]?.inputs[t.input], t.input);
    if (!fromInfo) source = 'graph';
    if (spec) specs.push(spec);
    tooltip ??= spec?.tooltip;
  }
  const { spec, conflict } = combine(specs);
  const zod = valueSchema(spec);
  const first = p.targets[0];
  const current = first ? wf[first.nodeId]?.inputs[first.input] : undefined;
  const def = p.decl.default !== undefined ? p.decl.default : current !== undefined ? current : defaultOf(spec);
  const description = p.decl.description ?? tooltip;
  const jsonSchema = jsonSchemaOf(zod, {
    ...(description ? { description } : {}),
    ...(def !== undefined ? { default: def } : {}),
  });
  return { name: p.name, targets: p.targets, required: p.decl.required === true, description, default: def, declaredDefault: p.decl.default, source, spec, zod, jsonSchema, conflict };
}

function defaultOf(spec: InputSpec | undefined): unknown {
  if (!spec || spec.kind === 'LINK') return undefined;
  return spec.default;
}

/** Problems with a declaration once its schema is known: type conflicts and bad declared defaults. */
export function declarationProblems(d: DerivedParam): { kind: 'conflict' | 'default'; message: string }[] {
  const out: { kind: 'conflict' | 'default'; message: string }[] = [];
  if (d.conflict) out.push({ kind: 'conflict', message: `Parameter "${d.name}": ${d.conflict}` });
  const given = d.declaredDefault;
  if (given === RANDOM && d.spec !== undefined && d.spec.kind !== 'INT') {
    out.push({ kind: 'default', message: `Parameter "${d.name}": the default "random" is only for integer (seed) inputs` });
  } else if (given !== undefined && given !== RANDOM) {
    const r = d.zod.safeParse(given);
    if (!r.success) out.push({ kind: 'default', message: `Parameter "${d.name}": default ${JSON.stringify(given)} is not valid: ${r.error.issues[0]?.message ?? 'invalid'}` });
  }
  return out;
}
