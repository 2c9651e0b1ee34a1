// Guards the direction of flow (README "Architecture"): routes → templates → jobs → pool →
// comfy → ComfyUI, with events flowing back only through emitters. Fails on an import against
// that direction and on any import cycle between our files.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');

function files(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) return files(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

const all = [...files('src'), ...files('routes')];
const graph = new Map<string, string[]>();
for (const f of all) {
  const text = readFileSync(path.join(root, f), 'utf8');
  const deps = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)]
    .map((m) => path.normalize(path.join(path.dirname(f), m[1] as string)))
    .filter((d) => d.endsWith('.ts'));
  graph.set(f, deps);
}

/** module → modules it must never import. */
const FORBIDDEN: Record<string, string[]> = {
  'src/comfy/': ['src/pool/', 'src/jobs/', 'src/templates/', 'src/events/', 'src/files/', 'src/auth/', 'src/standin/', 'routes/'],
  'src/standin/': ['src/comfy/', 'src/pool/', 'src/jobs/', 'src/templates/', 'src/events/', 'src/files/', 'src/auth/', 'src/http/', 'routes/'],
  'src/pool/': ['src/jobs/', 'src/templates/', 'src/events/', 'src/files/', 'routes/'],
  'src/templates/': ['src/jobs/', 'src/pool/', 'src/comfy/', 'src/events/', 'routes/'],
  'src/jobs/': ['routes/', 'src/pool/', 'src/templates/'],
  'src/events/': ['src/pool/', 'src/comfy/', 'routes/'],
  'routes/': ['src/comfy/', 'src/standin/'],
};
/** The single adapter where the job engine meets ComfyUI client objects handed out by the pool. */
const ALLOWED = new Set(['src/jobs/pool-source.ts -> src/comfy/index.ts']);

test('imports follow the direction of flow', () => {
  const violations: string[] = [];
  for (const [from, deps] of graph) {
    const rule = Object.entries(FORBIDDEN).find(([prefix]) => from.startsWith(prefix));
    if (!rule) continue;
    for (const d of deps) {
      if (rule[1].some((bad) => d.startsWith(bad)) && !ALLOWED.has(`${from} -> ${d}`)) violations.push(`${from} imports ${d}`);
    }
  }
  assert.deepEqual(violations, []);
});

test('no import cycles between our files', () => {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, trail: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'visiting');
    for (const d of graph.get(f) ?? []) visit(d, [...trail, f]);
    state.set(f, 'done');
  };
  for (const f of graph.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});
