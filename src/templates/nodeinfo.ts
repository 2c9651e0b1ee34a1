// Node definitions as the backends report them (`GET /object_info`, PROTOCOL.md §6), read
// tolerantly: V1 entries omit keys, V3 entries send nulls, custom nodes send anything. The raw
// object is parsed one class at a time, on demand, because a real server lists thousands of
// classes and a workflow uses a dozen.
import { z } from 'zod';

/** What the templates need from the pool: one entry per backend that has reported `/object_info`. */
export interface NodeInfoSource {
  nodeInfo(): BackendNodeInfo[];
}

export interface BackendNodeInfo {
  backendId: string;
  objectInfo: ObjectInfo;
}

const InputGroup = z.record(z.string(), z.unknown()).nullish();

/** One `/object_info` entry; every key may be missing or null (V3 nodes, old servers). */
export const NodeDefSchema = z.object({
  input: z.object({ required: InputGroup, optional: InputGroup, hidden: InputGroup }).loose().nullish(),
  input_order: z.object({
    required: z.array(z.string()).nullish(),
    optional: z.array(z.string()).nullish(),
  }).loose().nullish(),
  output: z.array(z.union([z.string(), z.array(z.unknown())])).nullish(),
  output_name: z.array(z.string().nullable()).nullish(),
  output_node: z.boolean().nullish(),
  name: z.string().nullish(),
  display_name: z.string().nullish(),
  description: z.string().nullish(),
  category: z.string().nullish(),
}).loose();
export type RawNodeDef = z.infer<typeof NodeDefSchema>;

/** The whole `/object_info` reply: class name → definition (parsed lazily, see NodeCatalog). */
export type ObjectInfo = Record<string, unknown>;

export type ComboValue = string | number;

/** An input spec (§6.2) reduced to what conversion, schemas and validation need. */
export type InputSpec =
  | { kind: 'INT' | 'FLOAT'; min?: number; max?: number; step?: number; default?: number; control: boolean; tooltip?: string }
  | { kind: 'STRING'; multiline: boolean; default?: string; tooltip?: string }
  | { kind: 'BOOLEAN'; default?: boolean; tooltip?: string }
  | { kind: 'COMBO'; options: ComboValue[]; default?: ComboValue; upload?: 'image' | 'video' | 'audio'; multiselect: boolean; control: boolean; tooltip?: string }
  | { kind: 'LINK'; type: string; tooltip?: string };

export interface InputDef {
  name: string;
  required: boolean;
  spec: InputSpec;
  /** false for link-only types and for widgets declared with `forceInput`. */
  widget: boolean;
}

export interface NodeDef {
  classType: string;
  displayName: string;
  /** Declared inputs in widget order: required then optional (`input_order`, else key order). */
  inputs: InputDef[];
  /** Output types; a combo output (array) is reported as `COMBO`. */
  outputs: string[];
  outputNode: boolean;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const isComboValue = (v: unknown): v is ComboValue => typeof v === 'string' || typeof v === 'number';

/** KSampler's seed max is 2^64−1, which JSON.parse rounds above MAX_SAFE_INTEGER (§6.2). */
const clampSafe = (n: number | undefined): number | undefined =>
  n === undefined ? undefined : Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n));

function uploadKind(o: Record<string, unknown>): 'image' | 'video' | 'audio' | undefined {
  if (o.image_upload === true) return 'image';
  if (o.video_upload === true) return 'video';
  if (o.audio_upload === true) return 'audio';
  return undefined;
}

/** §6.2 client rule: array first element → legacy combo; 'COMBO' → options in spec[1]. */
export function parseInputSpec(raw: unknown, name: string): InputSpec {
  const arr = Array.isArray(raw) ? raw : [raw];
  const head = arr[0];
  const o = (arr[1] !== null && typeof arr[1] === 'object' && !Array.isArray(arr[1]) ? arr[1] : {}) as Record<string, unknown>;
  const tooltip = str(o.tooltip);
  const control = o.control_after_generate !== undefined && o.control_after_generate !== false;
  if (Array.isArray(head) || head === 'COMBO') {
    const options = (Array.isArray(head) ? head : Array.isArray(o.options) ? o.options : []).filter(isComboValue);
    const def = isComboValue(o.default) ? o.default : undefined;
    return { kind: 'COMBO', options, default: def, upload: uploadKind(o), multiselect: o.multiselect === true || o.multi_select === true, control, tooltip };
  }
  switch (head) {
    case 'INT':
    case 'FLOAT': {
      // The editor adds the control widget to seeds even when the spec does not say so.
      const isSeed = head === 'INT' && (name === 'seed' || name === 'noise_seed');
      return { kind: head, min: clampSafe(num(o.min)), max: clampSafe(num(o.max)), step: num(o.step), default: clampSafe(num(o.default)), control: control || isSeed, tooltip };
    }
    case 'STRING':
      return { kind: 'STRING', multiline: o.multiline === true, default: str(o.default), tooltip };
    case 'BOOLEAN':
      return { kind: 'BOOLEAN', default: typeof o.default === 'boolean' ? o.default : undefined, tooltip };
    default:
      return { kind: 'LINK', type: typeof head === 'string' ? head : '*', tooltip };
  }
}

