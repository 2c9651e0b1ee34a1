// The service as the benchmarks run it: its own process (so its RSS and CPU are its own),
// configured by the environment like src/main.ts, listening on a free loopback port. Prints
// `BENCH_READY <url>` once listening; SIGTERM closes the app (and the pool's stand-ins).
//   BENCH_SOURCE=pool (default): the real pool (spawned stand-ins, per COMFY_* settings).
//   BENCH_SOURCE=view: no pool; one in-memory backend whose prompts succeed at once with one
//     output file, streamed from BENCH_VIEW_URL (a plain HTTP server the bench runs).
import { buildApp, type BuildOptions } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { BackendFailure, type BackendSource, type JobBackend, type RunHandle } from '../../src/jobs/ports.ts';
import type { WorkflowResolver } from '../../src/jobs/service.ts';

/** Raw workflows pass through unvalidated: there is no backend node info to check them against. */
const passThrough: WorkflowResolver = {
  async resolve(input) {
    return { prompt: input.workflow ?? {}, template: null, version: null, files: [], after: [] };
  },
};

function viewSource(base: string): BackendSource {
  const backend: JobBackend = {
    id: 'view-backend',
    accepting: () => true,
    missing: () => null,
    affinity: () => 0,
    async submit(_prompt, opts): Promise<RunHandle> {
      return { promptId: opts.promptId, done: Promise.resolve({ status: 'success', outputs: { 1: { images: [{ filename: 'big.bin', subfolder: '', type: 'output' }] } }, comfyMs: 0 }) };
    },
    cancel: async () => undefined,
    reattach: async () => null,
    check: async () => 'finished',
    recover: async () => undefined,
    free: async () => undefined,
    ensureFile: async () => { throw new BackendFailure('workflow', 'no inputs here'); },
    forget: async () => undefined,
    view: (ref, range) => fetch(`${base}/view?filename=${encodeURIComponent(ref.filename)}`, range ? { headers: { range } } : {}),
  };
  return { backends: () => [backend], onChange: () => () => undefined };
}

const config = loadConfig(process.env);
const source = process.env.BENCH_SOURCE ?? 'pool';
const opts: BuildOptions = { logger: false, processMetrics: false };
if (source === 'view') Object.assign(opts, { startPool: false, jobSource: viewSource(process.env.BENCH_VIEW_URL ?? ''), resolver: passThrough });
const app = await buildApp(config, opts);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`BENCH_READY ${url}\n`);
let closing = false;
process.on('SIGTERM', () => {
  if (closing) return;
  closing = true;
  void app.close().finally(() => process.exit(0));
});
