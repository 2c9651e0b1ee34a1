// Text output of the CLI: problems, tables, durations. Plain text, no colours, so output can be
// piped and grepped.
import { ApiError, UnreachableError } from './client.ts';

/** An error as lines for stderr; problem+json keeps its code, detail and every listed item. */
export function describeError(err: unknown): string[] {
  if (err instanceof ApiError) {
    const p = err.problem;
    const head = `${p.code ?? p.title ?? 'error'} (HTTP ${err.status}): ${p.detail ?? p.title ?? ''}`.trimEnd();
    const items = (p.errors ?? []).map((e) => `  - ${e.path ? `${e.path}: ` : ''}${e.message}`);
    return [head, ...items];
  }
  if (err instanceof UnreachableError) return [err.message];
  return [err instanceof Error ? err.message : String(err)];
}

export function durationText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** Columns padded to the widest cell; the last column is not padded (it may be long). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** `2026-11-25 16:26:31.204Z`: milliseconds kept, events of one job are often that close. */
export function isoTime(epochMs: number, ms = false): string {
  const iso = new Date(epochMs).toISOString().replace('T', ' ');
  return ms ? iso : iso.replace(/\.\d+Z$/, 'Z');
}
