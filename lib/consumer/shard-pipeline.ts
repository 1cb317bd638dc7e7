/**
 * Everything one leased shard does, as one cold Observable of committable events:
 *
 * ```
 * pollShard ──▶ deaggregate ──▶ drop ≤ checkpoint ──▶ chunks ──▶ track ──▶ application ── commit() ─┐
 *     ▲ next page: the last one all emitted             ▲ next chunk                                │
 *     │ and outstanding ≤ maxUncommitted                │ outstanding ≤ maxUncommitted              │
 *     └─────────────────────────────────────────────────┴─────── CommitTracker ◀────────────────────┘
 *                                                                └── progress ──▶ checkpointer ──▶ writeCheckpoint
 * ```
 *
 * Events of the shard come in sequence order. The checkpointer runs alongside, in the same
 * subscription. The pipeline ends in one of these ways:
 *
 * - **shard end**: the last page is delivered; once every delivered event is committed, the last
 *   position is checkpointed, then `shardEnded(children)` (which checkpoints SHARD_END and lets
 *   the children start), then completion. A `LeaseLost` on the way ends it without going further;
 * - **`stop$` emits** (graceful stop): reading stops at once and no further event is emitted; the
 *   committed prefix is checkpointed (bounded by `shutdownTimeoutMillis`); completion;
 * - **`lost$` emits**, or a checkpoint write answers `LeaseLost`: completion at once, nothing more
 *   is written, since another worker holds the lease now;
 * - **a read fails** (retries exhausted, or a non-retryable error): the committed prefix is
 *   checkpointed as on a stop, then the error is passed on;
 * - **unsubscription**: RxJS tears the pipeline down synchronously and `finalize` cannot wait, so
 *   the final checkpoint of the committed prefix is handed, as a cold Observable bounded by
 *   `shutdownTimeoutMillis`, to `io.onUnsubscribe`. By default that hook subscribes to it, the one
 *   place the pipeline subscribes on its own; a caller that must release the lease after the final
 *   checkpoint passes its own hook and sequences the two. Prefer `stop$` where the caller can wait:
 *   it keeps the final write inside the subscription.
 *
 * Backpressure bounds what is emitted, not only what is fetched: a page of aggregates may hold
 * tens of thousands of user records (up to 10 MiB of raw records). A page is deaggregated lazily,
 * one Kinesis record at a time, and its user records are emitted in chunks of at most `maxRecords`;
 * the next chunk waits while more than `maxUncommitted` events are outstanding (delivered and not
 * yet in the committed prefix), and so does the next GetRecords call, which also waits until the
 * last page is all emitted. A slow subscriber thus holds at most `maxUncommitted + maxRecords`
 * events of this shard, however slow it is and however the records are aggregated, while the rest
 * of the page waits undecoded. A stop or a lost lease mid-page emits none of the rest.
 * @packageDocumentation
 */
