/**
 * Where is each of these prompts now? The answer the client trusts over websocket events, which
 * are only hints with no replay (PROTOCOL.md §4.4, §9.3): `/history/{id}` first (finished), then
 * `/queue` (pending or running), and one more `/history/{id}` look for what is in neither, since
 * a prompt can finish between the two reads. Absent from both → lost.
 */
import type { CallOptions, ComfyHttp } from './http.ts';
import type { HistoryEntry } from './replies.ts';

export interface PromptWhereabouts {
  finished: Map<string, HistoryEntry>;
  stillRunning: string[];
  lost: string[];
}

export async function locatePrompts(
  http: Pick<ComfyHttp, 'history' | 'queue'>,
  promptIds: string[],
  call?: CallOptions,
): Promise<PromptWhereabouts> {
  const found: PromptWhereabouts = { finished: new Map(), stillRunning: [], lost: [] };
  if (promptIds.length === 0) return found;
  for (const id of promptIds) {
    const entry = await http.history(id, call);
    if (entry !== null) found.finished.set(id, entry);
  }
  const notInHistory = promptIds.filter((id) => !found.finished.has(id));
  if (notInHistory.length === 0) return found;
  const queue = await http.queue(call);
  const queued = new Set([...queue.running, ...queue.pending].map((item) => item.promptId));
  for (const id of notInHistory) {
    if (queued.has(id)) {
      found.stillRunning.push(id);
      continue;
    }
    const entry = await http.history(id, call);
    if (entry !== null) found.finished.set(id, entry);
    else found.lost.push(id);
  }
  return found;
}
