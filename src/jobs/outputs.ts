// Turns ComfyUI's history `outputs` (node id → {images: [{filename, subfolder, type}], ...})
// into a flat, ordered list of files. Non-file entries (text, animated flags) are skipped.
export interface FlatOutput {
  node_id: string;
  kind: string;
  filename: string;
  subfolder: string;
  type: string;
}

const isFile = (v: unknown): v is { filename: string; subfolder?: unknown; type?: unknown } =>
  typeof v === 'object' && v !== null && typeof (v as { filename?: unknown }).filename === 'string';

export function flattenOutputs(outputs: Record<string, Record<string, unknown>>): FlatOutput[] {
  const out: FlatOutput[] = [];
  const nodes = Object.keys(outputs).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const nodeId of nodes) {
    for (const [kind, list] of Object.entries(outputs[nodeId] ?? {})) {
      if (!Array.isArray(list)) continue;
      for (const f of list) {
        if (!isFile(f)) continue;
        out.push({
          node_id: nodeId,
          kind,
          filename: f.filename,
          subfolder: typeof f.subfolder === 'string' ? f.subfolder : '',
          type: typeof f.type === 'string' ? f.type : 'output',
        });
      }
    }
  }
  return out;
}
