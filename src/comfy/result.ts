/**
 * Turning what we know about a finished prompt (the terminal websocket event, if we saw one, and
 * its `/history` entry, the source of truth for outputs) into one `PromptResult`.
 */
import {
  ExecutionErrorDataSchema,
  ExecutionInterruptedDataSchema,
  type ExecutionErrorData,
  type ExecutionInterruptedData,
  type NodeOutput,
} from './messages.ts';
import type { HistoryEntry } from './replies.ts';
import type { PromptResult, PromptStatus } from './run.ts';

/** The terminal event seen on the socket, if any. */
export interface Terminal {
  status: PromptStatus;
  error?: ExecutionErrorData;
  interrupted?: ExecutionInterruptedData;
}

/**
 * Reads the outcome out of a history entry. An interrupted prompt has `status_str: "error"` too;
 * only an `execution_interrupted` message tells it apart (§3.3.7). A null status (possible in
 * theory, never seen) counts as success: the entry exists only once execution ended.
 */
export function terminalFromHistory(entry: HistoryEntry): Terminal {
  const messages = entry.status?.messages ?? [];
  for (const [name, data] of messages) {
    if (name === 'execution_interrupted') {
      const parsed = ExecutionInterruptedDataSchema.safeParse(data);
      return parsed.success ? { status: 'interrupted', interrupted: parsed.data } : { status: 'interrupted' };
    }
    if (name === 'execution_error') {
      const parsed = ExecutionErrorDataSchema.safeParse(data);
      return parsed.success ? { status: 'error', error: parsed.data } : { status: 'error' };
    }
  }
  const statusStr = entry.status?.status_str;
  if (statusStr === undefined || statusStr === null || statusStr === 'success') return { status: 'success' };
  return { status: 'error' };
}

export function historyOutputs(entry: HistoryEntry): Record<string, NodeOutput> {
  const outputs: Record<string, NodeOutput> = {};
  for (const [nodeId, output] of Object.entries(entry.outputs ?? {})) {
    if (output !== null) outputs[nodeId] = output;
  }
  return outputs;
}

export function buildResult(init: {
  promptId: string;
  terminal: Terminal | null;
  entry: HistoryEntry | null;
  eventOutputs: Record<string, NodeOutput>;
  completedBy: PromptResult['completedBy'];
}): PromptResult {
  const { entry } = init;
  const fromHistory = entry === null ? null : terminalFromHistory(entry);
  // The event is what the server said live; history fills in what we missed.
  const terminal: Terminal = init.terminal ?? fromHistory ?? { status: 'error' };
  const result: PromptResult = {
    promptId: init.promptId,
    status: terminal.status,
    outputs: entry !== null ? historyOutputs(entry) : init.eventOutputs,
    messages: entry?.status?.messages ?? [],
    source: entry !== null ? 'history' : Object.keys(init.eventOutputs).length > 0 ? 'events' : 'none',
    completedBy: init.completedBy,
  };
  const error = terminal.error ?? fromHistory?.error;
  const interrupted = terminal.interrupted ?? fromHistory?.interrupted;
  if (result.status === 'error' && error !== undefined) result.error = error;
  if (result.status === 'interrupted' && interrupted !== undefined) result.interrupted = interrupted;
  return result;
}
