// Finds the node a parameter points at: by id, by title (`_meta.title`) or by class type. A title
// or class must match exactly one node; otherwise the caller gets the candidates to choose from.
import type { ApiWorkflow } from './workflow.ts';

export type NodeRef = { node: string } | { title: string } | { classType: string };

export interface Candidate {
  nodeId: string;
  title: string | null;
  classType: string;
}

export type RefResult =
  | { ok: true; nodeId: string }
  | { ok: false; message: string; candidates: Candidate[] };

const MAX_CANDIDATES = 50;

const candidate = (wf: ApiWorkflow, id: string): Candidate => ({
  nodeId: id,
  title: wf[id]?._meta?.title ?? null,
  classType: wf[id]?.class_type ?? '?',
});

const allNodes = (wf: ApiWorkflow): Candidate[] => Object.keys(wf).slice(0, MAX_CANDIDATES).map((id) => candidate(wf, id));

const listing = (cs: Candidate[]): string =>
  cs.map((c) => `${c.nodeId} (${c.title ?? c.classType})`).join(', ');

export function describeRef(ref: NodeRef): string {
  if ('node' in ref) return `node id "${ref.node}"`;
  if ('title' in ref) return `title "${ref.title}"`;
  return `class type "${ref.classType}"`;
}

function pick(wf: ApiWorkflow, ref: NodeRef, matches: string[], near: (id: string) => boolean): RefResult {
  const [only] = matches;
  if (matches.length === 1 && only !== undefined) return { ok: true, nodeId: only };
  if (matches.length > 1) {
    const cs = matches.slice(0, MAX_CANDIDATES).map((id) => candidate(wf, id));
    const how = 'title' in ref ? 'give the nodes distinct titles or' : 'set a distinct title on one of them and refer to it by title, or';
    return { ok: false, message: `${describeRef(ref)} matches ${matches.length} nodes: ${listing(cs)}; ${how} refer to the node by id`, candidates: cs };
  }
  const close = Object.keys(wf).filter(near).map((id) => candidate(wf, id));
  const cs = close.length > 0 ? close : allNodes(wf);
  return { ok: false, message: `No node has ${describeRef(ref)}; ${close.length > 0 ? 'did you mean' : 'the nodes are'} ${listing(cs)}`, candidates: cs };
}

export function resolveNodeRef(wf: ApiWorkflow, ref: NodeRef): RefResult {
  if ('node' in ref) {
    return wf[ref.node] ? { ok: true, nodeId: ref.node } : pick(wf, ref, [], () => false);
  }
  if ('title' in ref) {
    const want = ref.title.toLowerCase();
    const matches = Object.keys(wf).filter((id) => wf[id]?._meta?.title === ref.title);
    return pick(wf, ref, matches, (id) => (wf[id]?._meta?.title ?? '').toLowerCase().includes(want));
  }
  const want = ref.classType.toLowerCase();
  const matches = Object.keys(wf).filter((id) => wf[id]?.class_type === ref.classType);
  return pick(wf, ref, matches, (id) => (wf[id]?.class_type ?? '').toLowerCase() === want);
}
