// Editor (UI) format → API format, the conversion the ComfyUI frontend does in the browser
// (PROTOCOL.md §5.2). Rules, as the frontend applies them:
// - widget values are positional: one per widget input in `input_order` (required, then optional),
//   whether or not the input is linked (a linked widget keeps its slot but the link wins);
// - a seed or any input with `control_after_generate` is followed by the control value
//   ("fixed", "increment", "decrement", "randomize"), which is skipped; trailing extras (the
//   LoadImage upload button's value) are ignored;
// - muted nodes (mode 2) vanish with their links; bypassed nodes (mode 4) vanish and a link from
//   one is rewired to the bypassed node's input of the same type (same slot first);
// - Reroute nodes are followed through; a PrimitiveNode's value already sits in the target's own
//   widget value, so that input becomes a literal; Note/MarkdownNote are dropped (no server class);
// - subgraphs, group nodes and classes no backend knows cannot be converted: 422 naming each node.
import { FleetError, type ProblemItem } from '../errors.ts';
import type { UiNode, UiWorkflow } from './format.ts';
import type { NodeDef, NodeDefs } from './nodeinfo.ts';
import type { ApiWorkflow, Link } from './workflow.ts';

const MODE_MUTED = 2;
const MODE_BYPASSED = 4;
const CONTROL_VALUES = new Set(['fixed', 'increment', 'decrement', 'randomize']);
const DROPPED_TYPES = new Set(['Note', 'MarkdownNote']);

export const EXPORT_HINT =
  'Export the API format from the editor instead: menu "Workflow → Export (API)" (new frontend), ' +
  'or enable "Dev mode" in the settings and use "Save (API Format)" (old frontend).';

interface NormLink {
  origin: string;
  originSlot: number;
  target: string;
  type: string;
}

/** Where a link ends up after following reroutes and bypasses. */
type Source = { kind: 'link'; link: Link } | { kind: 'primitive' } | { kind: 'none' };

export interface ConversionNote {
  nodeId: string;
  type: string;
  title: string | undefined;
  reason: 'muted' | 'bypassed' | 'note' | 'reroute' | 'primitive';
}

export interface ConversionResult {
  workflow: ApiWorkflow;
  /** Nodes of the UI graph that have no counterpart in the API graph, and why. */
  dropped: ConversionNote[];
}

function normaliseLinks(ui: UiWorkflow): Map<number, NormLink> {
  const out = new Map<number, NormLink>();
  for (const l of ui.links ?? []) {
    if (Array.isArray(l)) out.set(l[0], { origin: String(l[1]), originSlot: l[2], target: String(l[3]), type: String(l[5] ?? '*') });
    else out.set(l.id, { origin: String(l.origin_id), originSlot: l.origin_slot, target: String(l.target_id), type: String(l.type ?? '*') });
  }
  return out;
}

const typeMatches = (a: unknown, b: string): boolean => a === b || a === '*' || b === '*' || String(a).split(',').includes(b);

class Converter {
  readonly nodes = new Map<string, UiNode>();
  readonly links: Map<number, NormLink>;
  readonly defs: NodeDefs;
  readonly subgraphIds: Set<string>;

  constructor(ui: UiWorkflow, defs: NodeDefs) {
    for (const n of ui.nodes) this.nodes.set(String(n.id), n);
    this.links = normaliseLinks(ui);
    this.defs = defs;
    this.subgraphIds = new Set((ui.definitions?.subgraphs ?? []).map((s) => s.id));
  }

  /** Follows a link back to a real node output, through reroutes and bypassed nodes. */
  resolve(linkId: number, seen = new Set<number>()): Source {
    const link = this.links.get(linkId);
    if (!link || seen.has(linkId)) return { kind: 'none' };
    seen.add(linkId);
    const origin = this.nodes.get(link.origin);
    if (!origin || origin.mode === MODE_MUTED) return { kind: 'none' };
    if (origin.type === 'PrimitiveNode') return { kind: 'primitive' };
    if (origin.type === 'Reroute') {
      const up = origin.inputs?.[0]?.link;
      return up == null ? { kind: 'none' } : this.resolve(up, seen);
    }
    if (origin.mode === MODE_BYPASSED) {
      const inputs = origin.inputs ?? [];
      const same = inputs[link.originSlot];
      const pick = same && same.link != null && typeMatches(same.type, link.type)
        ? same
        : inputs.find((i) => i.link != null && typeMatches(i.type, link.type));
      return pick?.link == null ? { kind: 'none' } : this.resolve(pick.link, seen);
    }
    return { kind: 'link', link: [link.origin, link.originSlot] };
  }

