/**
 * The logging surface src/comfy needs. A pino logger satisfies it, and so does a test spy;
 * callers inject one, this module never creates or configures a logger itself.
 */
export interface ComfyLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Used when the caller passes no logger: a fresh object, so no state is shared between owners. */
export function silentLogger(): ComfyLogger {
  const noop = (): void => {};
  return { debug: noop, info: noop, warn: noop, error: noop };
}
