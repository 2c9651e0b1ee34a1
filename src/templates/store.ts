// SQLite persistence of templates and their immutable versions (migration 001_templates.sql).
// Statements are prepared once per store; writes that read-then-write run in one transaction.
// Operations return literal outcomes; service.ts turns them into FLEET_* errors in one place.
import type { Db } from '../db/db.ts';
import type { ParametersDecl } from './params.ts';
import type { WorkflowFormat } from './format.ts';
import type { ApiWorkflow } from './workflow.ts';

export interface VersionContent {
  workflow: ApiWorkflow;
  parameters: ParametersDecl;
  description: string | null;
  sourceFormat: WorkflowFormat;
  contentHash: string;
}

export interface StoredVersion extends VersionContent {
  name: string;
  version: number;
  latestVersion: number;
  templateCreatedAt: number;
  createdAt: number;
  deletedAt: number | null;
}

export interface TemplateSummary {
  name: string;
  latestVersion: number;
  description: string | null;
  createdAt: number;
  updatedAt: number;
  nodeCount: number;
  parameterNames: string[];
}

interface VersionRow {
  name: string;
  version: number;
  workflow: string;
  parameters: string;
  description: string | null;
  source_format: WorkflowFormat;
  content_hash: string;
  created_at: number;
  latest_version: number;
  template_created_at: number;
  deleted_at: number | null;
}

interface ListRow {
  name: string;
  latest_version: number;
  created_at: number;
  updated_at: number;
  description: string | null;
  parameters: string;
  node_count: number;
}

interface TemplateRow {
  name: string;
  latest_version: number;
  deleted_at: number | null;
}

const VERSION_COLUMNS = `v.name, v.version, v.workflow, v.parameters, v.description, v.source_format, v.content_hash,
  v.created_at, t.latest_version, t.created_at AS template_created_at, t.deleted_at`;

function toVersion(r: VersionRow): StoredVersion {
  return {
    name: r.name,
    version: r.version,
    workflow: JSON.parse(r.workflow) as ApiWorkflow,
    parameters: JSON.parse(r.parameters) as ParametersDecl,
    description: r.description,
    sourceFormat: r.source_format,
    contentHash: r.content_hash,
    createdAt: r.created_at,
    latestVersion: r.latest_version,
    templateCreatedAt: r.template_created_at,
    deletedAt: r.deleted_at,
  };
}

export type CreateOutcome = { ok: true; version: StoredVersion } | { ok: false; reason: 'exists' };
export type UpdateOutcome = { ok: true; version: StoredVersion } | { ok: false; reason: 'not_found' };

export class TemplateStore {
  readonly #db: Db;
  readonly #q;

