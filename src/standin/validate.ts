/**
 * Prompt validation, following ComfyUI's execution.validate_prompt / validate_inputs (§7 and the
 * captures): whole-prompt errors first, then each output validated recursively through its
 * links, failing outputs dropped, and the quirks kept (dependent_outputs appended to every node
 * with errors, errors of a node that raised recorded on that upstream node).
 */
import { existsSync } from 'node:fs';
import type { Logger } from './log.ts';
import { keysOf, numberOf, ordered, pyEquals, pyLess, pyRepr, pyStr } from './pyjson.ts';
import { EXECUTION_PY, frame, Http500, PyException } from './pyerrors.ts';
import type { InputSpec, NodeDef, Registry } from './registry.ts';
import { coerce } from './coerce.ts';

export type Prompt = Record<string, PromptNode>;
export interface PromptNode {
  class_type?: unknown;
  inputs?: Record<string, unknown>;
  _meta?: { title?: unknown };
  [key: string]: unknown;
}

export interface ErrorObject {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeErrors {
  errors: ErrorObject[];
  dependent_outputs: string[];
  class_type: string;
}

export type ValidationResult =
  | { ok: true; outputs: string[]; nodeErrors: Map<string, NodeErrors> }
  | { ok: false; error: ErrorObject; nodeErrors: Map<string, NodeErrors> };

type Verdict = { valid: boolean; errors: ErrorObject[] };

export interface ValidateDeps {
  registry: Registry;
  log: Logger;
  /** Resolves a LoadImage value (annotations, subfolders) to an absolute path. */
  resolveInputPath(name: string): string;
}

const wholeError = (type: string, message: string, details: string, extra: Record<string, unknown> = {}): ErrorObject =>
  ({ type, message, details, extra_info: extra });

/** A value is a link when it is a list (ComfyUI's `isinstance(val, list)`). */
export const isLink = (v: unknown): v is unknown[] => Array.isArray(v);

/** Check the whole-prompt shape; the HTTP layer answers 500 for what Python would trip over. */
export function assertPromptShape(prompt: unknown): asserts prompt is Prompt {
  if (prompt === null || typeof prompt !== 'object' || Array.isArray(prompt)) throw new Http500('prompt is not a dict');
  for (const node of Object.values(prompt)) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) throw new Http500('node is not a dict');
  }
}

function classCheck(prompt: Prompt, registry: Registry): ErrorObject | undefined {
  for (const id of keysOf(prompt)) {
    const node = prompt[id] as PromptNode;
    const rawTitle = node._meta && typeof node._meta === 'object' ? node._meta.title : undefined;
    const title = typeof rawTitle === 'string' ? rawTitle : undefined;
    if (!Object.hasOwn(node, 'class_type')) {
      return wholeError('missing_node_type', `Node '${title ?? `ID #${id}`}' has no class_type. The workflow may be corrupted or a custom node is missing.`,
        `Node ID '#${id}'`, { node_id: id, class_type: null, node_title: title ?? null });
    }
    const cls = node.class_type;
    if (typeof cls !== 'string' || !registry.has(cls)) {
      return wholeError('missing_node_type', `Node '${title ?? pyStr(cls)}' not found. The custom node may not be installed.`,
        `Node ID '#${id}'`, { node_id: id, class_type: cls, node_title: title ?? pyStr(cls) });
    }
  }
  return undefined;
}

function partialIncludes(targets: unknown, id: string): boolean {
  if (targets === null || targets === undefined) return true;
  if (Array.isArray(targets)) return targets.some((t) => t === id);
  if (typeof targets === 'string') return targets.includes(id);
  if (typeof targets === 'object') return Object.hasOwn(targets, id);
  throw new Http500('partial_execution_targets is not iterable');
}

/** validate_node_input: exact, union (comma lists) and `*` aware. */
export function typesCompatible(received: unknown, input: unknown): boolean {
  if (pyEquals(received, input)) return true;
  if (Array.isArray(input) || input === 'COMBO') return Array.isArray(received) || received === 'COMBO';
  if (typeof received !== 'string' || typeof input !== 'string') return false;
  const r = new Set(received.split(',').map((t) => t.trim()));
  const i = new Set(input.split(',').map((t) => t.trim()));
  if (r.has('*') || i.has('*')) return true;
  return [...r].some((t) => i.has(t));
}

function specInfo(spec: InputSpec): [unknown, Record<string, unknown>] {
  return [spec[0], spec[1] ?? ordered([])];
}

