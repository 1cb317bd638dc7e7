/**
 * Sending a batch until every record in it has a result: records Kinesis failed or throttled are
 * re-aggregated for the shard they are predicted to now (after a map refresh if they landed on an
 * unknown shard) and sent again after a backoff, until they are put or their `RecordTtl` runs out.
 * Records refused as invalid are not retried but isolated (`isolate`).
 *
 * This is an `expand` over attempts, not a feedback loop through a Subject: each attempt's outcome
 * says what is left, and the next attempt is derived from it.
 * @packageDocumentation
 */
import { EMPTY, concat, concatMap, defer, expand, filter, from, ignoreElements, map, of, timer, type Observable } from 'rxjs';
import type { SendResult } from '../model/send-result';
import { packNow } from './aggregate';
import { backoffDelay, type BackoffOptions } from './backoff';
import { batchesOf } from './collect';
import type { Batch, PendingRecord } from './pending-record';
import { wholeMillis, type ShardRateLimiter } from './rate-limit';
import { attemptIsolating, type IsolateContext } from './isolate';
import { expiredError, sendFailed, type AttemptOutcome } from './send';

/** What retries need beyond a single attempt. */
export interface RetryContext extends IsolateContext {
  readonly backoff: BackoffOptions;
  /** Shared with first sends, so retries count against the same per-shard budget. */
  readonly limiter: ShardRateLimiter;
}

/** Sends a batch built for a retry once its shards' rate limits allow it. */
function sendWhenAllowed(batch: Batch, ctx: RetryContext, round: number): Observable<AttemptOutcome> {
  return defer(() => {
    const wait = ctx.limiter.reserve(batch.containers);
    const attempt = attemptIsolating(batch, ctx, round);
    return wait > 0 ? timer(wholeMillis(wait), ctx.scheduler).pipe(concatMap(() => attempt)) : attempt;
  });
}

/**
 * The next attempts after `outcome`: wait the backoff (never past the first record's expiry), refresh
 * the map if it was stale, fail the records that expired, re-pack the rest per predicted shard and
 * send them.
 */
function retryLater(outcome: AttemptOutcome, ctx: RetryContext): Observable<AttemptOutcome> {
  const refresh$: Observable<unknown> = outcome.refreshMap ? ctx.shardMap.refresh() : of(undefined);
  if (outcome.retry.length === 0) return outcome.refreshMap ? refresh$.pipe(ignoreElements()) : EMPTY;
  return defer(() => {
    const { scheduler } = ctx;
    const round = outcome.round + 1;
    let firstExpiry = Infinity;
    for (const record of outcome.retry) firstExpiry = Math.min(firstExpiry, record.expiresAt);
    const wait = Math.max(0, Math.min(backoffDelay(round, ctx.backoff), firstExpiry - scheduler.now()));
    return timer(wait, scheduler).pipe(
      concatMap(() => refresh$),
      concatMap(() => {
        const now = scheduler.now();
        const expired: SendResult[] = [];
        const live: PendingRecord[] = [];
        for (const record of outcome.retry) {
          if (record.expiresAt <= now) expired.push(sendFailed(record, expiredError(record, ctx.recordTtlMillis)));
          else live.push(record);
        }
        const batches = batchesOf(
          packNow(live, (record) => ctx.shardMap.predict(record), ctx.aggregation),
          ctx.collection,
        );
        const expiredOutcome: Observable<AttemptOutcome> =
          expired.length === 0 ? EMPTY : of({ settled: expired, retry: [], refreshMap: false, round });
        return concat(expiredOutcome, from(batches).pipe(concatMap((batch) => sendWhenAllowed(batch, ctx, round))));
      }),
    );
  });
}

/**
 * Sends `batch` and retries what Kinesis throttles or fails, until each of its records has exactly
 * one result; records Kinesis refuses as invalid are isolated (see `isolate`), so that they fail
 * alone. Emits the results of each attempt together.
 * At most one request per batch is in flight at a time, so the caller's concurrency limit on
 * batches bounds the requests in flight, retries included.
 */
export function sendWithRetries(batch: Batch, ctx: RetryContext): Observable<readonly SendResult[]> {
  return attemptIsolating(batch, ctx, 0).pipe(
    expand((outcome) => retryLater(outcome, ctx), 1),
    map((outcome) => outcome.settled),
    filter((settled) => settled.length > 0),
  );
}
