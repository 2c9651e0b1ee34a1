/**
 * The prompt worker (main.py prompt_worker): one prompt at a time, history written and
 * `status` broadcast before the final `executing {node: null}`, /free requests applied
 * between prompts.
 */
import type { Core } from './core.ts';
import { executionTimeText, green } from './log.ts';
import { itemArray } from './queue.ts';

function applyFree(core: Core): void {
  for (const req of core.freeRequests.splice(0)) {
    if (req.unloadModels || req.freeMemory) core.models.unload();
    if (req.freeMemory) core.cache.clear();
  }
}

export interface Worker {
  stop(): void;
  done: Promise<void>;
}

export function startWorker(core: Core): Worker {
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped) {
      applyFree(core);
      await core.waitWhileHung();
      const task = core.queue.take();
      if (!task) {
        await core.queue.waitForWork();
        continue;
      }
      const startedAt = performance.now();
      const { item } = task;
      const outcome = await core.executor.execute(item);
      core.queue.finish(task.taskId);
      core.history.add(item.promptId, {
        prompt: itemArray(item),
        outputs: outcome.outputs,
        status: { status_str: outcome.success ? 'success' : 'error', completed: outcome.success, messages: outcome.messages },
        meta: outcome.meta,
      });
      core.hub.send('status', { status: core.queueInfo() }, null);
      if (core.executor.clientId !== null) core.hub.send('executing', { node: null, prompt_id: item.promptId }, core.executor.clientId);
      core.log.info(green(executionTimeText(performance.now() - startedAt)));
    }
  };
  const done = loop();
  return {
    stop: () => {
      stopped = true;
      core.queue.wake();
    },
    done,
  };
}
