// Templates shipped as files (TEMPLATES_DIR), loaded at start-up. Each `<name>.json` is one
// template named after the file, holding either a bare workflow (any accepted format) or
// `{"workflow": ..., "parameters": ..., "description": ...}`; an optional sidecar
// `<name>.params.json` holds `{"parameters", "description"}` for bare workflows.
// A file whose content is already stored as some version (even of a deleted template) is
// skipped, so restarts do not pile up versions and a deleted template stays deleted until its
// file changes; a changed file becomes a new version. A bad file is reported and skipped.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ParametersDeclSchema } from './params.ts';
import type { UpdateTemplateInput } from './schemas.ts';

export interface TemplateFile {
  file: string;
  name: string;
  input: UpdateTemplateInput;
}

export interface DirectoryReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** UI-format files waiting for node info to be converted. */
  deferred: string[];
  failed: { file: string; reason: string }[];
}

const SIDECAR = '.params.json';

const EmbeddedSchema = z.object({
  workflow: z.record(z.string(), z.unknown()),
  parameters: ParametersDeclSchema.optional(),
  description: z.string().max(10_000).optional(),
  name: z.string().optional(),
}).strict();

const SidecarSchema = z.object({
  parameters: ParametersDeclSchema.optional(),
  description: z.string().max(10_000).optional(),
}).strict();

const zodReason = (e: z.ZodError): string => e.issues.slice(0, 3).map((i) => `${i.path.join('/') || '(top)'}: ${i.message}`).join('; ');

async function readJson(file: string, maxBytes: number): Promise<unknown> {
  const { size } = await stat(file);
  if (size > maxBytes) throw new Error(`${size} bytes, more than the ${maxBytes} allowed`);
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`);
  }
}

/** A file's template input, or why it cannot be one. */
async function readTemplateFile(dir: string, entry: string, maxBytes: number): Promise<TemplateFile> {
  const file = path.join(dir, entry);
  const name = entry.slice(0, -'.json'.length);
  const body = await readJson(file, maxBytes);
  const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
  if (isObject && 'workflow' in body) {
    const r = EmbeddedSchema.safeParse(body);
    if (!r.success) throw new Error(`{workflow, parameters, description} file is malformed: ${zodReason(r.error)}`);
    return { file, name, input: { workflow: r.data.workflow, parameters: r.data.parameters, description: r.data.description } };
  }
  let extra: z.infer<typeof SidecarSchema> = {};
  const sidecar = path.join(dir, name + SIDECAR);
  const hasSidecar = await stat(sidecar).then(() => true, () => false);
  if (hasSidecar) {
    const r = SidecarSchema.safeParse(await readJson(sidecar, maxBytes));
    if (!r.success) throw new Error(`sidecar ${name + SIDECAR} is malformed: ${zodReason(r.error)}`);
    extra = r.data;
  }
  return { file, name, input: { workflow: body, parameters: extra.parameters, description: extra.description } };
}

/** Every template file of `dir` (sorted), plus the ones that could not be read. */
export async function readTemplateDirectory(dir: string, maxBytes: number): Promise<{ files: TemplateFile[]; failed: DirectoryReport['failed'] }> {
  const files: TemplateFile[] = [];
  const failed: DirectoryReport['failed'] = [];
  let entries: string[];
  try {
    entries = (await readdir(dir)).filter((e) => e.endsWith('.json') && !e.endsWith(SIDECAR)).sort();
  } catch (err) {
    return { files, failed: [{ file: dir, reason: `cannot read the templates directory: ${(err as Error).message}` }] };
  }
  for (const entry of entries) {
    try {
      files.push(await readTemplateFile(dir, entry, maxBytes));
    } catch (err) {
      failed.push({ file: path.join(dir, entry), reason: (err as Error).message });
    }
  }
  return { files, failed };
}
