// The whole check a prompt must pass before it is queued, as one pure function the jobs module
// can call on raw workflows too: validation against the pool as a whole (every problem listed),
// then at least one single backend able to run all of it.
import type { ProblemItem } from '../errors.ts';
import { checkCapability, lackItems } from './capability.ts';
import { MergedDefs, NodeCatalog, type BackendNodeInfo, type NodeDefs } from './nodeinfo.ts';
import { validateWorkflow, type ValidationIssue } from './validate.ts';
import type { ApiWorkflow } from './workflow.ts';

export interface WorkflowCheck {
  valid: boolean;
  /** Which error a caller should raise when not valid. */
  code: 'FLEET_WORKFLOW_INVALID' | 'FLEET_NO_CAPABLE_BACKEND' | null;
  errors: (ValidationIssue | ProblemItem)[];
  /** Backends that know every class and value the prompt uses. */
  capableBackends: string[];
}

/** `catalogOf` lets callers cache parsed catalogs per `/object_info` object. */
export function checkWorkflow(wf: ApiWorkflow, backends: BackendNodeInfo[], catalogOf: (b: BackendNodeInfo) => NodeDefs = (b) => new NodeCatalog(b.objectInfo)): WorkflowCheck {
  const parts = backends.map((b) => ({ backendId: b.backendId, defs: catalogOf(b) }));
  const issues = validateWorkflow(wf, new MergedDefs(parts.map((p) => p.defs)));
  if (issues.length > 0) return { valid: false, code: 'FLEET_WORKFLOW_INVALID', errors: issues, capableBackends: [] };
  const cap = checkCapability(wf, parts);
  if (cap.capable.length === 0) return { valid: false, code: 'FLEET_NO_CAPABLE_BACKEND', errors: lackItems(cap.lacking), capableBackends: [] };
  return { valid: true, code: null, errors: [], capableBackends: cap.capable };
}
