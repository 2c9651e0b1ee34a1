/** The stand-in's own control API under /__standin/ (a prefix ComfyUI does not use). */
import { z } from 'zod';
import { FaultsPatchSchema } from './faults.ts';
import { json, parseJsonBody } from './http.ts';
import { plain } from './pyjson.ts';
import { Http500 } from './pyerrors.ts';
import type { Router } from './router.ts';

export function addControlRoutes(r: Router, closeSockets: () => void): void {
  r.add('GET', '/__standin/state', ({ core }) => json({
    faults: core.faults.state,
    loaded_model: core.models.loaded,
    model_loads: core.models.loads,
    queue: { running: [...core.queue.running.values()].map((i) => i.promptId), pending: core.queue.heap.length },
    history_size: core.history.size,
    free_calls: core.freeCalls.count,
    cache_size: core.cache.size,
    sockets: core.hub.sids(),
  }), false);
  r.add('POST', '/__standin/faults', async ({ core, body }) => {
    let data: unknown;
    try {
      data = plain(parseJsonBody(await body()));
    } catch (e) {
      if (e instanceof Http500) return json({ error: 'body must be JSON' }, 400);
      throw e;
    }
    const parsed = FaultsPatchSchema.safeParse(data);
    if (!parsed.success) return json({ error: z.prettifyError(parsed.error) }, 400);
    if (parsed.data.closeSockets) closeSockets();
    // Answer first so a crashNow caller still gets its reply.
    if (parsed.data.crashNow) setTimeout(() => core.faults.apply(parsed.data), 20);
    else core.faults.apply(parsed.data);
    return json({ faults: core.faults.state });
  }, false);
  r.add('POST', '/__standin/reset', ({ core }) => {
    core.faults.reset();
    return json({ faults: core.faults.state });
  }, false);
}
