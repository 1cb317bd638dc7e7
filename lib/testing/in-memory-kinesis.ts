/**
 * An in-memory Kinesis Data Streams on the scheduler's clock, for unit and marble tests.
 * @packageDocumentation
 */
import { asyncScheduler, defer, of, type Observable, type SchedulerLike } from 'rxjs';
import type {
  GetRecordsOutput,
  IteratorPosition,
  KinesisAdminPort,
  KinesisFanOutPort,
  KinesisPort,
  KinesisRecord,
  PutRecordsEntry,
  PutRecordsResultEntry,
  Shard,
  ShardFilter,
  ShardSubscriptionEvent,
} from '../ports/kinesis-port';
import {
  FaultInjector,
  KINESIS_FAULTS,
  type CallFault,
  type FaultOptions,
  type KinesisCall,
  type KinesisFaultRule,
  type KinesisOperation,
} from './faults';
import {
  invalidArgument,
  iteratorExpired,
  KINESIS_ACTIONS,
  kinesisFaultError,
  shardRateExceededMessage,
  streamInUse,
  streamNotFound,
  validationError,
} from './kinesis-errors';
import { checkPutRecords, checkStreamName, DEFAULT_MAX_RECORD_BYTES, maxRecordBytesOf, type CheckedEntry } from './put-records-validation';
import { answer, respond, timingOf, type Timing } from './respond';
import { Sequencer } from './sequence-numbers';
import { recordView, type ShardState } from './shard-state';
import { decodeShardIterator, encodeShardIterator, ITERATOR_LIFETIME_MILLIS } from './shard-iterator';
import { MAX_GET_RECORDS_LIMIT, readPage, startIndex } from './shard-reader';
import { FanOut } from './shard-subscription';
import { StreamState } from './stream-state';
import { KINESIS_WRITE_LIMITS, WriteLimiter, type WriteLimits } from './write-limits';

/** How an `InMemoryKinesis` behaves. */
export interface InMemoryKinesisOptions {
  /** The clock for arrival times, iterator expiry, write limits and latency. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Every call answers this many milliseconds after it is subscribed. Default 0. */
  readonly latencyMillis?: number;
  /** Seed and initial rules of `faults`. */
  readonly faults?: FaultOptions<KinesisFaultRule>;
  /**
   * Enforce per-shard write limits: `true` for Kinesis' 1000 records/s and 1 MiB/s, or other
   * figures. Off by default, like the emulators. Excess PutRecords entries come back `Failed`
   * with `ProvisionedThroughputExceededException`.
   */
  readonly writeLimits?: boolean | Partial<WriteLimits>;
  /** Streams that exist from the start: name → shard count. */
  readonly streams?: Readonly<Record<string, number>>;
  /**
   * The streams' maximum record size in KiB (`MaxRecordSizeInKiB`, 1024 to 10240): PutRecords
   * refuses a whole request, with `ValidationException`, when one entry's data plus partition key
   * is larger. Default 1024 (1 MiB), as for a stream never updated.
   */
  readonly maxRecordSizeKiB?: number;
}

/** A stored record together with the shard that holds it. */
export type ShardRecord = KinesisRecord & { readonly shardId: string };

/**
 * Kinesis Data Streams in memory, implementing `KinesisPort`, `KinesisFanOutPort` and `KinesisAdminPort`.
 *
 * It behaves as the service does on everything the library relies on: shards laid evenly over the
 * 128-bit hash-key space (`shardId-000000000000`, …), MD5 partition-key and explicit-hash-key
 * routing, 56-digit sequence numbers increasing per shard and unique across the fake, arrival
 * times from the scheduler, opaque shard iterators of every type that expire five minutes after
 * they are issued, GetRecords paging with `millisBehindLatest`, split and merge with the parent
 * closed and its last page announcing the children, the ListShards filters, the PutRecords
 * request checks (a request holding one record over the stream's maximum record size is refused
 * whole, as Kinesis refuses it), and enhanced fan-out (stream consumers, and SubscribeToShard
 * subscriptions with one event a second, the five-minute end, ResourceInUse and takeover, and
 * child shards at the end of a closed shard; see `shard-subscription`). What it does not do:
 * retention trimming, read throughput limits.
 *
 * Every call returns a cold Observable. The call takes effect when it is subscribed and answers
 * `latencyMillis` later on the scheduler, so a `TestScheduler` or `VirtualTimeScheduler` drives
 * everything. Faults are injected through {@link InMemoryKinesis.faults}. Errors are the library's
 * named errors with the service's codes, naming the API action (`GetRecords`, …) as the AWS adapter does.
 *
 * A class rather than a factory so tests can reach the inspection helpers (`records`, `shards`,
 * `calls`, …) on the same object they pass to the library as its port.
 */
