/**
 * One ComfyUI process: its command line, the spawn itself and signals to its process group.
 * The stand-in and a real ComfyUI go through exactly this code; only `command` differs.
 *
 * Children are `detached` (their own session and process group, pgid = pid) so that a service
 * restart neither signals them nor takes them down, and so that stop/reap can signal the whole
 * group (ComfyUI may start helpers). stdout+stderr go straight into the log file (see logs.ts).
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { execa } from 'execa';

export interface ServerDirs {
  /** DATA_DIR/servers/<id>: log file and per-server directories live here. */
  root: string;
  input: string;
  output: string;
  /** Passed as --temp-directory; ComfyUI uses (and wipes) `<temp>/temp` inside it. */
  temp: string;
}

export interface LaunchSpec {
  command: string[];
  port: number;
  gpu: string | null;
  dirs: ServerDirs;
  extraArgs: string[];
  logFile: string;
  env: Record<string, string>;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

export interface Launched {
  pid: number;
  argv: string[];
  /** Resolves when the process exits (never rejects). */
  exited: Promise<ExitInfo>;
  /** Stop keeping the event loop alive for this child (it is left running on purpose). */
  unref(): void;
}

/** The full argv: `[...command, --listen 127.0.0.1 --port P --*-directory ... (--cuda-device G) ...extra]`. */
export function buildArgv(spec: Omit<LaunchSpec, 'logFile' | 'env'>): string[] {
  const argv = [
    ...spec.command,
    '--listen', '127.0.0.1',
    '--port', String(spec.port),
    '--output-directory', spec.dirs.output,
    '--input-directory', spec.dirs.input,
    '--temp-directory', spec.dirs.temp,
  ];
  if (spec.gpu !== null) argv.push('--cuda-device', spec.gpu);
  argv.push(...spec.extraArgs);
  return argv;
}

export function launch(spec: LaunchSpec): Launched {
  const argv = buildArgv(spec);
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('empty server command');
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = execa(file, args, {
      detached: true,
      cleanup: false, // a service restart must not take the servers down
      stdin: 'ignore',
      // execa's types only list fds 1 and 2 here, but any fd number is handed to spawn()
      // natively (execa lib/stdio/type.js: a number is a 'native' value), which is what we want.
      stdout: fd as 1,
      stderr: fd as 2,
      reject: false,
      buffer: false,
      forceKillAfterDelay: false,
      env: spec.env,
      extendEnv: true,
    });
    const pid = child.pid;
    if (pid === undefined) {
      // spawn failed synchronously (ENOENT etc.); execa reports the reason through the promise
      const failed = child.then((r) => r.message ?? 'spawn failed');
      child.catch(() => undefined);
      return spawnFailure(argv, failed);
    }
    const exited = child.then(
      (r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null }),
      () => ({ code: null, signal: null }),
    );
    return { pid, argv, exited, unref: () => child.unref() };
  } finally {
    closeSync(fd); // the child holds its own copy
  }
}

function spawnFailure(argv: string[], reason: Promise<string>): Launched {
  return {
    pid: 0,
    argv,
    exited: reason.then((message) => ({ code: null, signal: `spawn failed: ${message}` })),
    unref: () => undefined,
  };
}

/** Signals the process group led by `pid`; false when there is none. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal); // not a group leader after all: at least the process itself
      return true;
    } catch {
      return false;
    }
  }
}

export function pidAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The command line of a live pid (Linux /proc), or null where it cannot be read. Used before
 * reaping a recorded pid: after a reboot or a long outage the pid may belong to someone else.
 */
export function processArgv(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s !== '');
  } catch {
    return null;
  }
}

/** A zombie counts as dead: it holds no port and will never answer. */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /\) Z /.test(stat);
  } catch {
    return false;
  }
}
