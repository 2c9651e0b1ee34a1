// Validates an API-format prompt against node definitions the way ComfyUI does on POST /prompt
// (PROTOCOL.md §7), but reports every problem at once, in words a person can act on. Pure: the
// jobs module can run it on raw workflows too. Unlike ComfyUI, nodes unreachable from an output
// are checked as well (a broken spare node is almost always a mistake in a template).
import type { ProblemItem } from '../errors.ts';
import type { InputDef, InputSpec, NodeDef, NodeDefs } from './nodeinfo.ts';
import { isArrayValue, isLink, type ApiNode, type ApiWorkflow } from './workflow.ts';

export const VALIDATION_KINDS = [
  'unknown_class_type', 'required_input_missing', 'bad_linked_input', 'link_to_missing_node',
  'bad_output_slot', 'return_type_mismatch', 'link_required', 'invalid_input_type',
  'value_smaller_than_min', 'value_bigger_than_max', 'value_not_in_list', 'prompt_no_outputs',
  'dependency_cycle',
] as const;
export type ValidationKind = (typeof VALIDATION_KINDS)[number];

export interface ValidationIssue extends ProblemItem {
  kind: ValidationKind;
  nodeId: string | null;
  title: string | null;
  classType: string | null;
  input: string | null;
  value?: unknown;
  expected?: unknown;
  message: string;
  path: string;
}

const MAX_LISTED = 20;

/** ComfyUI's non-strict rule: `*` matches anything, comma lists are unions that must intersect. */
export function typesCompatible(received: string, expected: string): boolean {
  if (received === expected || received === '*' || expected === '*') return true;
  const a = received.split(',').map((t) => t.trim());
  const b = new Set(expected.split(',').map((t) => t.trim()));
  return a.some((t) => b.has(t));
}

const socketType = (spec: InputSpec): string => (spec.kind === 'LINK' ? spec.type : spec.kind);

const where = (id: string, node: ApiNode): string => `node ${id} (${node._meta?.title ?? node.class_type})`;

function listed(options: readonly unknown[]): string {
  const shown = options.slice(0, MAX_LISTED).map((o) => JSON.stringify(o)).join(', ');
  return options.length > MAX_LISTED ? `one of ${options.length} values: ${shown}, …` : `one of ${shown}`;
}

export function expectedText(spec: InputSpec): string {
  switch (spec.kind) {
    case 'INT':
    case 'FLOAT': {
      const range = [spec.min !== undefined ? `≥ ${spec.min}` : '', spec.max !== undefined ? `≤ ${spec.max}` : ''].filter(Boolean).join(' and ');
      return `${spec.kind === 'INT' ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}`;
    }
    case 'STRING': return 'a string';
    case 'BOOLEAN': return 'true or false (a JSON boolean)';
    case 'COMBO': return spec.upload ? `the name of a file in the input folder (${spec.upload})` : listed(spec.options);
    case 'LINK': return `a link ["<node id>", <output index>] from an output of type ${spec.type}`;
  }
}

type Emit = (kind: ValidationKind, input: string | null, message: string, extra?: { value?: unknown; expected?: unknown }) => void;

/** A literal value against its spec (§7.2 order: type, then min, max, then list). */
function checkLiteral(spec: InputSpec, raw: unknown, inp: InputDef, emit: Emit): void {
  const v = raw !== null && typeof raw === 'object' && '__value__' in raw ? (raw as { __value__: unknown }).__value__ : raw;
  const expected = expectedText(spec);
  const bad = (kind: ValidationKind, msg: string) => emit(kind, inp.name, msg, { value: v, expected });
  switch (spec.kind) {
    case 'LINK':
      return bad('link_required', `Input "${inp.name}" needs ${expected}, got the literal ${JSON.stringify(v)}`);
    case 'INT':
    case 'FLOAT':
      if (typeof v !== 'number' || !Number.isFinite(v) || (spec.kind === 'INT' && !Number.isInteger(v))) {
        return bad('invalid_input_type', `Input "${inp.name}" must be ${expected}, got ${JSON.stringify(v)}`);
      }
      if (spec.min !== undefined && v < spec.min) return bad('value_smaller_than_min', `Input "${inp.name}" is ${v}, smaller than the minimum ${spec.min}`);
      if (spec.max !== undefined && v > spec.max) return bad('value_bigger_than_max', `Input "${inp.name}" is ${v}, bigger than the maximum ${spec.max}`);
      return;
    case 'STRING':
      if (typeof v !== 'string') bad('invalid_input_type', `Input "${inp.name}" must be a string, got ${JSON.stringify(v)}`);
      return;
    case 'BOOLEAN':
      if (typeof v !== 'boolean') bad('invalid_input_type', `Input "${inp.name}" must be true or false, got ${JSON.stringify(v)} (ComfyUI would read "false" as true)`);
      return;
    case 'COMBO':
      // Upload inputs are checked by the node itself against the input folder (§7.2 notes).
      if (spec.upload) {
        if (typeof v !== 'string' || v === '') bad('invalid_input_type', `Input "${inp.name}" must be a file name, got ${JSON.stringify(v)}`);
        return;
      }
      if (spec.options.length > 0 && !spec.options.includes(v as string)) {
        bad('value_not_in_list', `Input "${inp.name}" is ${JSON.stringify(v)}, which is not ${expected}`);
      }
  }
}

