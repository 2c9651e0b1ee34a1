/**
 * What a backend can run: its node classes (GET /object_info, §3.3.12) and the files in each
 * model folder (GET /models, /models/{folder}, §3.3.15). The scheduler routes on these; the
 * templates module validates workflows against `objectInfo`.
 */
import type { ComfyHttp, ObjectInfo } from '../comfy/index.ts';

export interface Capabilities {
  objectInfo: ObjectInfo;
  nodeClasses: string[];
  /** folder → relative file paths, as the server lists them. */
  models: Record<string, string[]>;
  readAt: number;
}

export interface CapabilitySummary {
  nodeClasses: number;
  /** folder → number of files (folders without files are left out). */
  models: Record<string, number>;
  readAt: number | null;
}

/** Folders that hold no loadable models (§3.3.15 lists them with the rest). */
const NOT_MODEL_FOLDERS = new Set(['configs', 'custom_nodes']);
const FOLDER_CONCURRENCY = 6;

export async function readCapabilities(http: ComfyHttp, timeoutMs: number): Promise<Capabilities> {
  // object_info scans model folders and is slow on first call (§2.3): give it a longer budget.
  const [objectInfo, folders] = await Promise.all([
    http.objectInfo({ timeoutMs: Math.max(timeoutMs, 60_000) }),
    http.models({ timeoutMs }),
  ]);
  const wanted = folders.filter((f) => !NOT_MODEL_FOLDERS.has(f));
  const models: Record<string, string[]> = {};
  for (let i = 0; i < wanted.length; i += FOLDER_CONCURRENCY) {
    const batch = wanted.slice(i, i + FOLDER_CONCURRENCY);
    const lists = await Promise.all(batch.map((folder) => http.modelFiles(folder, { timeoutMs })));
    batch.forEach((folder, j) => {
      const files = lists[j];
      if (files) models[folder] = files;
    });
  }
  return { objectInfo, nodeClasses: Object.keys(objectInfo).sort(), models, readAt: Date.now() };
}

export function summarise(c: Capabilities | null): CapabilitySummary {
  if (c === null) return { nodeClasses: 0, models: {}, readAt: null };
  const models: Record<string, number> = {};
  for (const [folder, files] of Object.entries(c.models)) if (files.length > 0) models[folder] = files.length;
  return { nodeClasses: c.nodeClasses.length, models, readAt: c.readAt };
}
