// The template registry: upload (any format, converted to API), named parameters, immutable
// versions, rendering and validation against the pool's node definitions. Routes and the jobs
// module call this; it never calls HTTP.
//
// Without node info (no backend has reported /object_info yet): API-format uploads are stored,
// parameter references are checked against the graph, and schemas follow the literals
// (`source: "graph"`) until info arrives, since they are derived on every read. UI-format
// uploads and renders need the definitions and answer 503 FLEET_NO_NODE_INFO.
import { createHash } from 'node:crypto';
import type { Db } from '../db/db.ts';
import { FleetError, isFleetError, type ProblemItem } from '../errors.ts';
import { checkWorkflow, type WorkflowCheck } from './check.ts';
import { convertUiToApi, type ConversionNote } from './convert.ts';
import { readTemplateDirectory, type DirectoryReport, type TemplateFile } from './directory.ts';
import { detectFormat } from './format.ts';
import { MergedDefs, NodeCatalog, type BackendNodeInfo, type NodeDefs, type NodeInfoSource } from './nodeinfo.ts';
import { collectParameters, resolveParameters, type ParametersDecl } from './params.ts';
import { renderTemplate } from './render.ts';
import { declarationProblems, deriveParameter, type DerivedParam } from './schema.ts';
import { TEMPLATE_NAME, type CreateTemplateInput, type RenderRequest, type RenderViewT, type TemplateViewT, type UpdateTemplateInput } from './schemas.ts';
import { TemplateStore, type StoredVersion, type TemplateSummary, type VersionContent } from './store.ts';
import { suggestParameters } from './suggest.ts';
import { canonicalJson, type ApiWorkflow } from './workflow.ts';

export interface TemplateLimits {
  /** Largest workflow, as serialized JSON. */
  maxWorkflowBytes: number;
  maxNodes: number;
  maxParameters: number;
}

export const DEFAULT_LIMITS: TemplateLimits = { maxWorkflowBytes: 2 * 1024 * 1024, maxNodes: 2000, maxParameters: 100 };

/** The slice of pino the registry logs through. */
export interface TemplateLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface TemplateServiceOptions {
  db: Db;
  nodeInfo: NodeInfoSource;
  logger: TemplateLogger;
  limits?: Partial<TemplateLimits>;
}

