/**
 * Waiting for a resource to settle (a stream ACTIVE after a create or a reshard, a table ACTIVE
 * after a create) by polling its status on an injected scheduler, with growing pauses so a slow
 * real service is not flooded with describe calls while a fast emulator answers almost at once.
 * @packageDocumentation
 */
import { first, map, repeat, throwError, timeout, timer, type Observable, type SchedulerLike } from 'rxjs';

/** How to poll a status until a resource settles. */
export interface StatusPolling {
  readonly scheduler: SchedulerLike;
  /** Pause before the second poll; each later pause doubles, up to `maxDelayMillis`. */
  readonly initialDelayMillis: number;
  readonly maxDelayMillis: number;
  /** Give up this long after the first poll was sent. */
  readonly timeoutMillis: number;
}

/**
 * Re-subscribes to `status$` until it emits a value `isReady` accepts, then emits once and completes.
 * An error from `status$` ends the wait; so does the timeout, with `onTimeout()`.
 * @internal
 */
export function awaitStatus<S>(
  status$: Observable<S>,
  isReady: (status: S) => boolean,
  polling: StatusPolling,
  onTimeout: () => Error,
): Observable<void> {
  const { scheduler, initialDelayMillis, maxDelayMillis, timeoutMillis } = polling;
  return status$.pipe(
    repeat({ delay: (count) => timer(Math.min(initialDelayMillis * 2 ** (count - 1), maxDelayMillis), scheduler) }),
    first(isReady),
    map((): void => undefined),
    timeout({ first: timeoutMillis, scheduler, with: () => throwError(onTimeout) }),
  );
}
