/**
 * Reconnect delays: exponential backoff with "full jitter" (a uniformly random delay between 0
 * and the exponential cap), which spreads the reconnects of many clients after a backend restart
 * instead of having them arrive in waves.
 */
export interface BackoffPolicy {
  /** Cap of the first retry's delay. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
}

/** The cap for retry number `attempt` (0-based): `min(maxMs, baseMs * 2^attempt)`. */
export function backoffCeiling(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(0, attempt), 30); // 2^30 already dwarfs any sane maxMs
  return Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
}

/** A delay in `[0, ceiling)`; `random` is injectable so tests can pin it. */
export function fullJitterDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(attempt, policy));
}
