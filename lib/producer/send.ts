/**
 * One PutRecords attempt for a batch, and what became of each user record in it: put, to be retried,
 * or failed for good.
 *
 * Wrong shard: when the shard map was stale, an aggregate can land on a shard other than the one
 * predicted (routing follows its first record). If every one of its records lies in the range of
 * the shard it landed on, it is a success. Otherwise the KCL would drop the whole aggregate on read,
 * so every record of it is sent again, re-aggregated for its new shard, never only the strays.
 *
 * Refused as invalid: Kinesis refuses a whole request when one entry breaks a limit (a record over
 * the stream's maximum record size, say), and retrying it cannot help. A record sent on its own
 * and refused fails alone; a larger request refused so is handed back to be sent again in smaller
 * ones (see `isolate`), so that only the records Kinesis will not take fail.
 * @packageDocumentation
 */
import { catchError, defer, map, of, throwIfEmpty, timeout, throwError, type Observable, type SchedulerLike } from 'rxjs';
import { KinesisCallError, KinesisThrottledError, RecordExpiredError, StreamNotFoundError } from '../model/errors';
import type { Attempt, SendFailed, SendResult, SendSuccessful } from '../model/send-result';
import { describeSdkFailure } from '../ports/aws/sdk-error';
import type { Logger } from '../ports/deps';
import type { KinesisPort, PutRecordsResultEntry } from '../ports/kinesis-port';
import { packNow, type AggregationLimits } from './aggregate';
import { RecordRefusedError } from './errors';
import { partitionKeyBytes, type Batch, type Container, type PendingRecord } from './pending-record';
import type { ShardMapState } from './shard-map';

/** The per-entry error code of a throttled PutRecords entry. */
export const THROUGHPUT_EXCEEDED = 'ProvisionedThroughputExceededException';
/** The attempt error code recorded when an aggregate landed on a shard that does not hold all its records. */
export const WRONG_SHARD = 'WrongShard';

/** Codes with which Kinesis refuses a request, or an entry, as invalid: the same request cannot succeed. */
const REFUSED_AS_INVALID: ReadonlySet<string> = new Set(['ValidationException', 'InvalidArgumentException']);
/** HTTP 413, a request too large. The SDK gives it no error code (`Unknown`): its status tells. */
const PAYLOAD_TOO_LARGE = 413;

/**
 * Whether a PutRecords call failed because Kinesis found the request invalid (a limit broken by an
 * entry, or by the whole), rather than for throughput, a fault, the stream or the caller's rights.
 */
function refusedAsInvalid(error: unknown): error is KinesisCallError {
  if (!(error instanceof KinesisCallError) || error.retryable || error instanceof StreamNotFoundError) return false;
  return REFUSED_AS_INVALID.has(error.code) || describeSdkFailure(error.cause).httpStatus === PAYLOAD_TOO_LARGE;
}

/** What an attempt needs from its producer subscription. */
export interface SendContext {
  readonly port: KinesisPort;
  readonly streamName: string;
  readonly scheduler: SchedulerLike;
  readonly shardMap: ShardMapState;
  /** `kpl.FailIfThrottled`: throttled records fail at once instead of being retried. */
  readonly failIfThrottled: boolean;
  /** `kpl.RecordTtl`, for the expiry message. */
  readonly recordTtlMillis: number;
  /** `kpl.RequestTimeout`: a PutRecords call with no answer by then counts as a retryable failure. */
  readonly requestTimeoutMillis: number;
  /** For re-packing records whose aggregate lost some expired members. */
  readonly aggregation: AggregationLimits;
  /** Told about records Kinesis refused. */
  readonly logger?: Logger;
}

/** What one attempt settled, and what it left to retry. */
export interface AttemptOutcome {
  /** Records with their final result. */
  readonly settled: readonly SendResult[];
  /** Records to send again. */
  readonly retry: readonly PendingRecord[];
  /** A record landed on a shard the map does not know: the map is stale. */
  readonly refreshMap: boolean;
  /** 0 for the first attempt of a batch, then 1, 2, … for its retries. */
  readonly round: number;
  /**
   * Kinesis records refused as invalid together (a whole request, or one aggregate's entry) that
   * hold more than one user record: to be sent again in smaller requests to find which it refuses.
   */
  readonly refused?: readonly (readonly Container[])[];
}

/** Why one PutRecords entry failed, kept until the record succeeds or expires. */
class EntryFailure {
  constructor(
    readonly code: string,
    readonly message: string,
  ) {}

  toError(): KinesisCallError {
    return this.code === THROUGHPUT_EXCEEDED
      ? new KinesisThrottledError('PutRecords', this.code, this.message)
      : new KinesisCallError('PutRecords', this.code, this.message, { retryable: true });
  }
}

/** The error a record that ran out of time fails with, naming the last cause. */
export function expiredError(record: PendingRecord, recordTtlMillis: number): RecordExpiredError {
  const last = record.lastError instanceof EntryFailure ? record.lastError.toError() : record.lastError;
  return new RecordExpiredError(recordTtlMillis, record.failedAttempts, last);
}