function inputGroup(raw: RawNodeDef, group: 'required' | 'optional'): InputDef[] {
  const specs = raw.input?.[group] ?? {};
  const order = raw.input_order?.[group] ?? Object.keys(specs);
  const names = [...order, ...Object.keys(specs).filter((k) => !order.includes(k))];
  const out: InputDef[] = [];
  for (const name of names) {
    if (!(name in specs)) continue;
    const rawSpec = specs[name];
    const spec = parseInputSpec(rawSpec, name);
    const opts = Array.isArray(rawSpec) && rawSpec[1] && typeof rawSpec[1] === 'object' ? (rawSpec[1] as Record<string, unknown>) : {};
    out.push({ name, required: group === 'required', spec, widget: spec.kind !== 'LINK' && opts.forceInput !== true });
  }
  return out;
}

export function toNodeDef(classType: string, raw: RawNodeDef): NodeDef {
  return {
    classType,
    displayName: raw.display_name || classType,
    inputs: [...inputGroup(raw, 'required'), ...inputGroup(raw, 'optional')],
    outputs: (raw.output ?? []).map((o) => (typeof o === 'string' ? o : 'COMBO')),
    outputNode: raw.output_node === true,
  };
}

/** Read-only view of node definitions: one backend's, or the union over the pool. */
export interface NodeDefs {
  get(classType: string): NodeDef | undefined;
}

/** One backend's `/object_info`, parsed class by class. An entry that does not parse is treated as absent. */
export class NodeCatalog implements NodeDefs {
  readonly #raw: ObjectInfo;
  readonly #parsed = new Map<string, NodeDef | null>();
  constructor(raw: ObjectInfo) {
    this.#raw = raw;
  }
  get(classType: string): NodeDef | undefined {
    let hit = this.#parsed.get(classType);
    if (hit === undefined) {
      const r = Object.hasOwn(this.#raw, classType) ? NodeDefSchema.safeParse(this.#raw[classType]) : undefined;
      hit = r?.success ? toNodeDef(classType, r.data) : null;
      this.#parsed.set(classType, hit);
    }
    return hit ?? undefined;
  }
}

/**
 * The pool seen as one server: a class exists if any backend has it, and a combo allows a value
 * if any backend lists it (model files differ per backend). Per-backend checks come later, in
 * capability.ts.
 */
export class MergedDefs implements NodeDefs {
  readonly #parts: NodeDefs[];
  readonly #cache = new Map<string, NodeDef | null>();
  constructor(parts: NodeDefs[]) {
    this.#parts = parts;
  }
  get(classType: string): NodeDef | undefined {
    let hit = this.#cache.get(classType);
    if (hit === undefined) {
      const defs = this.#parts.map((p) => p.get(classType)).filter((d): d is NodeDef => d !== undefined);
      hit = defs.length === 0 ? null : mergeDefs(defs);
      this.#cache.set(classType, hit);
    }
    return hit ?? undefined;
  }
}

function mergeDefs([first, ...rest]: NodeDef[]): NodeDef | null {
  if (!first) return null;
  if (rest.length === 0) return first;
  const inputs = first.inputs.map((inp) => {
    if (inp.spec.kind !== 'COMBO') return inp;
    const all = new Set<ComboValue>(inp.spec.options);
    for (const d of rest) {
      const other = d.inputs.find((i) => i.name === inp.name)?.spec;
      if (other?.kind === 'COMBO') for (const v of other.options) all.add(v);
    }
    return { ...inp, spec: { ...inp.spec, options: [...all] } };
  });
  return { ...first, inputs };
}

/** Accepts anything that may grow a `nodeInfo()` method (the pool) and reads it on every call. */
export function nodeInfoOf(holder: object): NodeInfoSource {
  return {
    nodeInfo: () => {
      const fn = (holder as Partial<NodeInfoSource>).nodeInfo;
      return typeof fn === 'function' ? fn.call(holder) : [];
    },
  };
}
