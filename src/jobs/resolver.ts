// Turns a job request into the prompt that runs: a template rendered with its params and patch,
// or a raw API-format workflow; either way validated against what the pool's backends can run
// before anything is queued (422 listing every problem). Image parameters may name an upload
// (`{"upload": id}`) or another job's output (`{"fromJob": id, "output": n}`, chaining); both
// become content-addressed file names that are copied to the backend before the prompt is posted.
import { FleetError } from '../errors.ts';
import { backendName, type UploadRow } from '../files/uploads.ts';
import type { InputFile } from './ports.ts';
import type { WorkflowResolver } from './service.ts';

export interface TemplateRenderPort {
  /** Renders and validates; throws FleetError (404 unknown template, 422 bad params or graph). */
  renderForJob(
    input: { name: string; version?: number; params?: Record<string, unknown>; patch?: Record<string, Record<string, unknown>> },
    opts?: { resolveUpload?: (id: string) => string },
  ): Promise<{ prompt: Record<string, unknown>; name: string; version: number }>;
  /** Validates a raw API-format workflow (or the editor format, converted); throws FleetError 422. */
  checkWorkflow(workflow: unknown): Promise<Record<string, unknown>>;
}

export interface ResolverDeps {
  templates: TemplateRenderPort | null;
  upload: (id: string) => UploadRow | undefined;
  jobExists: (id: string) => boolean;
}

const CHAIN = /^job:([0-9a-f-]{36})\/(\d+)$/;

const isChain = (v: unknown): v is { fromJob: string; output: number } =>
  typeof v === 'object' && v !== null && typeof (v as { fromJob?: unknown }).fromJob === 'string' &&
  Number.isInteger((v as { output?: unknown }).output) && Object.keys(v).length === 2;

/** `{fromJob, output}` is written as an upload reference the template renderer already understands. */
function chainToUpload(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!params) return params;
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, isChain(v) ? { upload: `job:${v.fromJob}/${v.output}` } : v]));
}

export function makeResolver(deps: ResolverDeps): WorkflowResolver {
  return {
    async resolve(input) {
      if (input.workflow !== undefined) {
        if (input.params || input.patch) {
          throw new FleetError('FLEET_INVALID_REQUEST', '`params` and `patch` apply to templates; edit a raw `workflow` directly');
        }
        const prompt = deps.templates ? await deps.templates.checkWorkflow(input.workflow) : input.workflow;
        return { prompt, template: null, version: null, files: [], after: [] };
      }
      if (!input.template) throw new FleetError('FLEET_INVALID_REQUEST', 'give exactly one of `template` or `workflow`');
      if (!deps.templates) throw new FleetError('FLEET_TEMPLATE_NOT_FOUND', `No template ${input.template}`);
      const files: InputFile[] = [];
      const after = new Set<string>();
      const problems: { message: string; path: string }[] = [];
      const resolveUpload = (ref: string): string => {
        const chain = CHAIN.exec(ref);
        if (chain) {
          const [, job, n] = chain as unknown as [string, string, string];
          if (!deps.jobExists(job)) problems.push({ path: `params/${ref}`, message: `no job ${job} to take output ${n} from` });
          after.add(job);
          const name = `fleet_job_${job.replace(/-/g, '')}_${n}.png`;
          files.push({ name, source: { job, output: Number(n) } });
          return name;
        }
        const row = deps.upload(ref);
        if (!row) {
          problems.push({ path: `params/${ref}`, message: `no upload ${ref} (POST /uploads first)` });
          return ref;
        }
        const name = backendName(row);
        files.push({ name, source: { upload: row.id } });
        return name;
      };
      const r = await deps.templates.renderForJob({
        name: input.template,
        ...(input.version !== undefined ? { version: input.version } : {}),
        ...(input.params ? { params: chainToUpload(input.params) } : {}),
        ...(input.patch ? { patch: input.patch } : {}),
      }, { resolveUpload });
      if (problems.length) throw new FleetError('FLEET_PARAMS_INVALID', problems.map((p) => p.message).join('; '), { errors: problems });
      return { prompt: r.prompt, template: r.name, version: r.version, files, after: [...after] };
    },
  };
}
