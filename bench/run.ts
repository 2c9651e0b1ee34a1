// Runs every benchmark in sequence (each in its own process), then writes bench/README.md: the
// machine, the date, every figure with its goal and whether it is met, and what each harness
// does. `npm run bench` (BENCH_QUICK=1 for the ~2-minute smoke run).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machine, QUICK, type Figure } from './lib/bench.ts';
import { serviceRuntime } from './lib/build.ts';

const BENCHES: { name: string; about: string }[] = [
  { name: 'overhead', about: 'The same ~0 ms workflow (a 1×1 image of a random colour, previewed: never cached) posted directly to a stand-in with `ComfyClient` (POST /prompt, events on its websocket, result from /history) and through the service (`POST /jobs?wait=30`, answered when the job is terminal), interleaved one by one against the same single stand-in. Added latency = service percentile − direct percentile.' },
  { name: 'throughput', about: 'N jobs of the ~0 ms workflow over 8 stand-ins: first a baseline dispatcher in the bench posting straight to the stand-ins (two prompts in each ComfyUI queue), then the service end to end (`POST /jobs?wait=60`, 64 in flight). The idle gap is read from each stand-in\'s /history: execution_success of one prompt to execution_start of the next (ms timestamps). Outputs collection is off here because it deletes the history the gaps are read from.' },
  { name: 'affinity', about: 'Jobs (deterministic random mix of 3 checkpoints, 10 steps × 20 ms) over 4 stand-ins whose checkpoint switch costs 2 s: all submitted at once to the service and followed over its websocket, then the same sequence sent round-robin straight to the stand-ins. Models are unloaded (POST /free) before each run. Figure = round-robin makespan / service makespan.' },
  { name: 'fanout', about: 'One long sampler job per stand-in (4), progress every 50 ms (20 Hz); 1,000 websockets each subscribed to one of them. Latency = receive time − the event\'s `at` (stamped when the service publishes it; same clock). Baseline in the same run: one subscriber per job. RSS of the service process sampled every 250 ms.' },
  { name: 'memory', about: 'RSS of the service process (from /proc) before and after queueing N jobs while its only stand-in is drained (nothing dispatches); then a service with an in-memory backend whose job names a file its /view serves (a plain HTTP server in the bench generating the bytes), downloaded through `GET /jobs/:id/outputs/0` with outputs collection off, RSS sampled every 100 ms.' },
  { name: 'pool-startup', about: '8 spawned stand-ins (each sleeping 1 s before listening, like ComfyUI importing its nodes) started in parallel by the pool, against the slowest of single starts, once with the stand-in booted through tsx and once from a prebuilt bundle (COMFY_COMMAND), in the same run.' },
];

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const only = process.argv.slice(2);
const failures: string[] = [];
const started = Date.now();
for (const b of BENCHES) {
  if (only.length && !only.includes(b.name)) continue;
  console.log(`\n== ${b.name}${QUICK ? ' (quick)' : ''}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', here(`./${b.name}.ts`)], { stdio: 'inherit', env: process.env, timeout: 30 * 60_000 });
  if (r.status !== 0) failures.push(`${b.name} (exit ${r.status ?? r.signal})`);
  console.log(`   ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

interface Result { name: string; quick: boolean; at: string; machine: ReturnType<typeof machine>; figures: Figure[] }
const results: Result[] = [];
for (const b of BENCHES) {
  try {
    results.push(JSON.parse(readFileSync(here(`./results/${b.name}.json`), 'utf8')) as Result);
  } catch {
    failures.push(`${b.name} (no results)`);
  }
}

const m = machine();
const rows = results.flatMap((r) => r.figures.map((f) => `| ${f.name} | ${f.value} ${f.unit} | ${f.better === 'lower' ? '≤' : '≥'} ${f.goal} ${f.unit} | ${f.met ? 'met' : '**not met**'} | ${r.at.slice(0, 16).replace('T', ' ')}${r.quick ? ' (quick)' : ''}, load ${r.machine.loadAverage[0]} |`));
const readme = `# Benchmarks and load

\`npm run bench\` runs every script below in sequence, each side by side with its baseline in one
run, prints the figures and ratios, writes \`bench/results/<name>.json\` and regenerates this file
(\`BENCH_QUICK=1 npm run bench\` scales the counts down to smoke-run the set in a few minutes;
\`npm run bench -- overhead fanout\` runs some of them). One script can run alone:
\`npx tsx bench/overhead.ts\`. Nothing here runs under \`npm test\`; nothing is asserted.

The service runs in its own process (\`bench/lib/server.ts\`, configured by the environment like
\`src/main.ts\`) so its RSS and CPU are its own. By default it runs **built** (an esbuild bundle of
the same sources, \`bench/lib/build.ts\`); \`BENCH_SERVICE=tsx\` runs it through tsx as \`npm start\`
does (≈35 MB more RSS, slower start). Stand-ins are spawned by the service's pool from a prebuilt
bundle given as \`COMFY_COMMAND\`, through the same supervisor path as ComfyUI. Loopback only;
\`BENCH_CPU_PROF=<dir>\` writes a \`--cpu-prof\` profile of the service.

## Results

Run of ${new Date(started).toISOString().slice(0, 10)}${QUICK ? ', **quick mode** (reduced counts)' : ', full mode'}; service ${serviceRuntime()}.
Machine: ${m.cpu} × ${m.cpus}, ${m.memoryGb} GB, ${m.os}, Node ${m.node}.
The load column is the 1-minute load average when each result was written: this machine is
shared with other test runs, so figures that depend on CPU time vary a lot between runs.

| Figure | Value | Goal | Status | Measured |
|---|---|---|---|---|
${rows.join('\n')}

${failures.length ? `Failed or missing: ${failures.join(', ')}.\n\n` : ''}See "Findings" below for what limits the figures that are not met.

## Harnesses

${BENCHES.map((b) => `- **${b.name}** (\`bench/${b.name}.ts\`): ${b.about}`).join('\n')}
`;
const path = here('./README.md');
// Sections written by hand (Findings) or by other scripts (Load, from scripts/load.ts) survive.
const kept = new Map<string, string>();
try {
  const old = readFileSync(path, 'utf8');
  for (const part of old.split(/\n(?=## )/)) {
    const title = /^## (.+)/.exec(part)?.[1]?.trim();
    if (title === 'Findings' || title === 'Load') kept.set(title, part.trimEnd());
  }
} catch { /* first run */ }
const findings = kept.get('Findings') ?? '## Findings\n\n(Written by hand after a run: what limits each figure that is not met.)';
writeFileSync(path, `${readme}\n${findings}\n${kept.has('Load') ? `\n${kept.get('Load')}\n` : ''}`);
console.log(`\nwrote bench/README.md${failures.length ? `; failures: ${failures.join(', ')}` : ''}`);
if (failures.length) process.exitCode = 1;
