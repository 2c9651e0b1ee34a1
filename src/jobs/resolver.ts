// Turns a job request into the prompt that runs: a template rendered with its params and patch,
// or a raw API-format workflow; either way validated against what the pool's backends can run
// before anything is queued (422 listing every problem).
import { FleetError } from '../errors.ts';
import type { WorkflowResolver } from './service.ts';

export interface TemplateRenderPort {
  /** Renders and validates; throws FleetError (404 unknown template, 422 bad params or graph). */
  renderForJob(input: { name: string; version?: number; params?: Record<string, unknown>; patch?: Record<string, Record<string, unknown>> }):
    Promise<{ prompt: Record<string, unknown>; name: string; version: number }>;
  /** Validates a raw API-format workflow (or the editor format, converted); throws FleetError 422. */
  checkWorkflow(workflow: unknown): Promise<Record<string, unknown>>;
}

export function makeResolver(templates: TemplateRenderPort | null): WorkflowResolver {
  return {
    async resolve(input) {
      if (input.workflow !== undefined) {
        if (!templates) return { prompt: input.workflow, template: null, version: null };
        if (input.params || input.patch) {
          throw new FleetError('FLEET_INVALID_REQUEST', '`params` and `patch` apply to templates; edit a raw `workflow` directly');
        }
        return { prompt: await templates.checkWorkflow(input.workflow), template: null, version: null };
      }
      if (!input.template) throw new FleetError('FLEET_INVALID_REQUEST', 'give exactly one of `template` or `workflow`');
      if (!templates) throw new FleetError('FLEET_TEMPLATE_NOT_FOUND', `No template ${input.template}`);
      const r = await templates.renderForJob({
        name: input.template,
        ...(input.version !== undefined ? { version: input.version } : {}),
        ...(input.params ? { params: input.params } : {}),
        ...(input.patch ? { patch: input.patch } : {}),
      });
      return { prompt: r.prompt, template: r.name, version: r.version };
    },
  };
}
