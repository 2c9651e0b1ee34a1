/**
 * Logging the way ComfyUI ≥0.23 does it: a coloured `[LEVEL]` prefix on the first line of each
 * record, always (even when the stream is not a TTY), to stderr; `--log-stdout` sends records
 * below ERROR to stdout instead.
 */

export const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;
export type LevelName = keyof typeof LEVELS;

const PREFIX: Record<LevelName, string> = {
  DEBUG: '\x1b[36m[DEBUG]\x1b[0m ',
  INFO: '\x1b[32m[INFO]\x1b[0m ',
  WARNING: '\x1b[1m\x1b[33m[WARNING]\x1b[0m ',
  ERROR: '\x1b[1m\x1b[31m[ERROR]\x1b[0m ',
  CRITICAL: '\x1b[1m\x1b[31m[CRITICAL]\x1b[0m ',
};

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warning(msg: string): void;
  error(msg: string): void;
}

export interface LoggerOptions {
  level: LevelName;
  logStdout: boolean;
  /** Sinks, replaceable in tests. */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

export function createLogger(opts: LoggerOptions): Logger {
  const out = opts.stdout ?? ((t: string) => process.stdout.write(t));
  const err = opts.stderr ?? ((t: string) => process.stderr.write(t));
  const min = LEVELS[opts.level];
  const emit = (level: LevelName, msg: string): void => {
    if (LEVELS[level] < min) return;
    const text = `${PREFIX[level]}${msg}\n`;
    if (opts.logStdout && LEVELS[level] < LEVELS.ERROR) out(text);
    else err(text);
  };
  return {
    debug: (m) => emit('DEBUG', m),
    info: (m) => emit('INFO', m),
    warning: (m) => emit('WARNING', m),
    error: (m) => emit('ERROR', m),
  };
}

/** `Prompt executed in …`: seconds with two decimals, or H:MM:SS above ten minutes. */
export function executionTimeText(durationMs: number): string {
  const seconds = durationMs / 1000;
  if (seconds < 600) return `Prompt executed in ${seconds.toFixed(2)} seconds`;
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `Prompt executed in ${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** The message is coloured green inside the INFO record, as in the captured stderr. */
export const green = (text: string): string => `\x1b[32m${text}\x1b[0m`;
