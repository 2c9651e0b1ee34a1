// The REST shapes of templates, as zod schemas: routes validate with them, openapi.yaml is
// generated from them, and the service's reply types are inferred from them.
import { z } from 'zod';
import { ParametersDeclSchema } from './params.ts';
import { PatchSchema } from './render.ts';
import { ApiWorkflowSchema } from './workflow.ts';

export const TEMPLATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const exampleWorkflow = {
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 16711680 }, _meta: { title: 'Empty Image' } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { filename_prefix: 'modelfree/invert', images: ['2', 0] } },
};

export const TemplateNameParams = z.object({
  name: z.string().min(1).max(200).describe('Template name: letters, digits, . _ - (starting with a letter or digit), at most 64 characters'),
});

export const TemplateVersionParams = TemplateNameParams.extend({
  version: z.coerce.number().int().min(1).describe('Version number, 1 for the first upload'),
});

const TemplateContentFields = {
  workflow: z.unknown().describe('The workflow: API format, a saved /prompt body ({"prompt": {...}}), or the editor UI format (converted with the backends\' /object_info)'),
  parameters: ParametersDeclSchema.optional(),
  description: z.string().max(10_000).optional().describe('Free text shown in listings'),
};

export const CreateTemplateBody = z.object({
  name: z.string().min(1).max(200).describe('Unique name: letters, digits, . _ - (starting with a letter or digit), at most 64 characters'),
  ...TemplateContentFields,
}).meta({ examples: [{ name: 'invert', description: 'Solid colour, inverted', workflow: exampleWorkflow, parameters: { width: { target: { title: 'Empty Image' }, input: 'width' }, prefix: { target: { classType: 'SaveImage' }, input: 'filename_prefix' } } }] });
export type CreateTemplateInput = z.infer<typeof CreateTemplateBody>;

export const UpdateTemplateBody = z.object(TemplateContentFields)
  .meta({ examples: [{ workflow: exampleWorkflow, parameters: { width: { target: { node: '1' }, input: 'width', default: 128 } } }] });
export type UpdateTemplateInput = z.infer<typeof UpdateTemplateBody>;

export const RenderBody = z.object({
  version: z.number().int().min(1).optional().describe('Render this version instead of the latest'),
  params: z.record(z.string(), z.unknown()).default({}).describe('Values of the declared parameters, validated against their schemas; unknown names are refused'),
  patch: PatchSchema.optional(),
}).meta({ examples: [{ params: { width: 256 }, patch: { '3': { filename_prefix: 'tests/run1' } } }] });
export type RenderRequest = z.input<typeof RenderBody>;

const TargetView = z.object({
  nodeId: z.string(),
  title: z.string().nullable(),
  classType: z.string(),
  input: z.string(),
});

export const ParameterView = z.object({
  targets: z.array(TargetView).describe('The node inputs this parameter sets'),
  required: z.boolean(),
  description: z.string().optional(),
  default: z.unknown().optional().describe('Declared default ("random" for seeds), else the value in the workflow'),
  schema: z.record(z.string(), z.unknown()).describe('JSON Schema of the value, derived from /object_info (x-multiline, x-step, x-seed, x-upload are extensions)'),
  source: z.enum(['object_info', 'graph']).describe('graph: no backend has described this input yet, the schema follows the current literal'),
  problem: z.string().optional().describe('Why this parameter cannot be used at the moment'),
});

const IssueView = z.object({
  message: z.string(),
  path: z.string().optional(),
  kind: z.string().optional().describe('e.g. value_bigger_than_max, return_type_mismatch, unknown_class_type'),
  nodeId: z.string().nullable().optional(),
  title: z.string().nullable().optional(),
  classType: z.string().nullable().optional(),
  input: z.string().nullable().optional(),
  value: z.unknown().optional(),
  expected: z.unknown().optional(),
}).loose();

export const ValidationView = z.object({
  valid: z.boolean(),
  code: z.enum(['FLEET_WORKFLOW_INVALID', 'FLEET_NO_CAPABLE_BACKEND']).nullable().describe('The error a queue attempt would get'),
  errors: z.array(IssueView),
  capableBackends: z.array(z.string()).describe('Backends that have every node class and model file the workflow uses'),
});

const DroppedView = z.object({
  nodeId: z.string(),
  type: z.string(),
  title: z.string().optional(),
  reason: z.enum(['muted', 'bypassed', 'note', 'reroute', 'primitive']),
});

export const TemplateView = z.object({
  name: z.string(),
  version: z.number().int(),
  latestVersion: z.number().int(),
  versions: z.array(z.number().int()).describe('Every version number; older ones stay usable'),
  description: z.string().nullable(),
  sourceFormat: z.enum(['api', 'wrapped', 'ui']).describe('The format it was uploaded in; the stored workflow is always API format'),
  createdAt: z.string().describe('When the name was first created (ISO 8601)'),
  versionCreatedAt: z.string().describe('When this version was stored (ISO 8601)'),
  nodeInfo: z.enum(['available', 'missing']).describe('missing: no backend has reported /object_info yet; schemas follow the literals'),
  workflow: ApiWorkflowSchema,
  parameters: z.record(z.string(), ParameterView),
  suggestedParameters: ParametersDeclSchema.optional().describe('Only when none are declared: a ready-to-use `parameters` object for PUT'),
  validation: ValidationView.nullable().optional().describe('On create/update: the stored workflow checked against the pool (null without node info)'),
  conversion: z.object({ dropped: z.array(DroppedView) }).optional().describe('On create/update from the UI format: nodes left out and why'),
}).meta({ examples: [{ name: 'invert', version: 1, latestVersion: 1, versions: [1], description: 'Solid colour, inverted', sourceFormat: 'api', createdAt: '2026-11-25T16:00:00.000Z', versionCreatedAt: '2026-11-25T16:00:00.000Z', nodeInfo: 'available', workflow: exampleWorkflow, parameters: { width: { targets: [{ nodeId: '1', title: 'Empty Image', classType: 'EmptyImage', input: 'width' }], required: false, default: 64, schema: { type: 'integer', minimum: 1, maximum: 16384, 'x-step': 1, default: 64 }, source: 'object_info' } } }] });
export type TemplateViewT = z.infer<typeof TemplateView>;

export const TemplateSummaryView = z.object({
  name: z.string(),
  latestVersion: z.number().int(),
  description: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  nodeCount: z.number().int(),
  parameterNames: z.array(z.string()),
});
export const TemplateListView = z.object({ templates: z.array(TemplateSummaryView) });

export const RenderView = z.object({
  name: z.string(),
  version: z.number().int(),
  prompt: ApiWorkflowSchema.describe('The concrete API-format prompt that would be queued'),
  values: z.record(z.string(), z.unknown()).describe('Effective parameter values (random seeds drawn)'),
  ...ValidationView.shape,
}).meta({ examples: [{ name: 'invert', version: 1, prompt: exampleWorkflow, values: { width: 256 }, valid: true, code: null, errors: [], capableBackends: ['gpu0'] }] });
export type RenderViewT = z.infer<typeof RenderView>;
