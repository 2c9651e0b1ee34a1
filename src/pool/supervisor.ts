/**
 * Supervision of one spawned ComfyUI server: launch, readiness, restart with backoff, the
 * crash-loop breaker, stop, and re-adoption of a process a previous service instance started.
 * The supervisor owns the process (pid, port, log tail, crash history); the backend it reports to
 * owns the public state and maps these events onto it:
 *
 *   launching  a process was spawned (or re-spawned)          → backend `starting`
 *   ready      it answered (line, probe) or was re-adopted    → backend `ready`
 *   restarting it crashed; a new launch is due after delayMs  → backend `restarting`
 *   failed     first start failed, or the crash-loop breaker tripped: no more restarts
 *   stopped    stop() finished; the process group is gone
 *
 * Every launch bumps a generation number; exits and readiness results of an older generation
 * (a process we are stopping or replacing) are ignored, so a stop never looks like a crash.
 */
import { appendFileSync, mkdirSync, statSync } from 'node:fs';
import type { ComfyLogger } from '../comfy/index.ts';
import { isZombie, launch, pidAlive, signalGroup, type ExitInfo, type Launched, type ServerDirs } from './child.ts';
import { FileTail, LogRing, rotateIfLarge } from './logs.ts';
import type { Config } from '../config.ts';
import type { PortAllocator } from './ports.ts';
import { waitForReady } from './readiness.ts';
import type { RecordStore, ServerRecord } from './records.ts';

/** The supervisor's share of the pool settings (src/config.ts documents each). */
export type SupervisorSettings = Pick<
  Config['comfy'],
  'connectAttempts' | 'startTimeoutMs' | 'probeIntervalMs' | 'restartBackoffMs' | 'restartBackoffMaxMs' |
  'crashLoopCount' | 'crashLoopWindowMs' | 'stopGraceMs' | 'logLines'
>;

/** Log polling once a server is ready (100 ms while its readiness line is awaited). */
const LOG_POLL_READY_MS = 1000;

export type SupervisorEvent =
  | { type: 'launching'; pid: number; port: number }
  | { type: 'ready'; pid: number; port: number; via: 'line' | 'probe' | 'adopted' }
  | { type: 'restarting'; delayMs: number; detail: string }
  | { type: 'failed'; detail: string; lastLines: string[] }
  | { type: 'stopped'; detail: string };

export interface SupervisorDeps {
  id: string;
  slot: string;
  command: string[];
  gpu: string | null;
  extraArgs: string[];
  dirs: ServerDirs;
  simulated: boolean;
  env: Record<string, string>;
  ports: PortAllocator;
  records: RecordStore;
  settings: SupervisorSettings;
  logger: ComfyLogger;
  probe(url: string): Promise<boolean>;
  interrupt(url: string): Promise<void>;
  onEvent(event: SupervisorEvent): void;
}

const LOG_ROTATE_BYTES = 20 * 1024 * 1024;
const PORT_IN_USE = /already in use|EADDRINUSE/i;

export class Supervisor {
  readonly #d: SupervisorDeps;
  readonly #ring: LogRing;
  readonly logFile: string;
  #pid = 0;
  #port: number | null = null;
  #proc: Launched | null = null;
  #tail: FileTail | null = null;
  #lineListeners = new Set<(line: string) => void>();
  #generation = 0;
  #startAbort = new AbortController();
  #restartTimer: NodeJS.Timeout | undefined;
  #livenessTimer: NodeJS.Timeout | undefined;
  #crashes: number[] = [];
  #everReady = false;
  #adopted = false;
  #startedAt: number | null = null;
  #restarts = 0;

  constructor(deps: SupervisorDeps) {
    this.#d = deps;
    this.#ring = new LogRing(deps.settings.logLines);
    this.logFile = `${deps.dirs.root}/comfy.log`;
  }

