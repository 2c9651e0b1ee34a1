// The API ("prompt") format of PROTOCOL.md §5.1, the one shape every template is stored in.
import { z } from 'zod';

export const ApiNodeSchema = z.object({
  class_type: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()),
  _meta: z.object({ title: z.string().optional() }).loose().optional(),
}).loose();

export const ApiWorkflowSchema = z.record(z.string(), ApiNodeSchema)
  .describe('ComfyUI API-format workflow: node id → {class_type, inputs, _meta.title}')
  .meta({ examples: [{ '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 16711680 } }, '2': { class_type: 'SaveImage', inputs: { filename_prefix: 'fleet', images: ['1', 0] } } }] });

export type ApiNode = z.infer<typeof ApiNodeSchema>;
export type ApiWorkflow = z.infer<typeof ApiWorkflowSchema>;
export type Link = [string, number];

/** A link is `[source node id (string), output index (integer)]`; anything else is a literal or malformed. */
export const isLink = (v: unknown): v is Link =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && Number.isInteger(v[1]);

/** Arrays that are not well-formed links: ComfyUI answers `bad_linked_input` for them. */
export const isArrayValue = (v: unknown): v is unknown[] => Array.isArray(v);

export const titleOf = (node: ApiNode | undefined): string | undefined => node?._meta?.title;

/** Deep copy of a JSON value (workflows are plain JSON). */
export const cloneJson = <T>(v: T): T => structuredClone(v);

/** Canonical JSON (sorted keys) so equal content hashes equally whatever the key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
