// Shared fixtures for the template tests: the real core /object_info and the example workflows
// (copied from shared/comfyui so the tests need no backend).
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { NodeCatalog, type BackendNodeInfo, type ObjectInfo } from '../../src/templates/nodeinfo.ts';
import type { ApiWorkflow } from '../../src/templates/workflow.ts';

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

export const objectInfo = (): ObjectInfo => fixture<ObjectInfo>('object_info.core.json');
export const catalog = (): NodeCatalog => new NodeCatalog(objectInfo());
export const api = (name: 'txt2img' | 'img2img' | 'model-free' | 'load-invert-preview'): ApiWorkflow => fixture<ApiWorkflow>(`${name}.api.json`);
export const ui = (): Record<string, unknown> => fixture<Record<string, unknown>>('model-free.ui.json');

/** Strips `_meta` so converted graphs compare with the exported API examples. */
export const withoutMeta = (wf: ApiWorkflow): Record<string, unknown> =>
  Object.fromEntries(Object.entries(wf).map(([id, n]) => [id, { class_type: n.class_type, inputs: n.inputs }]));

/** object_info with a changed entry (e.g. a backend with other model files). */
// any: surgery on raw fixture JSON, whose shape is exactly what the tests vary.
export function objectInfoWith(edit: (oi: Record<string, any>) => void): ObjectInfo {
  const oi = objectInfo() as Record<string, any>;
  edit(oi);
  return oi;
}

/** Gives the app's pool a fixed `nodeInfo()` (what the pool will provide once backends report). */
export function withNodeInfo(backends: BackendNodeInfo[] | (() => BackendNodeInfo[])) {
  return (app: FastifyInstance): void => {
    Object.assign(app.pool, { nodeInfo: typeof backends === 'function' ? backends : () => backends });
  };
}

export const oneBackend = (): BackendNodeInfo[] => [{ backendId: 'b1', objectInfo: objectInfo() }];