  get pid(): number | null { return this.#pid > 0 ? this.#pid : null; }
  get port(): number | null { return this.#port; }
  get url(): string | null { return this.#port === null ? null : `http://127.0.0.1:${this.#port}`; }
  get adopted(): boolean { return this.#adopted; }
  get startedAt(): number | null { return this.#startedAt; }
  get restarts(): number { return this.#restarts; }

  logs(tail?: number): string[] {
    return this.#ring.tail(tail);
  }

  /** First start (or an operator's re-arm): a failure to become ready marks the server failed. */
  async start(): Promise<void> {
    this.#crashes = [];
    await this.#run(true);
  }

  /** Takes over a live, healthy process a previous service instance spawned (not our child). */
  adopt(record: ServerRecord): void {
    this.#generation += 1;
    this.#pid = record.pid;
    this.#port = record.port;
    this.#d.ports.hold(record.port);
    this.#adopted = true;
    this.#everReady = true;
    this.#startedAt = record.startedAt;
    let offset = 0;
    try {
      offset = Math.max(0, statSync(this.logFile).size - 64 * 1024);
    } catch { /* no log file: start from nothing */ }
    this.#followLog(offset);
    this.#tail?.every(LOG_POLL_READY_MS);
    this.#ring.push(`[comfy-fleet] re-adopted pid ${record.pid} on port ${record.port}: not our child, so liveness is probed (pid + HTTP); its output is still read from ${this.logFile}`);
    this.#watchAdopted(this.#generation);
    this.#d.onEvent({ type: 'ready', pid: record.pid, port: record.port, via: 'adopted' });
  }

  /** Interrupt, SIGTERM to the group, SIGKILL after the grace period; forgets the record. */
  async stop(detail: string): Promise<void> {
    await this.#terminate();
    if (this.#port !== null) this.#d.ports.release(this.#port);
    this.#port = null;
    this.#d.onEvent({ type: 'stopped', detail });
  }

  /** Operator restart: stops whatever runs, clears the crash history, starts afresh. */
  async restart(): Promise<void> {
    await this.#terminate();
    this.#restarts += 1;
    await this.start();
  }

  /** Leaves the process running for the next service instance (COMFY_KEEP_ON_EXIT). */
  async detach(): Promise<void> {
    this.#generation += 1;
    this.#startAbort.abort();
    clearTimeout(this.#restartTimer);
    clearInterval(this.#livenessTimer);
    this.#proc?.unref();
    await this.#tail?.close();
    this.#tail = null;
  }

  async #run(first: boolean): Promise<void> {
    const gen = ++this.#generation;
    this.#startAbort = new AbortController();
    for (let portTry = 0; ; portTry++) {
      const port = this.#port ?? (await this.#d.ports.reserve());
      this.#port = port;
      const launched = await this.#launch(port);
      const url = `http://127.0.0.1:${port}`;
      const outcome = await waitForReady({
        onLine: (listener) => this.#onLine(listener),
        probe: () => this.#d.probe(url),
        exited: launched.exited,
        attempts: this.#d.settings.connectAttempts,
        timeoutMs: this.#d.settings.startTimeoutMs,
        maxProbeGapMs: Math.max(this.#d.settings.probeIntervalMs, Math.ceil(this.#d.settings.startTimeoutMs / this.#d.settings.connectAttempts)),
        signal: this.#startAbort.signal,
      });
      if (gen !== this.#generation) return; // stopped or replaced meanwhile
      if (outcome.ok) {
        this.#everReady = true;
        this.#startedAt = Date.now();
        // Ready: nothing waits on the log any more; one stat a second is plenty for the ring.
        this.#tail?.every(LOG_POLL_READY_MS);
        void launched.exited.then((exit) => this.#onExit(gen, exit));
        this.#d.onEvent({ type: 'ready', pid: launched.pid, port, via: outcome.via });
        return;
      }
      if (outcome.why !== 'exited') await this.#killNow(launched);
      await this.#tail?.poll(); // pick up the very last lines before quoting them
      const lastLines = this.#ring.tail(20);
      const quoted = lastLines.filter((l) => !l.startsWith('[comfy-fleet]')).slice(-5);
      this.#d.records.remove(this.#d.id);
      this.#pid = 0;
      const detail = outcome.why === 'exited'
        ? `exited before it was ready (${describeExit(outcome.exit)})`
        : outcome.why === 'timeout'
          ? `not ready within COMFY_START_TIMEOUT_MS=${this.#d.settings.startTimeoutMs}`
          : `not ready after COMFY_CONNECT_ATTEMPTS=${this.#d.settings.connectAttempts} probes`;
      if (outcome.why === 'exited' && portTry < 2 && lastLines.some((l) => PORT_IN_USE.test(l))) {
        // Someone took the port between our check and the bind: a new port, not a crash.
        this.#d.ports.release(port);
        this.#port = null;
        continue;
      }
      this.#afterFailure(first && !this.#everReady, `${detail}; last output: ${quoted.join(' | ') || '(none)'}`, lastLines);
      return;
    }
  }

  async #launch(port: number): Promise<Launched> {
    const d = this.#d;
    for (const dir of [d.dirs.root, d.dirs.input, d.dirs.output, d.dirs.temp]) mkdirSync(dir, { recursive: true });
    await this.#tail?.close();
    await rotateIfLarge(this.logFile, LOG_ROTATE_BYTES);
    appendFileSync(this.logFile, '');
    const offset = statSync(this.logFile).size;
    this.#followLog(offset);
    const spec = { command: d.command, port, gpu: d.gpu, dirs: d.dirs, extraArgs: d.extraArgs, logFile: this.logFile, env: d.env };
    const launched = launch(spec);
    appendFileSync(this.logFile, `[comfy-fleet] ${new Date().toISOString()} launched pid ${launched.pid}: ${launched.argv.join(' ')}\n`);
    this.#proc = launched;
    this.#pid = launched.pid;
    this.#adopted = false;
    if (launched.pid > 0) {
      d.records.put({
        id: d.id, slot: d.slot, pid: launched.pid, port, gpu: d.gpu, argv: launched.argv, extraArgs: d.extraArgs,
        dirs: d.dirs, logFile: this.logFile, simulated: d.simulated, startedAt: Date.now(),
      });
    }
    d.onEvent({ type: 'launching', pid: launched.pid, port });
    return launched;
  }

  #followLog(offset: number): void {
    this.#tail = new FileTail({
      file: this.logFile,
      offset,
      intervalMs: 100,
      onLine: (line) => {
        this.#ring.push(line);
        for (const listener of this.#lineListeners) listener(line);
      },
    });
    this.#tail.start();
  }

  #onLine(listener: (line: string) => void): () => void {
    this.#lineListeners.add(listener);
    return () => this.#lineListeners.delete(listener);
  }

  #onExit(gen: number, exit: ExitInfo): void {
    if (gen !== this.#generation) return;
    this.#d.records.remove(this.#d.id);
    this.#pid = 0;
    this.#ring.push(`[comfy-fleet] process exited (${describeExit(exit)})`);
    this.#crashed(`crashed (${describeExit(exit)})`);
  }

  /** A re-adopted process is not our child: no exit event, so check its pid on the probe cadence. */
  #watchAdopted(gen: number): void {
    this.#livenessTimer = setInterval(() => {
      if (gen !== this.#generation) return clearInterval(this.#livenessTimer);
      if (pidAlive(this.#pid) && !isZombie(this.#pid)) return;
      clearInterval(this.#livenessTimer);
      this.#d.records.remove(this.#d.id);
      this.#ring.push(`[comfy-fleet] re-adopted pid ${this.#pid} is gone`);
      this.#pid = 0;
      this.#crashed('re-adopted process exited');
    }, this.#d.settings.probeIntervalMs);
    this.#livenessTimer.unref();
  }

  #afterFailure(isFirstStart: boolean, detail: string, lastLines: string[]): void {
    if (isFirstStart) {
      this.#d.onEvent({ type: 'failed', detail: `first start failed: ${detail}`, lastLines });
      return;
    }
    this.#crashed(detail);
  }

  /** Crash-loop breaker, then exponential backoff: base × 2^(crashes in window − 1), capped. */
  #crashed(detail: string): void {
    const s = this.#d.settings;
    const now = Date.now();
    this.#crashes = [...this.#crashes.filter((t) => now - t < s.crashLoopWindowMs), now];
    const n = this.#crashes.length;
    if (n >= s.crashLoopCount) {
      this.#d.onEvent({
        type: 'failed',
        detail: `crash loop: ${n} crashes within COMFY_CRASH_LOOP_WINDOW_MS=${s.crashLoopWindowMs} (last: ${detail}); restart it by hand`,
        lastLines: this.#ring.tail(20),
      });
      return;
    }
    const delayMs = Math.min(s.restartBackoffMaxMs, s.restartBackoffMs * 2 ** (n - 1));
    const gen = this.#generation;
    this.#d.onEvent({ type: 'restarting', delayMs, detail });
    this.#restartTimer = setTimeout(() => {
      if (gen !== this.#generation) return;
      this.#restarts += 1;
      void this.#run(false);
    }, delayMs);
  }

  /** Ends the current process (if any) and invalidates every pending reaction to it. */
  async #terminate(): Promise<void> {
    this.#generation += 1;
    this.#startAbort.abort();
    clearTimeout(this.#restartTimer);
    clearInterval(this.#livenessTimer);
    const pid = this.#pid;
    const url = this.url;
    if (pid > 0 && this.#alive(pid)) {
      if (url !== null) await this.#d.interrupt(url).catch(() => undefined);
      signalGroup(pid, 'SIGTERM');
      if (!(await this.#waitDead(pid, this.#d.settings.stopGraceMs))) {
        this.#d.logger.warn({ server: this.#d.id, pid }, 'pool: server ignored SIGTERM, sending SIGKILL to its process group');
        signalGroup(pid, 'SIGKILL');
        await this.#waitDead(pid, 5000);
      }
    }
    signalGroup(pid, 'SIGKILL'); // stragglers left in the group by a server that exited itself
    this.#pid = 0;
    this.#proc = null;
    this.#d.records.remove(this.#d.id);
    await this.#tail?.close();
    this.#tail = null;
  }

  async #killNow(launched: Launched): Promise<void> {
    signalGroup(launched.pid, 'SIGKILL');
    await Promise.race([launched.exited, delay(5000)]);
  }

  #alive(pid: number): boolean {
    return pidAlive(pid) && !isZombie(pid);
  }

  /** Our own child reports its exit; a re-adopted one is polled. */
  async #waitDead(pid: number, ms: number): Promise<boolean> {
    const proc = this.#proc;
    if (proc !== null && proc.pid === pid) {
      return Promise.race([proc.exited.then(() => true), delay(ms).then(() => false)]);
    }
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!this.#alive(pid)) return true;
      await delay(25);
    }
    return !this.#alive(pid);
  }
}

export function describeExit(exit: ExitInfo): string {
  if (exit.signal !== null) return `signal ${exit.signal}`;
  return exit.code === null ? 'unknown status' : `exit code ${exit.code}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