function checkLink(wf: ApiWorkflow, v: unknown, spec: InputSpec | undefined, name: string, defs: NodeDefs, emit: Emit): void {
  if (!isLink(v)) {
    const hint = Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' ? ' (the node id must be a string, e.g. ["4", 0])' : '';
    return emit('bad_linked_input', name, `Input "${name}" is an array but not a link ["<node id>", <output index>]${hint}; wrap array literals as {"__value__": [...]}`, { value: v, expected: '["<node id>", <output index>]' });
  }
  const [srcId, slot] = v;
  const src = wf[srcId];
  if (!src) return emit('link_to_missing_node', name, `Input "${name}" links to node "${srcId}", which is not in the workflow`, { value: v, expected: `one of the node ids ${Object.keys(wf).slice(0, MAX_LISTED).join(', ')}` });
  const srcDef = defs.get(src.class_type);
  if (!srcDef) return; // reported as unknown_class_type on the source node
  const outputs = srcDef.outputs.map((t, i) => `${i} ${t}`).join(', ') || 'none';
  const type = srcDef.outputs[slot];
  if (type === undefined || slot < 0) {
    return emit('bad_output_slot', name, `Input "${name}" takes output ${slot} of ${where(srcId, src)}, which has outputs ${outputs}`, { value: v, expected: `an output index of ${src.class_type}: ${outputs}` });
  }
  if (spec && !typesCompatible(type, socketType(spec))) {
    emit('return_type_mismatch', name, `Input "${name}" expects ${socketType(spec)} but output ${slot} of ${where(srcId, src)} gives ${type}`, { value: v, expected: socketType(spec) });
  }
}

function checkNode(wf: ApiWorkflow, id: string, node: ApiNode, def: NodeDef, defs: NodeDefs, emit: Emit): void {
  for (const inp of def.inputs) {
    const v = node.inputs[inp.name];
    if (v === undefined) {
      if (inp.required) emit('required_input_missing', inp.name, `Required input "${inp.name}" is missing (${expectedText(inp.spec)})`, { expected: expectedText(inp.spec) });
    } else if (isArrayValue(v)) {
      checkLink(wf, v, inp.spec, inp.name, defs, emit);
    } else {
      checkLiteral(inp.spec, v, inp, emit);
    }
  }
  // Undeclared literals are ignored by ComfyUI, undeclared links are still followed.
  for (const [name, v] of Object.entries(node.inputs)) {
    if (isArrayValue(v) && !def.inputs.some((i) => i.name === name)) checkLink(wf, v, undefined, name, defs, emit);
  }
}

/** Each cycle once, as `3 (KSampler) -> 8 (VAEDecode) -> 3 (KSampler)`. */
function findCycles(wf: ApiWorkflow): string[][] {
  const state = new Map<string, 1 | 2>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 1);
    stack.push(id);
    for (const v of Object.values(wf[id]?.inputs ?? {})) {
      if (!isLink(v) || !wf[v[0]]) continue;
      const s = state.get(v[0]);
      if (s === 1) cycles.push([...stack.slice(stack.indexOf(v[0])), v[0]]);
      else if (s === undefined) visit(v[0]);
    }
    stack.pop();
    state.set(id, 2);
  };
  for (const id of Object.keys(wf)) if (!state.has(id)) visit(id);
  return cycles;
}

/** Every problem of `wf` against `defs`, in node order; empty when ComfyUI would accept it. */
export function validateWorkflow(wf: ApiWorkflow, defs: NodeDefs): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  let outputs = 0;
  for (const [id, node] of Object.entries(wf)) {
    const emit: Emit = (kind, input, message, extra = {}) => issues.push({
      kind, nodeId: id, title: node._meta?.title ?? null, classType: node.class_type, input,
      ...extra, message: `${where(id, node)}: ${message}`, path: input ? `prompt/${id}/inputs/${input}` : `prompt/${id}`,
    });
    const def = defs.get(node.class_type);
    if (!def) {
      emit('unknown_class_type', null, `class "${node.class_type}" is not known to any backend (custom node not installed?)`, { value: node.class_type });
      continue;
    }
    if (def.outputNode) outputs++;
    checkNode(wf, id, node, def, defs, emit);
  }
  if (outputs === 0) {
    issues.push({ kind: 'prompt_no_outputs', nodeId: null, title: null, classType: null, input: null, path: 'prompt', expected: 'at least one output node, e.g. SaveImage or PreviewImage', message: 'The workflow has no output node (such as SaveImage or PreviewImage), so ComfyUI would run nothing' });
  }
  for (const cycle of findCycles(wf)) {
    const [head = ''] = cycle;
    const text = cycle.map((id) => `${id} (${wf[id]?._meta?.title ?? wf[id]?.class_type ?? '?'})`).join(' -> ');
    issues.push({ kind: 'dependency_cycle', nodeId: head, title: wf[head]?._meta?.title ?? null, classType: wf[head]?.class_type ?? null, input: null, value: cycle, path: `prompt/${head}`, message: `Dependency cycle: ${text}` });
  }
  return issues;
}
