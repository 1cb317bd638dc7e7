/**
 * Which store and Kinesis failures are worth another try, and how long to wait before it.
 * @packageDocumentation
 */
import { retry, throwError, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { KinesisCallError, LeaseStoreError } from '../../model/errors';

/**
 * True for throttling, network faults and 5xx answers of the lease store or Kinesis: the same call
 * may succeed later. Everything else (access denied, a missing table or stream, a malformed
 * request) will fail again and is passed on.
 */
export function isRetryable(error: unknown): boolean {
  return (error instanceof LeaseStoreError || error instanceof KinesisCallError) && error.retryable;
}

/**
 * Delay before retry number `attempt` (1-based): `baseMillis` × 2^(attempt − 1), at most `maxMillis`.
 * No jitter: the workers that share a table retry different leases at different moments anyway,
 * and exact delays keep marble tests exact.
 */
export function backoffDelay(attempt: number, baseMillis: number, maxMillis: number): number {
  return Math.min(maxMillis, baseMillis * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

/**
 * Tries a store call `attempts` times in all, with {@link backoffDelay} between tries, while its
 * error is retryable; the last error is passed on.
 */
export function retryStoreCall<T>(
  attempts: number,
  backoff: { readonly storeBackoffMillis: number; readonly renewIntervalMillis: number },
  scheduler: SchedulerLike,
): MonoTypeOperatorFunction<T> {
  return retry<T>({
    count: attempts - 1,
    delay: (error: unknown, attempt) =>
      isRetryable(error) ? timer(backoffDelay(attempt, backoff.storeBackoffMillis, backoff.renewIntervalMillis), scheduler) : throwError(() => error),
  });
}