export interface RenderOptions {
  resolveUpload?: (id: string) => string;
  random?: () => number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class TemplateService {
  readonly store: TemplateStore;
  readonly limits: TemplateLimits;
  readonly log: TemplateLogger;
  readonly #source: NodeInfoSource;
  // Parsed catalogs per /object_info object: the pool hands out the same object until it changes.
  readonly #catalogs = new WeakMap<object, NodeCatalog>();
  // UI-format template files seen before any backend reported node info; imported once it has.
  #deferred: TemplateFile[] = [];

  constructor(opts: TemplateServiceOptions) {
    this.store = new TemplateStore(opts.db);
    this.#source = opts.nodeInfo;
    this.log = opts.logger;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
  }

  // ---- node info ---------------------------------------------------------------------------

  backends(): BackendNodeInfo[] {
    const backends = this.#source.nodeInfo();
    if (backends.length > 0 && this.#deferred.length > 0) this.#importDeferred();
    return backends;
  }

  catalogOf = (b: BackendNodeInfo): NodeCatalog => {
    let c = this.#catalogs.get(b.objectInfo);
    if (!c) this.#catalogs.set(b.objectInfo, (c = new NodeCatalog(b.objectInfo)));
    return c;
  };

  /** The pool's definitions as one view, or undefined when no backend has reported yet. */
  defs(backends = this.backends()): NodeDefs | undefined {
    return backends.length === 0 ? undefined : new MergedDefs(backends.map(this.catalogOf));
  }

  #requireNodeInfo(why: string): BackendNodeInfo[] {
    const backends = this.backends();
    if (backends.length === 0) throw new FleetError('FLEET_NO_NODE_INFO', `No backend has reported its node definitions (/object_info) yet, which ${why}. Retry when a backend is ready.`, { headers: { 'retry-after': '5' } });
    return backends;
  }

  /** The pre-queue check of any API-format prompt (also raw workflows from the jobs module). */
  check(prompt: ApiWorkflow): WorkflowCheck {
    return checkWorkflow(prompt, this.#requireNodeInfo('validating a workflow needs'), this.catalogOf);
  }

  // ---- writing -----------------------------------------------------------------------------

  /** Turns an upload into stored content; every check that can refuse it happens here. */
  prepare(input: UpdateTemplateInput): { content: VersionContent; dropped: ConversionNote[] } {
    const bytes = Buffer.byteLength(JSON.stringify(input.workflow ?? null) ?? '');
    if (bytes > this.limits.maxWorkflowBytes) throw new FleetError('FLEET_BODY_TOO_LARGE', `The workflow is ${bytes} bytes of JSON; the limit is ${this.limits.maxWorkflowBytes}`);
    const detected = detectFormat(input.workflow);
    let workflow: ApiWorkflow;
    let dropped: ConversionNote[] = [];
    if (detected.format === 'ui') {
      this.#requireNodeInfo('converting the editor (UI) format needs; upload the API format ("Workflow → Export (API)") to store it now');
      ({ workflow, dropped } = convertUiToApi(detected.ui, this.defs() as NodeDefs));
    } else {
      workflow = detected.api;
    }
    const nodes = Object.keys(workflow).length;
    if (nodes > this.limits.maxNodes) throw new FleetError('FLEET_BODY_TOO_LARGE', `The workflow has ${nodes} nodes; the limit is ${this.limits.maxNodes}`);
    const parameters: ParametersDecl = input.parameters ?? {};
    const count = Object.keys(parameters).length;
    if (count > this.limits.maxParameters) throw new FleetError('FLEET_BODY_TOO_LARGE', `${count} parameters are declared; the limit is ${this.limits.maxParameters}`);
    const defs = this.defs();
    const resolved = resolveParameters(workflow, parameters, defs);
    if (defs) this.#checkDeclarations(resolved.map((p) => deriveParameter(workflow, p, defs)));
    const description = input.description ?? null;
    const contentHash = createHash('sha256').update(canonicalJson({ workflow, parameters, description })).digest('hex');
    return { content: { workflow, parameters, description, sourceFormat: detected.format, contentHash }, dropped };
  }

  #checkDeclarations(derived: DerivedParam[]): void {
    const conflicts: ProblemItem[] = [];
    const defaults: ProblemItem[] = [];
    for (const d of derived) {
      for (const { kind, message } of declarationProblems(d)) {
        (kind === 'default' ? defaults : conflicts).push({ path: `parameters/${d.name}`, parameter: d.name, message });
      }
    }
    if (conflicts.length > 0) throw new FleetError('FLEET_PARAMETER_REFERENCE', conflicts[0]?.message, { errors: conflicts });
    if (defaults.length > 0) throw new FleetError('FLEET_PARAMS_INVALID', defaults[0]?.message, { errors: defaults });
  }

  static checkName(name: string): void {
    if (!TEMPLATE_NAME.test(name)) {
      throw new FleetError('FLEET_TEMPLATE_BAD_NAME', `"${name.slice(0, 100)}" is not a template name: use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit (no slashes or spaces)`);
    }
  }

  create(input: CreateTemplateInput): TemplateViewT {
    TemplateService.checkName(input.name);
    if (this.store.exists(input.name)) throw new FleetError('FLEET_TEMPLATE_EXISTS', `A template named "${input.name}" exists; use PUT /templates/${input.name} to add a version`);
    const { content, dropped } = this.prepare(input);
    const out = this.store.create(input.name, content);
    if (!out.ok) throw new FleetError('FLEET_TEMPLATE_EXISTS', `A template named "${input.name}" exists; use PUT /templates/${input.name} to add a version`);
    this.log.info({ template: out.version.name, version: out.version.version }, 'template created');
    return this.#writeView(out.version, dropped);
  }

  update(name: string, input: UpdateTemplateInput): TemplateViewT {
    if (!this.store.exists(name)) throw this.#notFound(name);
    const { content, dropped } = this.prepare(input);
    const out = this.store.addVersion(name, content);
    if (!out.ok) throw this.#notFound(name);
    this.log.info({ template: out.version.name, version: out.version.version }, 'template version added');
    return this.#writeView(out.version, dropped);
  }

  delete(name: string): void {
    if (!this.store.delete(name)) throw this.#notFound(name);
    this.log.info({ template: name }, 'template deleted');
  }

  // ---- template files ----------------------------------------------------------------------

  /** Loads TEMPLATES_DIR; never throws, reports (and logs) each file's fate by name. */
  async loadDirectory(dir: string): Promise<DirectoryReport> {
    const { files, failed } = await readTemplateDirectory(dir, this.limits.maxWorkflowBytes);
    const report: DirectoryReport = { created: [], updated: [], unchanged: [], deferred: [], failed };
    for (const f of files) {
      try {
        report[this.importFile(f)].push(f.name);
      } catch (err) {
        if (isFleetError(err) && err.code === 'FLEET_NO_NODE_INFO') {
          this.#deferred.push(f);
          report.deferred.push(f.name);
        } else {
          const reason = isFleetError(err) ? `${err.code}: ${err.message}` : String(err);
          failed.push({ file: f.file, reason });
        }
      }
    }
    for (const f of failed) this.log.warn({ file: f.file, reason: f.reason }, 'template file skipped');
    if (report.deferred.length) this.log.info({ files: report.deferred }, 'UI-format template files wait for node info');
    this.log.info({ dir, created: report.created, updated: report.updated, unchanged: report.unchanged.length, failed: failed.length }, 'templates directory loaded');
    return report;
  }

  /** Stores a file's template unless that exact content is already some version of it. */
  importFile(f: TemplateFile): 'created' | 'updated' | 'unchanged' {
    TemplateService.checkName(f.name);
    const { content } = this.prepare(f.input);
    if (this.store.versionWithHash(f.name, content.contentHash) !== undefined) return 'unchanged';
    if (this.store.exists(f.name)) {
      if (!this.store.addVersion(f.name, content).ok) throw this.#notFound(f.name);
      return 'updated';
    }
    if (!this.store.create(f.name, content).ok) throw new FleetError('FLEET_TEMPLATE_EXISTS', `"${f.name}" appeared while loading`);
    return 'created';
  }

  /** Reads trigger the import of deferred files once node info exists (backends() does it). */
  #flushDeferred(): void {
    if (this.#deferred.length > 0) this.backends();
  }

  #importDeferred(): void {
    const pending = this.#deferred;
    this.#deferred = [];
    for (const f of pending) {
      try {
        this.log.info({ file: f.file, outcome: this.importFile(f) }, 'deferred template file loaded');
      } catch (err) {
        this.log.warn({ file: f.file, reason: isFleetError(err) ? `${err.code}: ${err.message}` : String(err) }, 'template file skipped');
      }
    }
  }