/** The (class, prompt index) lookups of a link, raising like Python does. */
function linkedType(prompt: Prompt, registry: Registry, link: unknown[]): unknown {
  const [oid, slot] = link;
  if (typeof oid !== 'string') {
    if (typeof oid === 'object' && oid !== null) throw new PyException('TypeError', `unhashable type: '${Array.isArray(oid) ? 'list' : 'dict'}'`);
    throw new PyException('KeyError', pyRepr(oid));
  }
  const node = Object.hasOwn(prompt, oid) ? prompt[oid] : undefined;
  if (!node) throw new PyException('KeyError', pyRepr(oid));
  if (!Object.hasOwn(node, 'class_type')) throw new PyException('KeyError', "'class_type'");
  const types = registry.outputTypes(String(node.class_type));
  let index = typeof slot === 'boolean' ? Number(slot) : slot;
  if (typeof index !== 'number' || !Number.isInteger(index)) {
    const pyType = index === null ? 'NoneType' : typeof index === 'string' ? 'str' : numberOf(index) !== undefined ? 'float' : 'list';
    throw new PyException('TypeError', `tuple indices must be integers or slices, not ${pyType}`);
  }
  if (index < 0) index += types.length;
  if (index < 0 || index >= types.length) throw new PyException('IndexError', 'tuple index out of range');
  return types[index];
}

const innerTraceback = (): string[] => [
  frame(EXECUTION_PY, 943, 'validate_inputs', 'r = await validate_inputs(prompt_id, prompt, o_id, validated, visiting)'),
  frame(EXECUTION_PY, 921, 'validate_inputs', "o_class_type = prompt[o_id]['class_type']"),
];

class Validator {
  readonly validated = new Map<string, Verdict>();
  readonly #prompt: Prompt;
  readonly #deps: ValidateDeps;

  constructor(prompt: Prompt, deps: ValidateDeps) {
    this.#prompt = prompt;
    this.#deps = deps;
  }

  /** validate_inputs for one node; may throw PyException like the Python code raises. */
  node(id: string, visiting: string[]): Verdict {
    const done = this.validated.get(id);
    if (done) return done;
    const node = this.#prompt[id] as PromptNode;
    if (!Object.hasOwn(node, 'inputs')) throw new PyException('KeyError', "'inputs'");
    const inputs = node.inputs;
    if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) throw new PyException('TypeError', 'inputs is not a dict');
    const classType = String(node.class_type);
    const def = this.#deps.registry.getForValidation(classType) as NodeDef;
    const errors: ErrorObject[] = [];
    let valid = true;
    const path = [...visiting, id];
    for (const { name, category, spec } of this.#deps.registry.inputsOf(def)) {
      const info = specInfo(spec);
      if (!Object.hasOwn(inputs, name)) {
        if (category === 'required') errors.push(wholeError('required_input_missing', 'Required input is missing', name, { input_name: name }));
        continue;
      }
      const val = inputs[name];
      if (isLink(val)) {
        const r = this.#link(id, name, val, info, path, errors);
        if (!r) valid = false;
        continue;
      }
      const err = this.#literal(classType, inputs, name, info);
      if (err) errors.push(err);
    }
    if (classType === 'LoadImage') this.#loadImageCheck(inputs, errors);
    const verdict = { valid: valid && errors.length === 0, errors };
    this.validated.set(id, verdict);
    return verdict;
  }

  /** A linked input; returns false when it makes this node invalid without an own error. */
  #link(id: string, name: string, val: unknown[], info: [unknown, Record<string, unknown>], path: string[], errors: ErrorObject[]): boolean {
    if (val.length !== 2) {
      errors.push(wholeError('bad_linked_input', 'Bad linked input, must be a length-2 list of [node_id, slot_index]', name,
        { input_name: name, input_config: info, received_value: val }));
      return true;
    }
    const receivedType = linkedType(this.#prompt, this.#deps.registry, val);
    if (!typesCompatible(receivedType, info[0])) {
      errors.push(wholeError('return_type_mismatch', 'Return type mismatch between linked nodes',
        `${name}, received_type(${pyStr(receivedType)}) mismatch input_type(${pyStr(info[0])})`,
        { input_name: name, input_config: info, received_type: receivedType, linked_node: val }));
      return true;
    }
    const oid = val[0] as string;
    if (path.includes(oid)) {
      const cycle = [...path.slice(path.indexOf(oid)), oid];
      const text = cycle.map((n) => `${n} (${pyStr(this.#prompt[n]?.class_type)})`).join(' -> ');
      errors.push(wholeError('dependency_cycle', 'Dependency cycle detected', text, { node_id: oid, cycle_nodes: cycle }));
      return true;
    }
    try {
      return this.node(oid, path).valid;
    } catch (err) {
      if (!(err instanceof PyException)) throw err;
      // Recorded on the upstream node, with this node's input as context (see the capture).
      this.validated.set(oid, { valid: false, errors: [wholeError('exception_during_inner_validation', 'Exception when validating inner node', err.message, {
        input_name: name, input_config: info, exception_message: err.message, exception_type: err.pyType,
        traceback: err.traceback.length > 0 ? err.traceback : innerTraceback(), linked_node: val,
      })] });
      return false;
    }
  }

  #literal(classType: string, inputs: Record<string, unknown>, name: string, info: [unknown, Record<string, unknown>]): ErrorObject | undefined {
    let val = inputs[name];
    if (val !== null && typeof val === 'object' && !Array.isArray(val) && Object.hasOwn(val, '__value__')) {
      val = (val as Record<string, unknown>)['__value__'];
      inputs[name] = val;
    }
    const [type, extra] = info;
    const c = coerce(type, val);
    if (!c.ok) {
      return wholeError('invalid_input_type', `Failed to convert an input value to a ${pyStr(type)} value`, `${name}, ${pyStr(val)}, ${c.message}`,
        { input_name: name, input_config: info, received_value: val, exception_message: c.message });
    }
    val = c.value;
    inputs[name] = val;
    // LoadImage validates `image` itself, so the generic checks are skipped for it.
    if (classType === 'LoadImage' && name === 'image') return undefined;
    if (type === 'INT' || type === 'FLOAT') {
      const ext = (k: string): unknown => (Object.hasOwn(extra, k) ? extra[k] : undefined);
      const min = ext('min');
      const max = ext('max');
      if (min !== undefined && pyLess(val, min)) {
        return wholeError('value_smaller_than_min', `Value ${pyStr(val)} smaller than min of ${pyStr(min)}`, name, { input_name: name, input_config: info, received_value: val });
      }
      if (max !== undefined && pyLess(max, val)) {
        return wholeError('value_bigger_than_max', `Value ${pyStr(val)} bigger than max of ${pyStr(max)}`, name, { input_name: name, input_config: info, received_value: val });
      }
    }
    if (Array.isArray(type) || type === 'COMBO') return comboCheck(name, val, info);
    return undefined;
  }

  #loadImageCheck(inputs: Record<string, unknown>, errors: ErrorObject[]): void {
    if (!Object.hasOwn(inputs, 'image') || isLink(inputs['image'])) return;
    const image = pyStr(inputs['image']);
    if (!existsSync(this.#deps.resolveInputPath(image))) {
      errors.push(wholeError('custom_validation_failed', 'Custom validation failed for node', `image - Invalid image file: ${image}`, { input_name: 'image' }));
    }
  }
}

