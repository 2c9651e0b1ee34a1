// Recognises what a client uploaded (PROTOCOL.md §5.3): the API format, the same wrapped as a
// saved `/prompt` body, or the editor's UI format (schema 0.4 with tuple links, or 1 with object
// links). Anything else is refused with a message that says what was expected.
import { z } from 'zod';
import { FleetError, type ProblemItem } from '../errors.ts';
import { ApiNodeSchema, type ApiWorkflow } from './workflow.ts';

const NodeId = z.union([z.number(), z.string()]);

const UiInput = z.object({
  name: z.string(),
  type: z.unknown().optional(),
  link: z.number().nullish(),
  widget: z.object({ name: z.string() }).loose().nullish(),
}).loose();

const UiOutput = z.object({ name: z.string().nullish(), type: z.unknown().optional() }).loose();

export const UiNodeSchema = z.object({
  id: NodeId,
  type: z.string(),
  mode: z.number().nullish(),
  title: z.string().nullish(),
  inputs: z.array(UiInput).nullish(),
  outputs: z.array(UiOutput).nullish(),
  widgets_values: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).nullish(),
}).loose();

const TupleLink = z.tuple([z.number(), NodeId, z.number(), NodeId, z.number()]).rest(z.unknown());
const ObjectLink = z.object({
  id: z.number(),
  origin_id: NodeId,
  origin_slot: z.number(),
  target_id: NodeId,
  target_slot: z.number(),
  type: z.unknown().optional(),
}).loose();

export const UiWorkflowSchema = z.object({
  nodes: z.array(UiNodeSchema),
  links: z.array(z.union([TupleLink, ObjectLink])).nullish(),
  definitions: z.object({ subgraphs: z.array(z.object({ id: z.string() }).loose()).nullish() }).loose().nullish(),
  version: z.number().nullish(),
}).loose();

export type UiNode = z.infer<typeof UiNodeSchema>;
export type UiWorkflow = z.infer<typeof UiWorkflowSchema>;

export type Detected =
  | { format: 'api' | 'wrapped'; api: ApiWorkflow }
  | { format: 'ui'; ui: UiWorkflow };

export type WorkflowFormat = Detected['format'];

const EXPECTED =
  'Expected a ComfyUI workflow: the API format (an object keyed by node id whose every value is ' +
  '{"class_type": string, "inputs": object}), a saved /prompt body ({"prompt": {...}}), or the ' +
  "editor's UI format (an object with a \"nodes\" array and \"links\").";

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function looksLikeUi(x: Record<string, unknown>): boolean {
  return Array.isArray(x.nodes) && (Array.isArray(x.links) || x.version === 1 || 'last_node_id' in x || x.state !== undefined);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export function detectFormat(input: unknown): Detected {
  if (!isPlainObject(input)) throw new FleetError('FLEET_WORKFLOW_FORMAT', `${EXPECTED} Got ${describe(input)}.`);
  const wrapped = isPlainObject(input.prompt);
  const x = wrapped ? (input.prompt as Record<string, unknown>) : input;

  if (looksLikeUi(x)) {
    const r = UiWorkflowSchema.safeParse(x);
    if (!r.success) {
      const errors: ProblemItem[] = r.error.issues.slice(0, 20).map((i) => ({ path: ['workflow', ...i.path.map(String)].join('/'), message: i.message }));
      throw new FleetError('FLEET_WORKFLOW_FORMAT', `This looks like the editor's UI format but its nodes or links are malformed. ${EXPECTED}`, { errors });
    }
    return { format: 'ui', ui: r.data };
  }

  const keys = Object.keys(x);
  if (keys.length === 0) throw new FleetError('FLEET_WORKFLOW_FORMAT', `The workflow has no nodes. ${EXPECTED}`);
  const errors: ProblemItem[] = [];
  for (const key of keys) {
    const r = ApiNodeSchema.safeParse(x[key]);
    if (!r.success) {
      errors.push({ path: `workflow/${key}`, nodeId: key, message: `"${key}" is ${describe(x[key])}, not a node {"class_type": string, "inputs": object}` });
    }
  }
  if (errors.length > 0) {
    throw new FleetError('FLEET_WORKFLOW_FORMAT', `${errors.length} of ${keys.length} top-level entries are not API-format nodes. ${EXPECTED}`, { errors: errors.slice(0, 50) });
  }
  return { format: wrapped ? 'wrapped' : 'api', api: x as ApiWorkflow };
}
