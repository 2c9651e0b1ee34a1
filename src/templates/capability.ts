// Which backends can run a prompt: a backend must know every class and list every combo value
// used (model files, samplers from custom nodes). validate.ts checks against the pool as a whole;
// this finds the single backends that can take the work, and says what the others lack.
import type { ProblemItem } from '../errors.ts';
import type { NodeDefs } from './nodeinfo.ts';
import { isArrayValue, type ApiWorkflow } from './workflow.ts';

export interface BackendDefs {
  backendId: string;
  defs: NodeDefs;
}

export interface MissingValue {
  nodeId: string;
  classType: string;
  input: string;
  value: unknown;
}

export interface BackendLack {
  backendId: string;
  missingClasses: string[];
  missingValues: MissingValue[];
}

export interface Capability {
  capable: string[];
  lacking: BackendLack[];
}

export function backendLack(wf: ApiWorkflow, b: BackendDefs): BackendLack {
  const missingClasses = new Set<string>();
  const missingValues: MissingValue[] = [];
  for (const [nodeId, node] of Object.entries(wf)) {
    const def = b.defs.get(node.class_type);
    if (!def) {
      missingClasses.add(node.class_type);
      continue;
    }
    for (const inp of def.inputs) {
      const v = node.inputs[inp.name];
      if (inp.spec.kind !== 'COMBO' || inp.spec.upload || v === undefined || isArrayValue(v)) continue;
      if (inp.spec.options.length > 0 && !inp.spec.options.includes(v as string)) missingValues.push({ nodeId, classType: node.class_type, input: inp.name, value: v });
    }
  }
  return { backendId: b.backendId, missingClasses: [...missingClasses], missingValues };
}

export function checkCapability(wf: ApiWorkflow, backends: BackendDefs[]): Capability {
  const capable: string[] = [];
  const lacking: BackendLack[] = [];
  for (const b of backends) {
    const lack = backendLack(wf, b);
    if (lack.missingClasses.length === 0 && lack.missingValues.length === 0) capable.push(b.backendId);
    else lacking.push(lack);
  }
  return { capable, lacking };
}

export function lackItems(lacking: BackendLack[]): ProblemItem[] {
  return lacking.map((l) => {
    const parts = [
      l.missingClasses.length ? `node classes ${l.missingClasses.join(', ')}` : '',
      l.missingValues.length ? `values ${l.missingValues.map((m) => `${m.input}=${JSON.stringify(m.value)} (node ${m.nodeId})`).join(', ')}` : '',
    ].filter(Boolean);
    return { path: `backends/${l.backendId}`, backendId: l.backendId, missingClasses: l.missingClasses, missingValues: l.missingValues, message: `Backend ${l.backendId} lacks ${parts.join(' and ')}` };
  });
}
