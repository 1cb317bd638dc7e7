/**
 * Exponential backoff without jitter: one shard pipeline retries alone, so there is no herd to
 * spread, and deterministic delays keep marble tests exact.
 * @packageDocumentation
 */

/** How a failing call is retried. */
export interface BackoffSettings {
  /** Delay before the first retry, in ms. Default 500 (`kcl.taskBackoffTimeMillis`). */
  readonly initialMillis?: number;
  /** Longest delay between retries, in ms. Default 10000. */
  readonly maxMillis?: number;
  /**
   * How many times in a row a retryable failure other than throttling is retried before the
   * error is passed on. Default 10. Throttling is retried for as long as it lasts.
   */
  readonly maxRetries?: number;
}

/** {@link BackoffSettings} with the defaults filled in and checked. */
export interface Backoff {
  readonly initialMillis: number;
  readonly maxMillis: number;
  readonly maxRetries: number;
  /** The delay before retry number `attempt` (1-based): initial × 2^(attempt − 1), capped. */
  delay(attempt: number): number;
}

/**
 * Checks the settings and fills in the defaults.
 * @param owner the function the settings were given to, for the error message
 * @throws TypeError naming the setting that is out of range
 */
export function backoff(settings: BackoffSettings | undefined, owner: string): Backoff {
  const initialMillis = settings?.initialMillis ?? 500;
  const maxMillis = settings?.maxMillis ?? 10_000;
  const maxRetries = settings?.maxRetries ?? 10;
  requireMillis(initialMillis, `${owner}: backoff.initialMillis`);
  requireMillis(maxMillis, `${owner}: backoff.maxMillis`);
  if (maxMillis < initialMillis) {
    throw new TypeError(`${owner}: backoff.maxMillis (${maxMillis}) must not be below backoff.initialMillis (${initialMillis})`);
  }
  if (!(Number.isSafeInteger(maxRetries) && maxRetries >= 0)) {
    throw new TypeError(`${owner}: backoff.maxRetries must be a non-negative integer, got ${maxRetries}`);
  }
  return {
    initialMillis,
    maxMillis,
    maxRetries,
    // Past 2^30 the cap has long been reached; the exponent is clamped so the product stays finite.
    delay: (attempt) => Math.min(maxMillis, initialMillis * 2 ** Math.min(Math.max(attempt - 1, 0), 30)),
  };
}

/**
 * @throws TypeError unless `value` is a finite number ≥ 0
 * @internal
 */
export function requireMillis(value: number, what: string): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new TypeError(`${what} must be a non-negative number of milliseconds, got ${String(value)}`);
  }
}
