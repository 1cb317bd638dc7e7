/**
 * Exponential backoff between retries of records Kinesis refused.
 * @packageDocumentation
 */

/** How long to wait before each retry. */
export interface BackoffOptions {
  /** Wait before the first retry, in milliseconds. */
  readonly initialMillis: number;
  /** Longest wait, in milliseconds. */
  readonly maxMillis: number;
  /** Growth per retry (default 2). */
  readonly multiplier?: number;
}

/** The KPL retries after RecordMaxBufferedTime / 2 with no backoff; throttling needs more room. */
export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMillis: 100, maxMillis: 2000, multiplier: 2 };

/**
 * The wait before retry number `retry` (1 for the first): `initialMillis · multiplier^(retry−1)`,
 * at most `maxMillis`. No jitter: waits are deterministic, so virtual-time tests can state them.
 */
export function backoffDelay(retry: number, options: BackoffOptions): number {
  const multiplier = options.multiplier ?? DEFAULT_BACKOFF.multiplier;
  return Math.min(options.maxMillis, options.initialMillis * multiplier ** Math.max(0, retry - 1));
}

/**
 * Checks backoff options.
 * @throws TypeError naming the bad field
 */
export function checkBackoff(options: BackoffOptions): Required<BackoffOptions> {
  const resolved = { multiplier: DEFAULT_BACKOFF.multiplier, ...options };
  if (!(Number.isFinite(resolved.initialMillis) && resolved.initialMillis >= 0)) {
    throw new TypeError(`retryBackoff.initialMillis must be a finite number ≥ 0, got ${resolved.initialMillis}`);
  }
  if (!(resolved.maxMillis >= resolved.initialMillis)) {
    throw new TypeError(`retryBackoff.maxMillis must be ≥ initialMillis (${resolved.initialMillis}), got ${resolved.maxMillis}`);
  }
  if (!(Number.isFinite(resolved.multiplier) && resolved.multiplier >= 1)) {
    throw new TypeError(`retryBackoff.multiplier must be a finite number ≥ 1, got ${resolved.multiplier}`);
  }
  return resolved;
}