  inputsOf(node: UiNode, def: NodeDef): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const wv = node.widgets_values ?? [];
    const uiInputs = new Map((node.inputs ?? []).map((i) => [i.name, i]));
    let cursor = 0;
    const nextValue = (name: string): unknown => {
      if (!Array.isArray(wv)) return wv[name];
      return wv[cursor++];
    };
    for (const inp of def.inputs) {
      const linkId = uiInputs.get(inp.name)?.link;
      const source = linkId == null ? ({ kind: 'none' } as Source) : this.resolve(linkId);
      if (inp.widget) {
        const value = nextValue(inp.name);
        const spec = inp.spec;
        if ((spec.kind === 'INT' || spec.kind === 'FLOAT' || spec.kind === 'COMBO') && spec.control && Array.isArray(wv)) {
          if (typeof wv[cursor] === 'string' && CONTROL_VALUES.has(wv[cursor] as string)) cursor++;
        }
        if (source.kind === 'link') out[inp.name] = source.link;
        else if (value !== undefined) out[inp.name] = Array.isArray(value) ? { __value__: value } : value;
      } else if (source.kind === 'link') {
        out[inp.name] = source.link;
      }
    }
    // Dynamic inputs the definition does not list (autogrow sockets): ComfyUI passes links through.
    for (const [name, ui] of uiInputs) {
      if (name in out || def.inputs.some((i) => i.name === name) || ui.link == null) continue;
      const source = this.resolve(ui.link);
      if (source.kind === 'link') out[name] = source.link;
    }
    return out;
  }
}

function unconvertible(node: UiNode, c: Converter): string | undefined {
  if (c.subgraphIds.has(node.type)) return 'is a subgraph; subgraphs are not converted yet';
  if (node.type.includes('>') || node.type.startsWith('workflow/')) return 'is a group node; group nodes are not converted';
  if (!c.defs.get(node.type)) return `has class "${node.type}", which no backend in the pool knows (missing custom node?)`;
  return undefined;
}

export function convertUiToApi(ui: UiWorkflow, defs: NodeDefs): ConversionResult {
  const c = new Converter(ui, defs);
  const workflow: ApiWorkflow = {};
  const dropped: ConversionNote[] = [];
  const problems: ProblemItem[] = [];
  for (const [id, node] of c.nodes) {
    const title = node.title ?? undefined;
    const note = (reason: ConversionNote['reason']) => dropped.push({ nodeId: id, type: node.type, title, reason });
    if (node.mode === MODE_MUTED) { note('muted'); continue; }
    if (DROPPED_TYPES.has(node.type)) { note('note'); continue; }
    if (node.type === 'Reroute') { note('reroute'); continue; }
    if (node.type === 'PrimitiveNode') { note('primitive'); continue; }
    if (node.mode === MODE_BYPASSED) { note('bypassed'); continue; }
    const why = unconvertible(node, c);
    const def = defs.get(node.type);
    if (why || !def) {
      problems.push({ path: `workflow/nodes/${id}`, nodeId: id, type: node.type, title: title ?? null, message: `Node ${id} (${title ?? node.type}) ${why ?? 'cannot be converted'}.` });
      continue;
    }
    workflow[id] = { inputs: c.inputsOf(node, def), class_type: node.type, _meta: { title: title ?? def.displayName } };
  }
  if (problems.length > 0) {
    const names = problems.map((p) => `${String(p.nodeId)} (${String(p.title ?? p.type)})`).join(', ');
    throw new FleetError('FLEET_WORKFLOW_CONVERSION', `Cannot convert the editor workflow: node${problems.length > 1 ? 's' : ''} ${names}. ${EXPORT_HINT}`, { errors: problems });
  }
  if (Object.keys(workflow).length === 0) {
    throw new FleetError('FLEET_WORKFLOW_CONVERSION', `The editor workflow has no active node to convert (all muted, bypassed or notes). ${EXPORT_HINT}`);
  }
  return { workflow, dropped };
}