export function sendFailed(record: PendingRecord, reason: Error): SendFailed {
  return { _tag: 'SendFailed', messageId: record.messageId, event: record.event, reason, attempts: record.failures ?? [] };
}

function delaySince(record: PendingRecord, start: number): number {
  return start - (record.lastEndedAt ?? record.arrivedAt);
}

/** Collects the results of one attempt. */
class Judgement {
  readonly settled: SendResult[] = [];
  readonly retry: PendingRecord[] = [];
  readonly refused: (readonly Container[])[] = [];
  refreshMap = false;

  constructor(
    private readonly start: number,
    private readonly end: number,
  ) {}

  succeed(container: Container, shardId: string, sequenceNumber: string): void {
    const { start, end, settled } = this;
    // Records that arrived in the same millisecond share one frozen history: in a burst that is
    // most of them, and it saves two allocations per record on the hot path.
    let sharedDelay = -1;
    let shared: readonly Attempt[] = [];
    for (const record of container.records) {
      const delayMillis = delaySince(record, start);
      const prior = record.failures;
      let attempts: readonly Attempt[];
      if (prior !== undefined) {
        attempts = [...prior, { delayMillis, durationMillis: end - start, success: true }];
      } else {
        if (delayMillis !== sharedDelay) {
          sharedDelay = delayMillis;
          shared = Object.freeze([Object.freeze<Attempt>({ delayMillis, durationMillis: end - start, success: true })]);
        }
        attempts = shared;
      }
      const result: SendSuccessful = { _tag: 'SendSuccessful', messageId: record.messageId, event: record.event, shardId, sequenceNumber, attempts };
      settled.push(result);
    }
  }

  /** Records the failed attempt on each record, then retries them or fails them with `reason`. */
  fail(records: readonly PendingRecord[], code: string, message: string, cause: unknown, final: Error | undefined): void {
    for (const record of records) {
      this.recordFailure(record, code, message, cause);
      if (final === undefined) this.retry.push(record);
      else this.settled.push(sendFailed(record, final));
    }
  }

  /** Records the failed attempt on each record of `containers`, which go back to be sent in smaller requests. */
  refuse(containers: readonly Container[], error: KinesisCallError): void {
    for (const container of containers) for (const record of container.records) this.recordFailure(record, error.code, error.message, error);
    this.refused.push(containers);
  }

  outcome(round: number): AttemptOutcome {
    const { settled, retry, refreshMap, refused } = this;
    return refused.length === 0 ? { settled, retry, refreshMap, round } : { settled, retry, refreshMap, round, refused };
  }

  private recordFailure(record: PendingRecord, code: string, message: string, cause: unknown): void {
    const { start, end } = this;
    const attempt: Attempt = { delayMillis: delaySince(record, start), durationMillis: end - start, success: false, errorCode: code, errorMessage: message };
    (record.failures ??= []).push(attempt);
    record.lastEndedAt = end;
    record.lastError = cause;
  }
}

function judgeEntries(containers: readonly Container[], results: readonly PutRecordsResultEntry[], ctx: SendContext, judgement: Judgement): void {
  if (results.length !== containers.length) {
    const error = new KinesisCallError('PutRecords', 'RecordCountMismatch', `sent ${containers.length} entries but got ${results.length} results`);
    for (const container of containers) judgement.fail(container.records, error.code, error.message, error, error);
    return;
  }
  const map = ctx.shardMap.current;
  for (let i = 0; i < containers.length; i++) {
    const container = containers[i]!;
    const result = results[i]!;
    if (result._tag === 'Failed') {
      if (REFUSED_AS_INVALID.has(result.errorCode)) {
        judgeRefusal([container], new KinesisCallError('PutRecords', result.errorCode, result.errorMessage), ctx, judgement);
        continue;
      }
      const failure = new EntryFailure(result.errorCode, result.errorMessage);
      const final = ctx.failIfThrottled && result.errorCode === THROUGHPUT_EXCEEDED ? failure.toError() : undefined;
      judgement.fail(container.records, result.errorCode, result.errorMessage, failure, final);
      continue;
    }
    const { shardId, sequenceNumber } = result;
    if (shardId === container.shardId) {
      judgement.succeed(container, shardId, sequenceNumber);
      continue;
    }
    // Landed elsewhere: the map was stale (a split or merge), unless it was refreshed since.
    if (map === undefined || !map.has(shardId)) judgement.refreshMap = true;
    const records = container.records;
    // A lone record is sent raw, and the KCL never filters raw records by range.
    const safe = records.length === 1 || (map !== undefined && records.every((r) => map.contains(shardId, r) === true));
    if (safe) {
      judgement.succeed(container, shardId, sequenceNumber);
    } else {
      const message = `aggregate predicted for ${container.shardId} landed on ${shardId}, whose hash key range does not hold all its records`;
      judgement.fail(records, WRONG_SHARD, message, new EntryFailure(WRONG_SHARD, message), undefined);
    }
  }
}