export class InMemoryKinesis implements KinesisPort, KinesisFanOutPort, KinesisAdminPort {
  /** Fault rules for this fake: `add` a {@link KinesisFaultRule}, `clear` them all. */
  readonly faults: FaultInjector<KinesisFaultRule>;
  private readonly timing: Timing;
  private readonly limiter?: WriteLimiter;
  private readonly maxRecordBytes: number;
  private readonly streams = new Map<string, StreamState>();
  private readonly sequencer = new Sequencer();
  private readonly counts = new Map<KinesisOperation, number>();
  private readonly fanOut: FanOut;
  private incarnations = 0;

  /** @throws TypeError when an option is out of range */
  constructor(options: InMemoryKinesisOptions = {}) {
    this.timing = timingOf(options, asyncScheduler);
    this.maxRecordBytes = options.maxRecordSizeKiB === undefined ? DEFAULT_MAX_RECORD_BYTES : maxRecordBytesOf(options.maxRecordSizeKiB);
    this.faults = new FaultInjector<KinesisFaultRule>(KINESIS_FAULTS, options.faults);
    const limits = options.writeLimits;
    if (limits !== undefined && limits !== false) {
      this.limiter = new WriteLimiter({ ...KINESIS_WRITE_LIMITS, ...(limits === true ? {} : limits) });
    }
    this.fanOut = new FanOut({
      timing: this.timing,
      stream: (streamName) => this.streams.get(streamName),
      enter: (call) => this.enter(call) as CallFault | undefined,
    });
    for (const [name, shardCount] of Object.entries(options.streams ?? {})) this.addStream(name, shardCount);
  }

  // ---------------------------------------------------------------- KinesisPort

  listShards(streamName: string, filter?: ShardFilter): Observable<readonly Shard[]> {
    return this.call({ operation: 'listShards', streamName }, () =>
      this.stream('ListShards', streamName)
        .listShards(filter)
        .map((s) => s.describe()),
    );
  }

  getShardIterator(streamName: string, shardId: string, position: IteratorPosition): Observable<string> {
    return this.call({ operation: 'getShardIterator', streamName, shardId }, () => {
      const stream = this.stream('GetShardIterator', streamName);
      const shard = stream.requireShard('GetShardIterator', shardId);
      const now = this.now();
      return encodeShardIterator({
        streamName,
        incarnation: stream.incarnation,
        shardId,
        position: startIndex(stream, shard, position, now),
        issuedAtMillis: now,
      });
    });
  }

