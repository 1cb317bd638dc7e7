/**
 * Finding the records Kinesis refuses. Kinesis refuses a whole PutRecords request when one entry
 * breaks a limit, and says nothing of the entries it would have taken, so failing the request
 * would fail them all. Instead the refused Kinesis records are sent again in two halves, and a
 * half refused again is halved again, down to single user records (an aggregate is split into its
 * records): only those Kinesis refuses on their own fail, with `RecordRefusedError`, and every
 * other record is sent.
 *
 * Cost: for k refused records among n, about 2·k·log2(n) more requests, sent one at a time with no
 * backoff (a refusal is an answer, not a sign of load). The halves go depth first, the first half
 * and all that comes of it before the second, so records keep their order as in one request.
 * @packageDocumentation
 */
import { concat, concatMap, defer, from, map, mergeMap, of, type Observable } from 'rxjs';
import { packNow } from './aggregate';
import { batchesOf, type CollectionLimits } from './collect';
import type { Batch, Container, PendingRecord } from './pending-record';
import { attemptBatch, type AttemptOutcome, type SendContext } from './send';

/** What isolating needs beyond one attempt: the request limits of the smaller requests. */
export interface IsolateContext extends SendContext {
  readonly collection: CollectionLimits;
}

const NONE: readonly never[] = [];

/**
 * The two halves of Kinesis records refused together, as requests: the records split in two, or,
 * for one aggregate, its user records split in two and packed again for the same shard.
 */
function halves(containers: readonly Container[], ctx: IsolateContext): Batch[] {
  if (containers.length > 1) {
    const middle = Math.ceil(containers.length / 2);
    return [...batchesOf(containers.slice(0, middle), ctx.collection), ...batchesOf(containers.slice(middle), ctx.collection)];
  }
  const { records, shardId } = containers[0]!;
  const middle = Math.ceil(records.length / 2);
  const pack = (part: readonly PendingRecord[]) => batchesOf(packNow(part, () => shardId, ctx.aggregation), ctx.collection);
  return [...pack(records.slice(0, middle)), ...pack(records.slice(middle))];
}

/** Sends the halves of `containers`, one request at a time, splitting again whatever is refused again. */
function split(containers: readonly Container[], ctx: IsolateContext, round: number): Observable<AttemptOutcome> {
  return from(halves(containers, ctx)).pipe(concatMap((half) => attemptBatch(half, ctx, round).pipe(concatMap((outcome) => splitRefused(outcome, ctx)))));
}

/** `outcome`, then the outcomes of splitting what it left refused. */
function splitRefused(outcome: AttemptOutcome, ctx: IsolateContext): Observable<AttemptOutcome> {
  const { refused } = outcome;
  if (refused === undefined) return of(outcome);
  const { settled, retry, refreshMap, round } = outcome;
  return concat(
    of<AttemptOutcome>({ settled, retry, refreshMap, round }),
    from(refused).pipe(concatMap((containers) => split(containers, ctx, round))),
  );
}

/**
 * Isolates what `first` left refused: emits the results of each request as it is answered, and
 * last an outcome holding everything those requests left to retry, so that retries (after their
 * backoff) start once isolating is done and one request per batch is in flight at a time.
 */
function isolate(first: AttemptOutcome, ctx: IsolateContext): Observable<AttemptOutcome> {
  return defer(() => {
    const { round } = first;
    const refusedRecords = first.refused!.reduce((n, containers) => n + containers.reduce((m, c) => m + c.records.length, 0), 0);
    ctx.logger?.warn('Kinesis refused records as invalid together; sending them again in smaller requests to find the ones it refuses', {
      streamName: ctx.streamName,
      records: refusedRecords,
    });
    const retry: PendingRecord[] = [];
    let refreshMap = false;
    const settledOnly = (outcome: AttemptOutcome): AttemptOutcome => {
      retry.push(...outcome.retry);
      refreshMap ||= outcome.refreshMap;
      return { settled: outcome.settled, retry: NONE, refreshMap: false, round };
    };
    return concat(
      splitRefused(first, ctx).pipe(map(settledOnly)),
      defer(() => of<AttemptOutcome>({ settled: NONE, retry, refreshMap, round })),
    );
  });
}

/**
 * One attempt at `batch`, as `attemptBatch`, and when Kinesis refused records of it as invalid,
 * the smaller requests that find which (see the module notes). Each outcome is emitted as its
 * request is answered; none of them holds anything `refused`.
 */
export function attemptIsolating(batch: Batch, ctx: IsolateContext, round: number): Observable<AttemptOutcome> {
  return attemptBatch(batch, ctx, round).pipe(mergeMap((outcome) => (outcome.refused === undefined ? of(outcome) : isolate(outcome, ctx))));
}