/**
 * Kinesis refused `containers` as invalid: a lone user record fails for good with
 * `RecordRefusedError`; more go back to be sent again in smaller requests.
 */
function judgeRefusal(containers: readonly Container[], error: KinesisCallError, ctx: SendContext, judgement: Judgement): void {
  const record = containers.length === 1 && containers[0]!.records.length === 1 ? containers[0]!.records[0]! : undefined;
  if (record === undefined) {
    judgement.refuse(containers, error);
    return;
  }
  const reason = new RecordRefusedError(record.data.length, partitionKeyBytes(record.partitionKey), error);
  ctx.logger?.warn('Kinesis refused a record on its own; it fails', {
    streamName: ctx.streamName,
    code: error.code,
    dataBytes: reason.dataBytes,
    partitionKeyBytes: reason.partitionKeyBytes,
    error: error.message,
  });
  judgement.fail([record], error.code, error.message, error, reason);
}

function judgeCallFailure(containers: readonly Container[], error: unknown, ctx: SendContext, judgement: Judgement): void {
  if (refusedAsInvalid(error)) {
    judgeRefusal(containers, error, ctx, judgement);
    return;
  }
  const code = error instanceof KinesisCallError ? error.code : error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const retryable = error instanceof KinesisCallError && error.retryable && !(ctx.failIfThrottled && error instanceof KinesisThrottledError);
  const final = retryable ? undefined : error instanceof Error ? error : new Error(message);
  for (const container of containers) judgement.fail(container.records, code, message, error, final);
}

/**
 * Fails the records of `batch` that are past their TTL and re-packs the rest of any aggregate they
 * were part of (cold path: it only happens when records waited out their TTL in the rate limiter).
 */
function dropExpired(batch: Batch, now: number, ctx: SendContext): { containers: readonly Container[]; expired: SendFailed[] } {
  let anyExpired = false;
  for (const container of batch.containers) {
    for (const record of container.records) {
      if (record.expiresAt <= now) {
        anyExpired = true;
        break;
      }
    }
    if (anyExpired) break;
  }
  if (!anyExpired) return { containers: batch.containers, expired: [] };

  const containers: Container[] = [];
  const expired: SendFailed[] = [];
  for (const container of batch.containers) {
    const live = container.records.filter((r) => r.expiresAt > now);
    for (const record of container.records) if (record.expiresAt <= now) expired.push(sendFailed(record, expiredError(record, ctx.recordTtlMillis)));
    if (live.length === container.records.length) containers.push(container);
    else if (live.length > 0) containers.push(...packNow(live, () => container.shardId, ctx.aggregation));
  }
  return { containers, expired };
}

/**
 * Sends `batch` with one PutRecords call and judges each entry:
 * - put on the predicted shard, or on another whose range holds all its records: success;
 * - put on a shard that does not hold all of an aggregate's records: retry them all (`WrongShard`);
 * - failed entry: retry, except throughput errors under `failIfThrottled`, which fail;
 * - entry refused as invalid, or whole call refused as invalid (`refusedAsInvalid`): a lone user
 *   record fails with `RecordRefusedError`; more are handed back in `refused`, to be split;
 * - whole call failed otherwise: retry when the error is retryable (throttling, 5xx, network,
 *   timeout), otherwise every record fails with that error;
 * - result count differs from entries sent: every record fails.
 * Records already past their TTL fail with `RecordExpiredError` without being sent.
 */
export function attemptBatch(batch: Batch, ctx: SendContext, round: number): Observable<AttemptOutcome> {
  return defer(() => {
    const { scheduler } = ctx;
    const start = scheduler.now();
    const { containers, expired } = dropExpired(batch, start, ctx);
    if (containers.length === 0) return of<AttemptOutcome>({ settled: expired, retry: [], refreshMap: false, round });
    return defer(() => ctx.port.putRecords(ctx.streamName, containers.map((c) => c.entry))).pipe(
      throwIfEmpty(() => new KinesisCallError('PutRecords', 'NoResponse', 'the call completed without a result', { retryable: true })),
      timeout({
        first: ctx.requestTimeoutMillis,
        scheduler,
        with: () =>
          throwError(() => new KinesisCallError('PutRecords', 'RequestTimeout', `no answer within ${ctx.requestTimeoutMillis} ms (RequestTimeout)`, { retryable: true })),
      }),
      map((results) => ({ ok: true as const, results })),
      catchError((error: unknown) => of({ ok: false as const, error })),
      map((answer) => {
        const judgement = new Judgement(start, scheduler.now());
        if (answer.ok) judgeEntries(containers, answer.results, ctx, judgement);
        else judgeCallFailure(containers, answer.error, ctx, judgement);
        if (expired.length > 0) judgement.settled.push(...expired);
        return judgement.outcome(round);
      }),
    );
  });
}