  getRecords(shardIterator: string, limit: number): Observable<GetRecordsOutput> {
    const iterator = decodeShardIterator(shardIterator);
    const call: KinesisCall = { operation: 'getRecords', streamName: iterator?.streamName, shardId: iterator?.shardId };
    return defer(() => {
      const fault = this.enter(call);
      if (fault === 'expiredIterator') {
        const now = this.now();
        return respond<GetRecordsOutput>(this.timing, { ok: false, error: iteratorExpired(now - ITERATOR_LIFETIME_MILLIS, now, ITERATOR_LIFETIME_MILLIS) });
      }
      return answer(this.timing, fault as CallFault | undefined, (f) => kinesisFaultError(f, call), () => {
        if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_GET_RECORDS_LIMIT)) {
          throw validationError('GetRecords', `limit must be an integer from 1 to ${MAX_GET_RECORDS_LIMIT}, got ${limit}`);
        }
        if (iterator === undefined) throw invalidArgument('GetRecords', 'Invalid ShardIterator.');
        const stream = this.streams.get(iterator.streamName);
        if (stream === undefined || stream.incarnation !== iterator.incarnation) throw streamNotFound('GetRecords', iterator.streamName);
        const shard = stream.requireShard('GetRecords', iterator.shardId);
        const now = this.now();
        if (now - iterator.issuedAtMillis >= ITERATOR_LIFETIME_MILLIS) {
          throw iteratorExpired(iterator.issuedAtMillis, now, ITERATOR_LIFETIME_MILLIS);
        }
        return readPage(stream, shard, iterator.position, limit, now);
      });
    });
  }

  /**
   * Puts the entries, answering one result per entry in request order. An empty request puts
   * nothing and answers `[]` at once without reaching the service (so it is not counted and no
   * fault applies), as the AWS adapter does, since Kinesis itself refuses empty requests.
   */
  putRecords(streamName: string, entries: readonly PutRecordsEntry[]): Observable<readonly PutRecordsResultEntry[]> {
    if (entries.length === 0) return of([]);
    return this.call({ operation: 'putRecords', streamName }, () => this.write('PutRecords', streamName, entries, true));
  }

  // ---------------------------------------------------------------- KinesisFanOutPort

  /** Registers the consumer (ACTIVE at once) on its first call; later calls answer the same ARN. */
  ensureStreamConsumer(streamName: string, consumerName: string): Observable<string> {
    return this.call({ operation: 'ensureStreamConsumer', streamName }, () =>
      this.fanOut.register(this.stream('RegisterStreamConsumer', streamName), consumerName),
    );
  }

  /**
   * Each iteration is one SubscribeToShard call, made on its first `next()` (counted as
   * `subscribeToShard`, and where a fault rule for `subscribeToShard` applies). Events follow on the
   * scheduler: see `shard-subscription`.
   */
  subscribeToShard(consumerArn: string, shardId: string, position: IteratorPosition): AsyncIterable<ShardSubscriptionEvent> {
    return { [Symbol.asyncIterator]: () => this.fanOut.subscribe(consumerArn, shardId, position) };
  }

  // ---------------------------------------------------------------- KinesisAdminPort

  /** Creates the stream, ACTIVE at once. Fails with `ResourceInUseException` when it exists. */
  createStream(streamName: string, shardCount: number): Observable<void> {
    return this.call({ operation: 'createStream', streamName }, () => {
      this.addStream(streamName, shardCount);
    });
  }

  deleteStream(streamName: string): Observable<void> {
    return this.call({ operation: 'deleteStream', streamName }, () => {
      this.streams.delete(streamName);
    });
  }

  splitShard(streamName: string, shardId: string, newStartingHashKey: bigint): Observable<void> {
    return this.call({ operation: 'splitShard', streamName, shardId }, () => {
      this.stream('SplitShard', streamName).split(shardId, newStartingHashKey, this.now());
    });
  }

  mergeShards(streamName: string, shardId: string, adjacentShardId: string): Observable<void> {
    return this.call({ operation: 'mergeShards', streamName, shardId }, () => {
      this.stream('MergeShards', streamName).merge(shardId, adjacentShardId, this.now());
    });
  }

  // ---------------------------------------------------------------- for tests

  /**
   * Writes records at once, as PutRecords would but with no latency, faults or write limits: for
   * setting up a test.
   * @throws StreamNotFoundError, or KinesisCallError when the request breaks a PutRecords limit
   */
  appendRecords(streamName: string, entries: readonly PutRecordsEntry[]): readonly PutRecordsResultEntry[] {
    if (entries.length === 0) return [];
    return this.write('PutRecords', streamName, entries, false);
  }

  /** The names of the streams that exist. */
  streamNames(): readonly string[] {
    return [...this.streams.keys()];
  }

  /**
   * Every shard of the stream, open and closed, in creation order, as ListShards describes them.
   * @throws StreamNotFoundError
   */
  shards(streamName: string): readonly Shard[] {
    return this.stream('shards', streamName).shards.map((s) => s.describe());
  }

  /**
   * The records of one shard, oldest first (copies).
   * @throws StreamNotFoundError when the stream or shard does not exist
   */
  records(streamName: string, shardId: string): readonly KinesisRecord[] {
    return this.stream('records', streamName).requireShard('records', shardId).records.map(recordView);
  }

  /**
   * The records of every shard of the stream, in the order they were written (copies).
   * @throws StreamNotFoundError
   */
  allRecords(streamName: string): readonly ShardRecord[] {
    return this.stream('allRecords', streamName)
      .shards.flatMap((shard) => shard.records.map((r) => ({ record: r, shardId: shard.shardId })))
      .sort((a, b) => (a.record.sequence < b.record.sequence ? -1 : 1))
      .map(({ record, shardId }) => ({ ...recordView(record), shardId }));
  }

  /** How many times each operation was called (subscribed), faults and failures included. */
  get calls(): Readonly<Record<KinesisOperation, number>> {
    const operations = Object.keys(KINESIS_ACTIONS) as KinesisOperation[];
    return Object.fromEntries(operations.map((op) => [op, this.counts.get(op) ?? 0])) as Record<KinesisOperation, number>;
  }

  /** Sets every call counter back to 0. */
  resetCalls(): void {
    this.counts.clear();
  }

  // ---------------------------------------------------------------- internals

  private now(): number {
    return this.timing.scheduler.now();
  }

  /** Counts the call and asks the fault rules about it. */
  private enter(call: KinesisCall): KinesisFaultRule['fault'] | undefined {
    this.counts.set(call.operation, (this.counts.get(call.operation) ?? 0) + 1);
    return this.faults.decide(call.operation, call);
  }

  private call<T>(call: KinesisCall, perform: () => T): Observable<T> {
    return defer(() => answer(this.timing, this.enter(call) as CallFault | undefined, (f) => kinesisFaultError(f, call), perform));
  }

  private stream(operation: string, streamName: string): StreamState {
    const stream = this.streams.get(streamName);
    if (stream === undefined) throw streamNotFound(operation, streamName);
    return stream;
  }

  private addStream(streamName: string, shardCount: number): void {
    checkStreamName('CreateStream', streamName);
    if (!(Number.isSafeInteger(shardCount) && shardCount >= 1)) {
      throw validationError('CreateStream', `shardCount must be a positive integer, got ${shardCount}`);
    }
    if (this.streams.has(streamName)) throw streamInUse('CreateStream', streamName);
    this.incarnations += 1;
    this.streams.set(streamName, new StreamState(streamName, this.incarnations, shardCount, this.now(), this.sequencer));
  }

  private write(operation: string, streamName: string, entries: readonly PutRecordsEntry[], withFaults: boolean): PutRecordsResultEntry[] {
    const checked = checkPutRecords(entries, this.maxRecordBytes);
    const stream = this.stream(operation, streamName);
    const now = this.now();
    return checked.map((entry, index) => this.writeEntry(stream, entry, index, now, withFaults));
  }

  private writeEntry(stream: StreamState, checked: CheckedEntry, index: number, now: number, withFaults: boolean): PutRecordsResultEntry {
    const shard = stream.openShardFor(checked.hashKey);
    if (withFaults) {
      const fault = this.faults.decide('putRecordsEntry', {
        streamName: stream.name,
        shardId: shard.shardId,
        partitionKey: checked.entry.partitionKey,
        index,
      });
      if (fault === 'throttle') return throughputExceeded(stream, shard);
      if (fault === 'internalFailure') return { _tag: 'Failed', errorCode: 'InternalFailure', errorMessage: 'Internal service failure. (injected)' };
      if (this.limiter !== undefined && !this.limiter.admit(`${stream.incarnation}/${shard.shardId}`, now, checked.sizeBytes)) {
        return throughputExceeded(stream, shard);
      }
    }
    const sequence = this.sequencer.next(shard.ordinal);
    shard.append({ sequence, partitionKey: checked.entry.partitionKey, data: checked.entry.data.slice(), arrivalMillis: now });
    return { _tag: 'Put', shardId: shard.shardId, sequenceNumber: String(sequence) };
  }
}

function throughputExceeded(stream: StreamState, shard: ShardState): PutRecordsResultEntry {
  return {
    _tag: 'Failed',
    errorCode: 'ProvisionedThroughputExceededException',
    errorMessage: shardRateExceededMessage(stream.name, shard.shardId),
  };
}