import {
  EMPTY,
  NEVER,
  ReplaySubject,
  catchError,
  concat,
  concatMap,
  connect,
  defer,
  endWith,
  from,
  ignoreElements,
  map,
  merge,
  of,
  race,
  repeat,
  retry,
  take,
  takeUntil,
  takeWhile,
  tap,
  throwError,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { InitialPosition } from '../config/consumer-config';
import { LeaseStoreError, StreamNotFoundError } from '../model/errors';
import type { ConsumerEvent } from '../model/consumer-event';
import { CompoundSequenceNumber } from '../model/sequence-number';
import type { ChildShard, HashKeyRange, KinesisFanOutPort, KinesisPort, KinesisRecord } from '../ports/kinesis-port';
import type { CheckpointWriteResult, CheckpointWriter } from './checkpoint/checkpoint-write';
import { checkpointer, type CheckpointerEvent } from './checkpoint/checkpointer';
import { CommitTracker } from './checkpoint/commit-tracker';
import type { CommittableEvent } from './committable-event';
import { deaggregate, type DeaggregationDiagnostic } from './deaggregate/deaggregate';
import { requireMillis, type BackoffSettings } from './polling/backoff';
import { fanOutPort, fanOutShardThrough } from './fan-out/subscribe-shard';
import { checkPollOptions, pollShardThrough, type PollEvent } from './polling/poll-shard';
import { startingPosition } from './polling/starting-position';

/** What a shard pipeline reports on the side (for logs, metrics and `millisBehindLatest`). */
export type ShardDiagnostic =
  /** One page arrived: a GetRecords answer, or an enhanced fan-out event. */
  | { readonly _tag: 'Polled'; readonly shardId: string; readonly records: number; readonly millisBehindLatest: number }
  | DeaggregationDiagnostic
  /** A checkpoint write, its failure, or a lost lease seen by a write. */
  | { readonly _tag: 'Checkpoint'; readonly shardId: string; readonly outcome: CheckpointerEvent }
  /** An enhanced fan-out subscription delivered nothing for `silentMillis` and is being replaced. */
  | { readonly _tag: 'SubscriptionSilent'; readonly shardId: string; readonly silentMillis: number }
  /** The final checkpoint after an unsubscription failed unexpectedly. */
  | { readonly _tag: 'FinalCheckpointFailed'; readonly shardId: string; readonly error: unknown };

/** Ports and clock. */
export interface ShardPipelineDeps {
  /** With the fan-out methods when `settings.fanOut` is set. */
  readonly kinesis: KinesisPort & Partial<KinesisFanOutPort>;
  readonly scheduler: SchedulerLike;
  /** Told about pages, dropped aggregates and checkpoint writes; must not throw. */
  readonly onDiagnostic?: (diagnostic: ShardDiagnostic) => void;
}

/** The leased shard. */
export interface ShardToRead {
  readonly streamName: string;
  readonly shardId: string;
  /** The lease's checkpoint and sub-sequence number; `undefined` when the lease has none. */
  readonly checkpoint: CompoundSequenceNumber | undefined;
  /** The shard's hash-key range, for the KCL's aggregate filter; without it nothing is filtered. */
  readonly hashKeyRange?: HashKeyRange;
  /** Carried by every event ({@link CommittableEvent.fencingToken}). Default 0. */
  readonly fencingToken?: number;
}

/**
 * Pacing and bounds. From a `ConsumerConf`: `initialPosition` ← `initialPosition`; `maxRecords` ←
 * `polling.maxRecords`; `idleTimeBetweenReadsMillis` ← `polling.idleTimeBetweenReadsMillis`;
 * `backoff.initialMillis` ← `worker.taskBackoffMillis`; `checkpoint.intervalMillis` / `backoffMillis`
 * ← `checkpointer.intervalMillis` / `backoffMillis`; `shutdownTimeoutMillis` ← `worker.shutdownTimeoutMillis`.
 */
export interface ShardPipelineSettings {
  readonly initialPosition: InitialPosition;
  readonly maxRecords: number;
  readonly idleTimeBetweenReadsMillis: number;
  /**
   * Emitting and reading pause while more events than this are outstanding, so at most this +
   * `maxRecords` are. Default `maxRecords`; 0 emits the next chunk of `maxRecords` events (a
   * whole page of plain records) only once the last is fully committed (the seed's batch gating).
   */
  readonly maxUncommitted?: number;
  /** Retries of GetRecords / GetShardIterator. */
  readonly backoff?: BackoffSettings;
  /** A Kinesis call unanswered this long is retried. Default 30000. */
  readonly callTimeoutMillis?: number;
  readonly checkpoint: {
    readonly intervalMillis: number;
    readonly backoffMillis: number;
    /** Checkpoint at once after this many commits. Default: by interval only. */
    readonly maxCommits?: number;
  };
  /** Bound on each final checkpoint (on stop, shard end, failure or unsubscription). */
  readonly shutdownTimeoutMillis: number;
  /**
   * Read through enhanced fan-out as this registered stream consumer (SubscribeToShard) instead of
   * GetRecords; `maxRecords` then only sizes the chunks events are emitted in.
   */
  readonly fanOut?: { readonly consumerArn: string };
}

/** How the pipeline talks to the lease coordinator. */
export interface ShardPipelineIo {
  /** Checkpoints a position on the lease. */
  readonly writeCheckpoint: CheckpointWriter;
  /** Records the shard's end: checkpoints SHARD_END and creates the children's leases. */
  readonly shardEnded: (childShards: readonly ChildShard[]) => Observable<CheckpointWriteResult>;
  /** Emits when the lease is lost: the pipeline completes at once and writes nothing more. */
  readonly lost$: Observable<unknown>;
  /**
   * Asked before every event is emitted: whether the lease is still valid here. When it is not
   * (the process did not run for longer than the lease's validity, or a subscriber held the thread
   * that long), another worker may be reading the shard already: the pipeline completes at once
   * as on a lost lease, emitting nothing more and writing nothing. Default: always valid.
   */
  readonly leaseValid?: () => boolean;
  /** Emits to stop gracefully. May be subscribed more than once. */
  readonly stop$?: Observable<unknown>;
  /**
   * Receives the final checkpoint to run after an unsubscription: cold, bounded by
   * `shutdownTimeoutMillis`, never erroring (failures go to `onDiagnostic`); empty when nothing
   * is left to write. Default: subscribe to it.
   */
  readonly onUnsubscribe?: (finalCheckpoint$: Observable<CheckpointerEvent>) => void;
}

type End =
  | { readonly _tag: 'ShardEnd'; readonly childShards: readonly ChildShard[] }
  | { readonly _tag: 'Stopped' }
  | { readonly _tag: 'Failed'; readonly error: unknown };

const STOPPED: End = { _tag: 'Stopped' };
/** Marks the lease as lost inside the merged stream; never leaves the pipeline. */
const LOST = Symbol('lease lost');
/** Marks the end of the closing steps inside the control channel; never leaves the pipeline. */
const CLOSED = Symbol('closed');

/**
 * The committable events of one leased shard.
 * @throws ConfigError when the lease is checkpointed AT_TIMESTAMP and no timestamp is configured
 * @throws TypeError when a setting is out of range
 */
export function shardPipeline(
  deps: ShardPipelineDeps,
  shard: ShardToRead,
  settings: ShardPipelineSettings,
  io: ShardPipelineIo,
): Observable<CommittableEvent<ConsumerEvent>> {
  const { kinesis, scheduler, onDiagnostic } = deps;
  const { shardId, streamName } = shard;
  const { maxRecords, idleTimeBetweenReadsMillis, shutdownTimeoutMillis } = settings;
  const retries = checkPollOptions(settings);
  const maxUncommitted = settings.maxUncommitted ?? maxRecords;
  if (!(Number.isSafeInteger(maxUncommitted) && maxUncommitted >= 0)) {
    throw new TypeError(`shardPipeline: maxUncommitted must be a non-negative integer, got ${maxUncommitted}`);
  }
  requireMillis(shutdownTimeoutMillis, 'shardPipeline: shutdownTimeoutMillis');
  const checkpointing = checkpointer(io.writeCheckpoint, {
    ...settings.checkpoint,
    finalTimeoutMillis: shutdownTimeoutMillis,
    scheduler,
  });
  const start = startingPosition(shard.checkpoint, settings.initialPosition);
  const stop$ = io.stop$ ?? NEVER;
  const leaseValid = io.leaseValid ?? (() => true);
  const report = (outcome: CheckpointerEvent) => onDiagnostic?.({ _tag: 'Checkpoint', shardId, outcome });

  const fanOut = settings.fanOut === undefined ? undefined : { consumerArn: settings.fanOut.consumerArn, port: fanOutPort(kinesis) };

  if (start._tag === 'ShardFinished') return EMPTY;

  return defer(() => {
    const tracker = new CommitTracker(shardId, shard.fencingToken);
    // Nothing at or below this is written by a final checkpoint after unsubscription.
    let settled: CompoundSequenceNumber | undefined;
    // Why reading ended, set before the read stream completes; events flow alone, so no stage per
    // event has to tell them apart from this.
    let readEnd: End = STOPPED;
    // A bug of ours (events out of order) is passed on at once, not checkpointed over like a read failure.
    let trackingError: unknown;

    // A page's events, emitted in chunks of `maxRecords` while at most `maxUncommitted` are
    // outstanding; the rest of the page waits, deaggregated only as far as emitted.
    const deliver = (page: PollEvent): Observable<CommittableEvent<ConsumerEvent>> => {
      if (page._tag === 'ShardEnd') {
        readEnd = page;
        return EMPTY;
      }
      return defer(() => {
        onDiagnostic?.({ _tag: 'Polled', shardId, records: page.records.length, millisBehindLatest: page.millisBehindLatest });
        const nextEvent = userRecords(page.records, shard, start.skipThrough, onDiagnostic);
        let exhausted = false;
        // Emits chunks for as long as the subscriber keeps up, and stops at once when unsubscribed
        // (a stop or a lost lease), since `from` stops pulling.
        // The commits made while a chunk is handed over synchronously advance the checkpointer once.
        function* chunks(): Generator<CommittableEvent<ConsumerEvent>> {
          tracker.hold();
          try {
            while (tracker.outstanding <= maxUncommitted) {
              for (let n = 0; n < maxRecords; n++) {
                const next = nextEvent();
                if (next === undefined) {
                  exhausted = true;
                  return;
                }
                let tracked: CommittableEvent<ConsumerEvent>;
                try {
                  tracked = tracker.track(next);
                } catch (error: unknown) {
                  trackingError = error;
                  throw error;
                }
                yield tracked;
              }
            }
          } finally {
            tracker.release();
          }
        }
        return defer(() => from(chunks())).pipe(repeat({ delay: () => (exhausted ? EMPTY : tracker.whenOutstandingAtMost(maxUncommitted)) }));
      });
    };

    const gate = () => tracker.whenOutstandingAtMost(maxUncommitted);
    const read$ =
      fanOut === undefined
        ? pollShardThrough(
            kinesis,
            {
              streamName,
              shardId,
              start: start.iterator,
              maxRecords,
              idleTimeBetweenReadsMillis,
              backoff: settings.backoff,
              callTimeoutMillis: settings.callTimeoutMillis,
              scheduler,
            },
            deliver,
            gate,
          )
        : fanOutShardThrough(
            fanOut.port,
            {
              streamName,
              shardId,
              consumerArn: fanOut.consumerArn,
              start: start.iterator,
              backoff: settings.backoff,
              scheduler,
              onSilence: (silentMillis) => onDiagnostic?.({ _tag: 'SubscriptionSilent', shardId, silentMillis }),
              // A subscription refused as not found ends the shard only if polling cannot find it either.
              isShardGone: () =>
                kinesis.getShardIterator(streamName, shardId, { type: 'TRIM_HORIZON' }).pipe(
                  map(() => false),
                  catchError((error: unknown) => (error instanceof StreamNotFoundError ? of(true) : throwError(() => error))),
                ),
            },
            deliver,
            gate,
          );
    const events$: Observable<CommittableEvent<ConsumerEvent>> = read$.pipe(
      catchError((error: unknown) => {
        if (error === trackingError) return throwError(() => error);
        readEnd = { _tag: 'Failed', error };
        return EMPTY;
      }),
      takeUntil(stop$),
    );

    const afterFinalCheckpoint = (end: End): Observable<typeof LOST> => {
      switch (end._tag) {
        case 'Stopped':
          return EMPTY;
        case 'Failed':
          return throwError(() => end.error);
        case 'ShardEnd':
          // SHARD_END is above every position: no final write after this may go below it.
          settled = CompoundSequenceNumber.SHARD_END;
          return defer(() => io.shardEnded(end.childShards)).pipe(
            take(1),
            retry({
              count: retries.maxRetries,
              delay: (error: unknown) => (error instanceof LeaseStoreError ? timer(settings.checkpoint.backoffMillis, scheduler) : throwError(() => error)),
            }),
            concatMap((result): (typeof LOST)[] => (result._tag === 'LeaseLost' ? [LOST] : [])),
          );
      }
    };

    const finalCheckpoint = (): Observable<CheckpointerEvent> => {
      const progress = tracker.progress;
      if (progress === undefined || (settled !== undefined && !progress.position.isAfter(settled))) return EMPTY;
      return of(progress).pipe(
        checkpointing,
        tap(report),
        catchError((error: unknown) => {
          onDiagnostic?.({ _tag: 'FinalCheckpointFailed', shardId, error });
          return EMPTY;
        }),
      );
    };

    return events$.pipe(
      connect((event$) => {
        // Why reading ended, once it has; at shard end, only once every delivered event is committed.
        const end$: Observable<End> = concat(
          event$.pipe(ignoreElements()),
          defer(() => {
            const ended = readEnd;
            return ended._tag === 'ShardEnd'
              ? race(tracker.whenOutstandingAtMost(0).pipe(map(() => ended)), stop$.pipe(take(1), map(() => STOPPED)))
              : of(ended);
          }),
        );
        const closing$ = end$.pipe(
          connect(
            (ended$) =>
              concat(
                tracker.progress$.pipe(
                  // Ending the checkpointer's input is what starts its final write, so it must run on.
                  // A stop in the middle of a chunk ends the input before the chunk releases its hold.
                  // eslint-disable-next-line rxjs-x/no-unsafe-takeuntil
                  takeUntil(ended$.pipe(tap(() => tracker.announce()))),
                  checkpointing,
                  tap((outcome) => {
                    report(outcome);
                    if (outcome._tag === 'Checkpointed') settled = outcome.position;
                  }),
                  concatMap((outcome): (typeof LOST)[] => (outcome._tag === 'LeaseLost' ? [LOST] : [])),
                ),
                ended$.pipe(concatMap(afterFinalCheckpoint)),
              ),
            { connector: () => new ReplaySubject<End>(1) },
          ),
        );
        // The control channel: a lost lease, seen by a write or told by `lost$`, until the closing
        // steps are done (`lost$` need never complete). Joined to the events before the one stage
        // every event passes, so that no other stage does.
        const control$ = merge(
          io.lost$.pipe(map((): typeof LOST => LOST)),
          closing$.pipe(endWith(CLOSED)),
        ).pipe(takeWhile((x): x is typeof LOST => x !== CLOSED));
        // Completing (rather than being unsubscribed) on a lost lease keeps the final write below from
        // running. An event met after the lease's validity ran out is fenced off the same way.
        return merge(event$, control$).pipe(takeWhile((x): x is CommittableEvent<ConsumerEvent> => x !== LOST && leaseValid()));
      }),
      tap({
        unsubscribe: () => (io.onUnsubscribe ?? runDetached)(finalCheckpoint()),
        finalize: () => tracker.close(),
      }),
    );
  });
}

/**
 * The user records of a page after `skipThrough`, in order, deaggregated one Kinesis record at a
 * time as they are pulled; `undefined` once the page is done. A plain function rather than a
 * generator, since every level of generator delegation costs on every event.
 *
 * A restart reads AT_SEQUENCE_NUMBER of the checkpoint, so the record holding it comes again;
 * comparing extended sequence numbers (sequence, then sub-sequence) drops that record's user
 * records up to and including the checkpoint and keeps the rest, as the KCL's `ProcessTask` does.
 */
function userRecords(
  records: readonly KinesisRecord[],
  shard: ShardToRead,
  skipThrough: CompoundSequenceNumber,
  onDiagnostic: ((diagnostic: DeaggregationDiagnostic) => void) | undefined,
): () => ConsumerEvent | undefined {
  let nextRecord = 0;
  let decoded: readonly ConsumerEvent[] = [];
  let nextDecoded = 0;
  return () => {
    for (;;) {
      while (nextDecoded < decoded.length) {
        const event = decoded[nextDecoded++]!;
        if (event.sequenceNumber.isAfter(skipThrough)) return event;
      }
      const record = records[nextRecord++];
      if (record === undefined) return undefined;
      decoded = deaggregate([record], shard, onDiagnostic);
      nextDecoded = 0;
    }
  };
}

/**
 * The default `onUnsubscribe`: runs the final checkpoint on its own subscription. The only place a
 * shard pipeline subscribes by itself, because nothing is left to own the write once the
 * subscriber has gone; the write is bounded by the shutdown timeout and never errors.
 */
function runDetached(finalCheckpoint$: Observable<CheckpointerEvent>): void {
  finalCheckpoint$.subscribe();
}