function comboCheck(name: string, val: unknown, info: [unknown, Record<string, unknown>]): ErrorObject | undefined {
  const [type, extra] = info;
  const options = (type === 'COMBO' ? (extra['options'] ?? []) : type) as unknown[];
  const multi = extra['multiselect'] === true && Array.isArray(val);
  const invalid = (multi ? (val as unknown[]) : [val]).filter((v) => !options.some((o) => pyEquals(o, v)));
  if (invalid.length === 0) return undefined;
  const big = options.length > 20;
  return wholeError('value_not_in_list', 'Value not in list',
    `${name}: '${pyStr(val)}' not in ${big ? `(list of length ${options.length})` : pyRepr(options)}`,
    { input_name: name, input_config: big ? null : info, received_value: val });
}

function logFailure(log: Logger, output: string, reasons: ErrorObject[]): void {
  log.error(`Failed to validate prompt for output ${output}:`);
  if (reasons.length > 0) {
    log.error('* (prompt):');
    for (const r of reasons) log.error(`  - ${r.message}: ${r.details}`);
  }
}

/** validate_prompt. The prompt is coerced in place (§7.3), as ComfyUI does. */
export function validatePrompt(prompt: Prompt, partialTargets: unknown, deps: ValidateDeps): ValidationResult {
  const nodeErrors = new Map<string, NodeErrors>();
  const classError = classCheck(prompt, deps.registry);
  if (classError) return { ok: false, error: classError, nodeErrors };
  const outputs = keysOf(prompt).filter((id) => deps.registry.isOutput(String(prompt[id]?.class_type)) && partialIncludes(partialTargets, id));
  if (outputs.length === 0) return { ok: false, error: wholeError('prompt_no_outputs', 'Prompt has no outputs', ''), nodeErrors };
  const v = new Validator(prompt, deps);
  const good: string[] = [];
  const outputErrors: ErrorObject[] = [];
  for (const o of outputs) {
    let verdict: Verdict;
    try {
      verdict = v.node(o, []);
    } catch (err) {
      if (!(err instanceof PyException)) throw err;
      verdict = { valid: false, errors: [wholeError('exception_during_validation', 'Exception when validating node', err.message,
        { exception_type: err.pyType, traceback: err.traceback })] };
      v.validated.set(o, verdict);
    }
    if (verdict.valid) { good.push(o); continue; }
    logFailure(deps.log, o, verdict.errors);
    outputErrors.push(...verdict.errors);
    for (const [id, result] of v.validated) {
      if (result.valid || result.errors.length === 0) continue;
      let entry = nodeErrors.get(id);
      if (!entry) {
        entry = { errors: result.errors, dependent_outputs: [], class_type: String(prompt[id]?.class_type) };
        nodeErrors.set(id, entry);
        deps.log.error(`* ${entry.class_type} ${id}:`);
        for (const r of result.errors) deps.log.error(`  - ${r.message}: ${r.details}`);
      }
      entry.dependent_outputs.push(o);
    }
    deps.log.error('Output will be ignored');
  }
  if (good.length === 0) {
    const details = outputErrors.map((e) => `${e.message}: ${e.details}`).join('\n');
    return { ok: false, error: wholeError('prompt_outputs_failed_validation', 'Prompt outputs failed validation', details), nodeErrors };
  }
  return { ok: true, outputs: good, nodeErrors };
}

