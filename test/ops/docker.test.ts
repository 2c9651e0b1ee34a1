// Docker cannot run in CI here, so the deployment files are checked as data: the facts the README
// promises (non-root, healthcheck, Node 24 base, a volume for DATA_DIR, a GPU for ComfyUI) and
// that every path the Dockerfile copies exists.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');

interface Instruction { op: string; args: string }

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  return joined.map((l) => {
    const i = l.indexOf(' ');
    return { op: l.slice(0, i).toUpperCase(), args: l.slice(i + 1).trim() };
  });
}

interface Service {
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  init?: boolean;
  stop_grace_period?: string;
  deploy?: { resources?: { reservations?: { devices?: { driver: string; capabilities: string[] }[] } } };
}
interface Compose { services: Record<string, Service>; volumes?: Record<string, unknown> }

const dockerfile = instructions(read('docker/Dockerfile'));
const env = Object.fromEntries(dockerfile.filter((i) => i.op === 'ENV').flatMap((i) => i.args.split(/\s+/).map((kv) => kv.split('='))));

test('Dockerfile: multi-stage on node:24-bookworm-slim, toolchain only in the build stage, npm ci --omit=dev', () => {
  const froms = dockerfile.filter((i) => i.op === 'FROM').map((i) => i.args);
  assert.ok(froms.length >= 2, 'multi-stage');
  for (const f of froms) assert.match(f, /^node:24-bookworm-slim\b/);
  const lastFrom = dockerfile.findLastIndex((i) => i.op === 'FROM');
  const buildRuns = dockerfile.slice(0, lastFrom).filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
  const runtimeRuns = dockerfile.slice(lastFrom).filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
  assert.match(buildRuns, /python3/);
  assert.match(buildRuns, /g\+\+/);
  assert.match(buildRuns, /npm ci --omit=dev/);
  assert.doesNotMatch(runtimeRuns, /apt-get install/);
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
  assert.ok(pkg.dependencies.tsx, 'tsx must stay a runtime dependency: the image runs TypeScript with it');
});

test('Dockerfile: non-root, healthcheck on /health, port 8787, DATA_DIR a volume, HOST 0.0.0.0', () => {
  const users = dockerfile.filter((i) => i.op === 'USER').map((i) => i.args);
  assert.ok(users.length > 0 && !['root', '0'].includes(users.at(-1) as string), `runs as ${users.at(-1)}`);
  const hc = dockerfile.find((i) => i.op === 'HEALTHCHECK');
  assert.ok(hc, 'HEALTHCHECK');
  assert.match(hc.args, /fetch\(.*\/health/);
  assert.ok(dockerfile.some((i) => i.op === 'EXPOSE' && i.args === '8787'));
  assert.equal(env.PORT, '8787');
  assert.equal(env.HOST, '0.0.0.0');
  assert.equal(env.DATA_DIR, '/data');
  assert.ok(dockerfile.some((i) => i.op === 'VOLUME' && i.args.includes('/data')));
  const cmd = dockerfile.findLast((i) => i.op === 'CMD');
  assert.match(cmd?.args ?? '', /src\/main\.ts/);
});

test('Dockerfile: every COPY source exists and none is excluded by .dockerignore', () => {
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const i of dockerfile.filter((x) => x.op === 'COPY' && !x.args.includes('--from'))) {
    const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    for (const src of parts.slice(0, -1)) {
      assert.ok(existsSync(new URL(src, root)), `COPY ${src} does not exist`);
      assert.ok(!ignored.includes(src), `COPY ${src} is excluded by .dockerignore`);
    }
  }
  for (const must of ['node_modules', '.git', 'data']) assert.ok(ignored.includes(must), `.dockerignore should exclude ${must}`);
});

function fleetService(file: string): { compose: Compose; fleet: Service } {
  const compose = parse(read(file)) as Compose;
  const fleet = compose.services.fleet;
  assert.ok(fleet, `${file}: a fleet service`);
  assert.deepEqual(fleet.build, { context: '..', dockerfile: 'docker/Dockerfile' });
  assert.match(fleet.environment?.API_KEYS ?? '', /^\$\{API_KEYS:\?/, 'API_KEYS is required (the image binds 0.0.0.0)');
  const dataVolume = fleet.volumes?.find((v) => v.endsWith(`:${env.DATA_DIR}`));
  assert.ok(dataVolume, `${file}: a volume mounted at DATA_DIR (${env.DATA_DIR})`);
  assert.ok(compose.volumes && dataVolume.split(':')[0] as string in compose.volumes, 'a named volume');
  assert.ok(fleet.ports?.includes('8787:8787'));
  assert.equal(fleet.init, true);
  assert.ok(Number.parseInt(fleet.stop_grace_period ?? '0', 10) * 1000 > Number(fleet.environment?.SHUTDOWN_GRACE_MS), 'docker waits longer than the drain');
  return { compose, fleet };
}

test('compose.yaml: the service attached to a real ComfyUI on an NVIDIA GPU, ComfyUI not published', () => {
  const { compose, fleet } = fleetService('docker/compose.yaml');
  const comfy = compose.services.comfyui as Service;
  assert.ok(comfy, 'a comfyui service');
  assert.equal(fleet.environment?.COMFY_SERVERS, 'http://comfyui:8188');
  const gpu = comfy.deploy?.resources?.reservations?.devices?.[0];
  assert.equal(gpu?.driver, 'nvidia');
  assert.deepEqual(gpu?.capabilities, ['gpu']);
  assert.equal(comfy.ports, undefined, 'ComfyUI has no auth: keep it off the host network');
});

test('compose.simulated.yaml: stand-in backends, no GPU, no other service', () => {
  const { compose, fleet } = fleetService('docker/compose.simulated.yaml');
  assert.deepEqual(Object.keys(compose.services), ['fleet']);
  assert.equal(fleet.environment?.COMFY_SIMULATED, 'true');
  assert.equal(fleet.deploy, undefined);
});