  constructor(db: Db) {
    this.#db = db;
    this.#q = {
      template: db.prepare<[string], TemplateRow>('SELECT name, latest_version, deleted_at FROM templates WHERE name = ?'),
      version: db.prepare<[string, number], VersionRow>(`SELECT ${VERSION_COLUMNS} FROM template_versions v JOIN templates t ON t.name = v.name WHERE v.name = ? AND v.version = ?`),
      latest: db.prepare<[string], VersionRow>(`SELECT ${VERSION_COLUMNS} FROM templates t JOIN template_versions v ON v.name = t.name AND v.version = t.latest_version WHERE t.name = ? AND t.deleted_at IS NULL`),
      // Counts nodes in SQL so listing does not parse every (up to megabytes) workflow.
      list: db.prepare<[], ListRow>(`SELECT t.name, t.latest_version, t.created_at, t.updated_at, v.description, v.parameters,
          (SELECT count(*) FROM json_each(v.workflow)) AS node_count
        FROM templates t JOIN template_versions v ON v.name = t.name AND v.version = t.latest_version
        WHERE t.deleted_at IS NULL ORDER BY t.name`),
      versions: db.prepare<[string], { version: number; created_at: number }>('SELECT version, created_at FROM template_versions WHERE name = ? ORDER BY version'),
      hasHash: db.prepare<[string, string], { version: number }>('SELECT version FROM template_versions WHERE name = ? AND content_hash = ? ORDER BY version DESC LIMIT 1'),
      insertTemplate: db.prepare('INSERT INTO templates (name, latest_version, created_at, updated_at) VALUES (?, 1, ?, ?)'),
      bumpTemplate: db.prepare('UPDATE templates SET latest_version = ?, updated_at = ?, deleted_at = NULL WHERE name = ?'),
      insertVersion: db.prepare(`INSERT INTO template_versions (name, version, workflow, parameters, description, source_format, content_hash, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      softDelete: db.prepare('UPDATE templates SET deleted_at = ? WHERE name = ? AND deleted_at IS NULL'),
    };
  }

  #insertVersion(name: string, version: number, c: VersionContent, now: number): void {
    this.#q.insertVersion.run(name, version, JSON.stringify(c.workflow), JSON.stringify(c.parameters), c.description, c.sourceFormat, c.contentHash, now);
  }

  /** New name → version 1. A deleted name comes back with the next version number. */
  create(name: string, c: VersionContent, now = Date.now()): CreateOutcome {
    return this.#db.transaction((): CreateOutcome => {
      const t = this.#q.template.get(name);
      if (t && t.deleted_at === null) return { ok: false, reason: 'exists' };
      const version = t ? t.latest_version + 1 : 1;
      const stored = t ? t.name : name;
      if (t) this.#q.bumpTemplate.run(version, now, stored);
      else this.#q.insertTemplate.run(name, now, now);
      this.#insertVersion(stored, version, c, now);
      return { ok: true, version: this.#mustGet(stored, version) };
    })();
  }

  /** Adds the next version of a live template. */
  addVersion(name: string, c: VersionContent, now = Date.now()): UpdateOutcome {
    return this.#db.transaction((): UpdateOutcome => {
      const t = this.#q.template.get(name);
      if (!t || t.deleted_at !== null) return { ok: false, reason: 'not_found' };
      const version = t.latest_version + 1;
      this.#q.bumpTemplate.run(version, now, t.name);
      this.#insertVersion(t.name, version, c, now);
      return { ok: true, version: this.#mustGet(t.name, version) };
    })();
  }

  #mustGet(name: string, version: number): StoredVersion {
    const r = this.#q.version.get(name, version);
    if (!r) throw new Error(`template ${name} v${version} vanished inside its own transaction`);
    return toVersion(r);
  }

  latest(name: string): StoredVersion | undefined {
    const r = this.#q.latest.get(name);
    return r ? toVersion(r) : undefined;
  }

  /** Any version, also of a deleted template when `includeDeleted` (jobs that named it keep working). */
  version(name: string, version: number, opts: { includeDeleted?: boolean } = {}): StoredVersion | undefined {
    const r = this.#q.version.get(name, version);
    if (!r || (r.deleted_at !== null && !opts.includeDeleted)) return undefined;
    return toVersion(r);
  }

  versions(name: string): { version: number; createdAt: number }[] {
    return this.#q.versions.all(name).map((r) => ({ version: r.version, createdAt: r.created_at }));
  }

  /** The newest version of `name` with this content hash, deleted or not. */
  versionWithHash(name: string, hash: string): number | undefined {
    return this.#q.hasHash.get(name, hash)?.version;
  }

  exists(name: string): boolean {
    const t = this.#q.template.get(name);
    return t !== undefined && t.deleted_at === null;
  }

  list(): TemplateSummary[] {
    return this.#q.list.all().map((r) => ({
      name: r.name,
      latestVersion: r.latest_version,
      description: r.description,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      nodeCount: r.node_count,
      parameterNames: Object.keys(JSON.parse(r.parameters) as object),
    }));
  }

  delete(name: string, now = Date.now()): boolean {
    return this.#q.softDelete.run(now, name).changes > 0;
  }
}
