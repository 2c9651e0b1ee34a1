// Workflow templates over REST: upload (API, wrapped or UI format), versions, the stored API
// workflow, and a dry-run render. Thin: every rule lives in src/templates (app.templates).
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ZodTypeProvider } from '../src/http/zod.ts';
import {
  CreateTemplateBody, RenderBody, RenderView, TemplateListView, TemplateNameParams, TemplateVersionParams,
  TemplateView, UpdateTemplateBody,
} from '../src/templates/schemas.ts';
import { ApiWorkflowSchema } from '../src/templates/workflow.ts';

const tags = ['templates'];

const templateRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const templates = app.templates;

  r.post('/templates', {
    schema: {
      summary: 'Store a new template (version 1)',
      description: 'The workflow may be in the API format, a saved /prompt body, or the editor UI format (converted using the backends\' /object_info; 503 until a backend has reported it). ' +
        'Parameters name node inputs by node id, title or class type. The reply has the derived JSON Schema of every parameter, the validation of the workflow against the pool, and suggested parameters when none are declared. ' +
        'Errors: 409 FLEET_TEMPLATE_EXISTS, 422 FLEET_TEMPLATE_BAD_NAME / FLEET_WORKFLOW_FORMAT / FLEET_WORKFLOW_CONVERSION / FLEET_PARAMETER_REFERENCE / FLEET_PARAMS_INVALID, 413 FLEET_BODY_TOO_LARGE, 503 FLEET_NO_NODE_INFO.',
      tags,
      body: CreateTemplateBody,
      response: { 201: TemplateView.describe('The stored template; Location names it') },
    },
  }, async (req, reply) => {
    const view = templates.create(req.body);
    return reply.code(201).header('location', `/templates/${encodeURIComponent(view.name)}`).send(view);
  });

  r.get('/templates', {
    schema: { summary: 'List templates (latest versions)', tags, response: { 200: TemplateListView.describe('Every live template, by name') } },
  }, async () => ({ templates: templates.list() }));

  r.get('/templates/:name', {
    schema: { summary: 'The latest version of a template', tags, params: TemplateNameParams, response: { 200: TemplateView.describe('The template with its parameter schemas') } },
  }, async (req) => templates.get(req.params.name));

  r.get('/templates/:name/versions/:version', {
    schema: { summary: 'One version of a template', description: 'Versions are immutable; older ones stay readable and renderable.', tags, params: TemplateVersionParams, response: { 200: TemplateView.describe('That version') } },
  }, async (req) => templates.get(req.params.name, req.params.version));

  r.put('/templates/:name', {
    schema: {
      summary: 'Store a new version of a template',
      description: 'Same body as POST without the name. The previous versions stay usable by jobs that name them.',
      tags, params: TemplateNameParams, body: UpdateTemplateBody,
      response: { 200: TemplateView.describe('The new version') },
    },
  }, async (req) => templates.update(req.params.name, req.body));

  r.delete('/templates/:name', {
    schema: {
      summary: 'Delete a template',
      description: 'The name disappears from listings and can be created again (its version numbers continue); stored versions remain readable for jobs that already named them.',
      tags, params: TemplateNameParams, response: { 204: z.null().describe('Deleted') },
    },
  }, async (req, reply) => {
    templates.delete(req.params.name);
    return reply.code(204).send(null);
  });

  r.get('/templates/:name/workflow', {
    schema: {
      summary: 'The stored workflow in API format',
      description: 'What ComfyUI\'s POST /prompt takes as `prompt` (UI uploads are returned converted). `?version=` selects a version.',
      tags, params: TemplateNameParams,
      querystring: z.object({ version: z.coerce.number().int().min(1).optional().describe('Version number (default: latest)') }),
      response: { 200: ApiWorkflowSchema },
    },
  }, async (req) => templates.workflow(req.params.name, req.query.version));

  r.post('/templates/:name/render', {
    schema: {
      summary: 'Dry run: render the template with parameters and a patch, and validate it',
      description: 'Queues nothing. Parameters are validated against their schemas (422 FLEET_PARAMS_INVALID, unknown names refused); the rendered prompt is validated against the pool and the result given as `valid`/`errors` ' +
        '(every problem, with node id, title, class, input, value and what was expected). "random" seeds are drawn; `{"upload": id}` values render as "upload:<id>". 503 FLEET_NO_NODE_INFO until a backend has reported its nodes.',
      tags, params: TemplateNameParams, body: RenderBody,
      response: { 200: RenderView.describe('The rendered prompt and its validation') },
    },
  }, async (req) => templates.render(req.params.name, req.body));
};

export default templateRoutes;
