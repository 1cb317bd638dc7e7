/**
 * Writes a shard's checkpoint as its committed prefix advances, batching the writes:
 *
 * - the first advance after a write (or after the start) opens a window of `intervalMillis`; when
 *   it closes, the newest position is written. Reaching `maxCommits` commits since the last write
 *   closes it at once. Commits made while a write is in flight wait for the next window;
 * - a position is written once: never the same position twice, never one at or below the last
 *   written, even if the input were to go backwards;
 * - a write that fails with a `LeaseStoreError` (throttling or another store fault) is retried with
 *   the newest position after `backoffMillis`, for as long as it takes (seed: a failed checkpoint
 *   is followed by another offer after the backoff); any other error is passed on;
 * - `LeaseLost` ends the checkpointer at once: nothing more may be written for that lease;
 * - when the input completes (the pipeline stops or the shard is drained), the newest position is
 *   written at once, without waiting for the window, then the checkpointer completes. That final
 *   phase, including a write in flight and any backoff, is bounded by `finalTimeoutMillis`.
 *
 * The seed paced writes with a "ready" notification every `notificationDelayMillis` after the
 * interval; a window that opens on the first commit gives the same bound on the write rate without
 * the idle ticks, and a lone commit is written `intervalMillis` later.
 * @packageDocumentation
 */
import {
  EMPTY,
  NEVER,
  ReplaySubject,
  asyncScheduler,
  catchError,
  concatMap,
  connect,
  distinctUntilChanged,
  endWith,
  expand,
  filter,
  ignoreElements,
  map,
  of,
  race,
  scan,
  switchMap,
  take,
  takeUntil,
  throwError,
  throwIfEmpty,
  timer,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import { LeaseStoreError } from '../../model/errors';
import type { CompoundSequenceNumber } from '../../model/sequence-number';
import { requireMillis } from '../polling/backoff';
import type { CheckpointWriter } from './checkpoint-write';
import type { CommitProgress } from './commit-tracker';

/** What the checkpointer did. */
export type CheckpointerEvent =
  | { readonly _tag: 'Checkpointed'; readonly position: CompoundSequenceNumber }
  /** The write failed; the newest position is tried again after the backoff. */
  | { readonly _tag: 'CheckpointFailed'; readonly position: CompoundSequenceNumber; readonly error: LeaseStoreError }
  /** The lease is gone; always the last event. */
  | { readonly _tag: 'LeaseLost'; readonly shardId: string };

/** Pacing of checkpoint writes (`checkpointer.*`). */
export interface CheckpointerSettings {
  /** Window between the first commit after a write and the next write (`checkpointer.intervalMillis`). */
  readonly intervalMillis: number;
  /** Wait after a failed write (`checkpointer.backoffMillis`). */
  readonly backoffMillis: number;
  /** Write at once when this many events have been committed since the last write. Default: no count limit. */
  readonly maxCommits?: number;
  /** Bound on the final write once the input completes (`worker.shutdownTimeoutSeconds`). */
  readonly finalTimeoutMillis: number;
  /**
   * Write the first position at once rather than after a window. For a shard read from LATEST or a
   * timestamp: until a record position is checkpointed, the lease says only where to start, so a
   * worker that takes the lease over would start at a newer tip and skip what came in between.
   */
  readonly firstAtOnce?: boolean;
  /** Clock of every window, backoff and deadline. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

interface State {
  /** The last position written, with the commit count it covered. */
  readonly written: CommitProgress | undefined;
  /** The last write failed: the next one comes after the backoff. */
  readonly failed: boolean;
}

interface Step {
  readonly event: CheckpointerEvent;
  readonly next: State | undefined;
}

/**
 * Turns the advances of a shard's committed prefix into checkpoint writes.
 * @param write the conditional write on the shard's lease
 * @param settings pacing
 * @throws TypeError when a setting is out of range
 */
export function checkpointer(write: CheckpointWriter, settings: CheckpointerSettings): OperatorFunction<CommitProgress, CheckpointerEvent> {
  const { intervalMillis, backoffMillis, maxCommits, finalTimeoutMillis } = settings;
  const scheduler = settings.scheduler ?? asyncScheduler;
  requireMillis(intervalMillis, 'checkpointer: intervalMillis');
  requireMillis(backoffMillis, 'checkpointer: backoffMillis');
  requireMillis(finalTimeoutMillis, 'checkpointer: finalTimeoutMillis');
  if (maxCommits !== undefined && !(Number.isSafeInteger(maxCommits) && maxCommits >= 1)) {
    throw new TypeError(`checkpointer: maxCommits must be a positive integer, got ${maxCommits}`);
  }

  return (progress$) =>
    progress$.pipe(
      // The tracker only moves forward; this keeps the writes monotonic whatever the input does.
      scan((newest, p) => (p.position.isAfter(newest.position) ? p : newest)),
      distinctUntilChanged(),
      // Every cycle reads the newest progress from one shared subscription; a late subscriber gets
      // the newest value and, once the input is done, its completion.
      connect(
        (latest$) => {
          const closed$ = latest$.pipe(ignoreElements(), endWith(true));
          const pending = (written: CommitProgress | undefined) =>
            latest$.pipe(filter((p) => written === undefined || p.position.isAfter(written.position)));
          const enoughCommits = (written: CommitProgress | undefined) =>
            maxCommits === undefined ? NEVER : latest$.pipe(filter((p) => p.committedCount - (written?.committedCount ?? 0) >= maxCommits));

          const due = ({ written, failed }: State): Observable<unknown> =>
            failed
              ? timer(backoffMillis, scheduler)
              : written === undefined && settings.firstAtOnce === true
                ? pending(written)
                : pending(written).pipe(
                    take(1),
                    switchMap(() => race(timer(intervalMillis, scheduler), enoughCommits(written), closed$)),
                  );

          const attempt = (progress: CommitProgress, state: State): Observable<Step> =>
            write(progress.position).pipe(
              take(1),
              throwIfEmpty(() => new TypeError(`checkpointer: the write of ${progress.position.toString()} completed without a result`)),
              map((result): Step =>
                result._tag === 'Checkpointed'
                  ? { event: { _tag: 'Checkpointed', position: progress.position }, next: { written: progress, failed: false } }
                  : { event: result, next: undefined },
              ),
              catchError((error: unknown) =>
                error instanceof LeaseStoreError
                  ? of<Step>({ event: { _tag: 'CheckpointFailed', position: progress.position, error }, next: { written: state.written, failed: true } })
                  : throwError(() => error),
              ),
            );

          const cycle = (state: State): Observable<Step> =>
            due(state).pipe(
              take(1),
              concatMap(() => pending(state.written).pipe(take(1))),
              concatMap((progress) => attempt(progress, state)),
            );

          const deadline$ = closed$.pipe(concatMap(() => timer(finalTimeoutMillis, scheduler)));
          return cycle({ written: undefined, failed: false }).pipe(
            expand((step) => (step.next === undefined ? EMPTY : cycle(step.next))),
            map((step) => step.event),
            takeUntil(deadline$),
          );
        },
        { connector: () => new ReplaySubject<CommitProgress>(1) },
      ),
    );
}
