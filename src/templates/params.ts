// Declared parameters: a name that stands for one or more node inputs of the workflow. Each
// target names its node by id, title or class type (refs.ts) plus the input to set. Resolution
// happens when a template is stored, so a reference that does not point at exactly one literal
// input is refused up front with the candidates.
import { z } from 'zod';
import { FleetError, type ProblemItem } from '../errors.ts';
import type { NodeDefs } from './nodeinfo.ts';
import { describeRef, resolveNodeRef, type NodeRef } from './refs.ts';
import { isArrayValue, isLink, type ApiWorkflow } from './workflow.ts';

export const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

export const ParameterTargetSchema = z.object({
  node: z.union([z.string().min(1), z.number().int()]).optional().describe('Node id (the key in the API workflow)'),
  title: z.string().min(1).optional().describe('Node title (`_meta.title`); must match exactly one node'),
  classType: z.string().min(1).optional().describe('Node class type; must match exactly one node'),
  input: z.string().min(1).optional().describe('Input name on that node; defaults to the parameter\'s `input`'),
}).strict()
  .refine((t) => [t.node, t.title, t.classType].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of node, title or classType',
  })
  .describe('Which node input the parameter sets');

export const ParameterDeclSchema = z.object({
  target: z.union([ParameterTargetSchema, z.array(ParameterTargetSchema).min(1).max(32)])
    .describe('One target, or several set to the same value (e.g. the seed of two samplers)'),
  input: z.string().min(1).optional().describe('Input name, for targets that do not give their own'),
  description: z.string().max(2000).optional().describe('Overrides the tooltip from /object_info'),
  default: z.unknown().optional().describe('Value used when the parameter is not given; "random" for seeds draws a fresh seed per render'),
  required: z.boolean().optional().describe('true: every render must give this parameter'),
}).strict().meta({ examples: [{ target: { title: 'KSampler' }, input: 'seed', default: 'random' }] });

export const ParametersDeclSchema = z.record(
  z.string().regex(PARAM_NAME, 'a parameter name is a letter or _ followed by up to 63 letters, digits, _ . -'),
  ParameterDeclSchema,
).describe('Named inputs of the template: name → target node input(s)')
  .meta({ examples: [{ prompt: { target: { title: 'Positive Prompt' }, input: 'text' }, seed: { target: [{ node: '3' }], input: 'seed', default: 'random' } }] });

export type ParameterDecl = z.infer<typeof ParameterDeclSchema>;
export type ParametersDecl = z.infer<typeof ParametersDeclSchema>;

export interface ResolvedTarget {
  nodeId: string;
  title: string | null;
  classType: string;
  input: string;
}

export interface ResolvedParam {
  name: string;
  decl: ParameterDecl;
  targets: ResolvedTarget[];
}

type Target = z.infer<typeof ParameterTargetSchema>;

function toRef(t: Target): NodeRef {
  if (t.node !== undefined) return { node: String(t.node) };
  if (t.title !== undefined) return { title: t.title };
  return { classType: t.classType ?? '' };
}

/** Why a node input cannot carry a parameter, or undefined when it can. */
function inputProblem(wf: ApiWorkflow, nodeId: string, input: string, defs: NodeDefs | undefined): string | undefined {
  const node = wf[nodeId];
  if (!node) return `node ${nodeId} does not exist`;
  const current = node.inputs[input];
  if (isLink(current) || isArrayValue(current)) {
    return `input "${input}" of node ${nodeId} is linked from node ${String(current[0])}; a parameter can only set a literal value`;
  }
  const def = defs?.get(node.class_type);
  const declared = def?.inputs.find((i) => i.name === input);
  if (declared && !declared.widget) return `input "${input}" of node ${nodeId} (${node.class_type}) takes a link of type ${declared.spec.kind === 'LINK' ? declared.spec.type : declared.spec.kind}, not a value`;
  if (current !== undefined || declared) return undefined;
  const literal = Object.keys(node.inputs).filter((k) => !isArrayValue(node.inputs[k]));
  const known = def ? def.inputs.filter((i) => i.widget).map((i) => i.name) : literal;
  return `node ${nodeId} (${node._meta?.title ?? node.class_type}) has no input "${input}"; its settable inputs are ${known.join(', ') || 'none'}`;
}

/**
 * Resolves every declaration against the workflow, collecting every problem (a parameter with a
 * problem keeps the targets that did resolve). `defs` may be undefined (no backend has reported
 * yet): inputs are then checked against the graph only.
 */
export function collectParameters(wf: ApiWorkflow, decls: ParametersDecl, defs: NodeDefs | undefined): { params: ResolvedParam[]; problems: ProblemItem[] } {
  const out: ResolvedParam[] = [];
  const problems: ProblemItem[] = [];
  for (const [name, decl] of Object.entries(decls)) {
    const targets: ResolvedTarget[] = [];
    const list = Array.isArray(decl.target) ? decl.target : [decl.target];
    list.forEach((t, i) => {
      const path = `parameters/${name}/target${Array.isArray(decl.target) ? `/${i}` : ''}`;
      const input = t.input ?? decl.input;
      const ref = toRef(t);
      if (!input) {
        problems.push({ path, parameter: name, message: `Parameter "${name}": the target ${describeRef(ref)} names no input (set "input")` });
        return;
      }
      const r = resolveNodeRef(wf, ref);
      if (!r.ok) {
        problems.push({ path, parameter: name, candidates: r.candidates, message: `Parameter "${name}": ${r.message}` });
        return;
      }
      const why = inputProblem(wf, r.nodeId, input, defs);
      if (why) {
        problems.push({ path, parameter: name, nodeId: r.nodeId, input, message: `Parameter "${name}": ${why}` });
        return;
      }
      const node = wf[r.nodeId];
      if (targets.some((x) => x.nodeId === r.nodeId && x.input === input)) return;
      targets.push({ nodeId: r.nodeId, title: node?._meta?.title ?? null, classType: node?.class_type ?? '?', input });
    });
    out.push({ name, decl, targets });
  }
  return { params: out, problems };
}

/** Like collectParameters, but any problem is one 422 FLEET_PARAMETER_REFERENCE listing them all. */
export function resolveParameters(wf: ApiWorkflow, decls: ParametersDecl, defs: NodeDefs | undefined): ResolvedParam[] {
  const { params, problems } = collectParameters(wf, decls, defs);
  if (problems.length > 0) {
    const first = problems[0]?.message ?? '';
    throw new FleetError('FLEET_PARAMETER_REFERENCE', problems.length === 1 ? first : `${first} (and ${problems.length - 1} more)`, { errors: problems });
  }
  return params;
}