  // ---- reading -----------------------------------------------------------------------------

  #notFound(name: string): FleetError {
    return new FleetError('FLEET_TEMPLATE_NOT_FOUND', `No template named "${name.slice(0, 100)}"`);
  }

  /** Latest version, or the given one; `includeDeleted` lets jobs read versions of deleted templates. */
  stored(name: string, version?: number, opts: { includeDeleted?: boolean } = {}): StoredVersion {
    this.#flushDeferred();
    if (version === undefined) {
      const v = this.store.latest(name);
      if (!v) throw this.#notFound(name);
      return v;
    }
    const v = this.store.version(name, version, opts);
    if (v) return v;
    if (!opts.includeDeleted && !this.store.exists(name)) throw this.#notFound(name);
    const known = this.store.versions(name).map((x) => x.version);
    throw new FleetError('FLEET_TEMPLATE_VERSION_NOT_FOUND', `Template "${name}" has no version ${version}; it has ${known.join(', ')}`);
  }

  get(name: string, version?: number): TemplateViewT {
    return this.view(this.stored(name, version));
  }

  list(): (Omit<TemplateSummary, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string })[] {
    this.#flushDeferred();
    return this.store.list().map((s) => ({ ...s, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) }));
  }

  workflow(name: string, version?: number): ApiWorkflow {
    return this.stored(name, version).workflow;
  }

  /** Parameters with schemas derived from the current node info; a broken one carries `problem`. */
  derive(v: StoredVersion, defs = this.defs()): { params: DerivedParam[]; problems: Map<string, string> } {
    const { params, problems } = collectParameters(v.workflow, v.parameters, defs);
    const byName = new Map<string, string>();
    for (const p of problems) if (typeof p.parameter === 'string' && !byName.has(p.parameter)) byName.set(p.parameter, p.message);
    return { params: params.map((p) => deriveParameter(v.workflow, p, defs)), problems: byName };
  }

  view(v: StoredVersion): TemplateViewT {
    const defs = this.defs();
    const { params, problems } = this.derive(v, defs);
    const parameters: TemplateViewT['parameters'] = {};
    for (const p of params) {
      const problem = problems.get(p.name) ?? p.conflict;
      parameters[p.name] = {
        targets: p.targets, required: p.required, schema: p.jsonSchema, source: p.source,
        ...(p.description !== undefined ? { description: p.description } : {}),
        ...(p.default !== undefined ? { default: p.default } : {}),
        ...(problem ? { problem } : {}),
      };
    }
    return {
      name: v.name,
      version: v.version,
      latestVersion: v.latestVersion,
      versions: this.store.versions(v.name).map((x) => x.version),
      description: v.description,
      sourceFormat: v.sourceFormat,
      createdAt: iso(v.templateCreatedAt),
      versionCreatedAt: iso(v.createdAt),
      nodeInfo: defs ? 'available' : 'missing',
      workflow: v.workflow,
      parameters,
      ...(params.length === 0 ? { suggestedParameters: suggestParameters(v.workflow, defs) } : {}),
    };
  }

  #writeView(v: StoredVersion, dropped: ConversionNote[]): TemplateViewT {
    const backends = this.backends();
    const validation = backends.length === 0 ? null : checkWorkflow(v.workflow, backends, this.catalogOf);
    return { ...this.view(v), validation, ...(v.sourceFormat === 'ui' ? { conversion: { dropped } } : {}) };
  }

  // ---- rendering ---------------------------------------------------------------------------

  /** Dry run: the concrete prompt plus its validation result; queues nothing, throws only for bad input. */
  render(name: string, req: RenderRequest, opts: RenderOptions & { includeDeleted?: boolean } = {}): RenderViewT {
    const v = this.stored(name, req.version, { includeDeleted: opts.includeDeleted ?? false });
    const backends = this.#requireNodeInfo('rendering needs to validate parameters and the graph');
    const defs = this.defs(backends);
    const { params, problems } = this.derive(v, defs);
    if (problems.size > 0) {
      const errors = [...problems].map(([parameter, message]) => ({ path: `parameters/${parameter}`, parameter, message }));
      throw new FleetError('FLEET_PARAMETER_REFERENCE', `Template "${v.name}" v${v.version} has parameters that no longer resolve: ${errors[0]?.message ?? ''}`, { errors });
    }
    const { prompt, values } = renderTemplate({ workflow: v.workflow, params, values: req.params ?? {}, patch: req.patch, defs, resolveUpload: opts.resolveUpload, random: opts.random });
    const check = checkWorkflow(prompt, backends, this.catalogOf);
    return { name: v.name, version: v.version, prompt, values, ...check };
  }

  /** For the jobs module: render and refuse anything that would not run (422 listing every problem). */
  renderForQueue(name: string, req: RenderRequest, opts: RenderOptions = {}): RenderViewT {
    const r = this.render(name, req, { ...opts, includeDeleted: req.version !== undefined });
    if (!r.valid && r.code) {
      const what = r.code === 'FLEET_NO_CAPABLE_BACKEND' ? 'No backend in the pool can run it' : `${r.errors.length} problem${r.errors.length > 1 ? 's' : ''}`;
      throw new FleetError(r.code, `Template "${r.name}" v${r.version} does not validate: ${what}: ${r.errors[0]?.message ?? ''}`, { errors: r.errors });
    }
    return r;
  }

  // ---- the jobs module's port (src/jobs/resolver.ts TemplateRenderPort) -----------------------

  /** `opts.resolveUpload` maps `{upload: id}` parameter values to backend file names. */
  async renderForJob(input: { name: string; version?: number; params?: Record<string, unknown>; patch?: Record<string, Record<string, unknown>> }, opts: RenderOptions = {}): Promise<{ prompt: ApiWorkflow; name: string; version: number }> {
    const r = this.renderForQueue(input.name, { version: input.version, params: input.params ?? {}, patch: input.patch }, opts);
    return { prompt: r.prompt, name: r.name, version: r.version };
  }

  /** A raw workflow in any accepted format → the API prompt, refused (422) unless it would run. */
  async checkWorkflow(workflow: unknown): Promise<ApiWorkflow> {
    const { content } = this.prepare({ workflow });
    const r = this.check(content.workflow);
    if (!r.valid && r.code) throw new FleetError(r.code, `The workflow does not validate: ${r.errors[0]?.message ?? ''}${r.errors.length > 1 ? ` (and ${r.errors.length - 1} more)` : ''}`, { errors: r.errors });
    return content.workflow;
  }
}
