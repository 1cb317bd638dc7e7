/**
 * The narrow view of Kinesis Data Streams the pipelines talk to. Every method returns a cold
 * Observable that performs the call on subscribe (so `retry` re-issues it) and emits once.
 *
 * Failures arrive on the error channel as the library's named errors (`lib/model/errors`):
 * `KinesisThrottledError`, `ExpiredIteratorError`, `StreamNotFoundError`, or `KinesisCallError`
 * (with `retryable` set for network faults and 5xx). Per-entry PutRecords failures are values.
 * @packageDocumentation
 */
import type { Observable } from 'rxjs';

/** An inclusive range of 128-bit hash keys. */
export interface HashKeyRange {
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
}

/** A shard as ListShards describes it. */
export interface Shard {
  readonly shardId: string;
  readonly parentShardId?: string;
  readonly adjacentParentShardId?: string;
  readonly hashKeyRange: HashKeyRange;
  readonly startingSequenceNumber: string;
  /** Present once the shard is closed (after a split or merge). */
  readonly endingSequenceNumber?: string;
}

/** A child shard announced in the last GetRecords page of a closed shard. */
export interface ChildShard {
  readonly shardId: string;
  readonly parentShards: readonly string[];
  readonly hashKeyRange: HashKeyRange;
}

/** A Kinesis record as stored (possibly a KPL aggregate). */
export interface KinesisRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly approximateArrivalTimestamp: Date;
  readonly encryptionType?: string;
}

/** Where a shard iterator starts. */
export type IteratorPosition =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: Date }
  | { readonly type: 'AT_SEQUENCE_NUMBER'; readonly sequenceNumber: string }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

/** One GetRecords page. */
export interface GetRecordsOutput {
  readonly records: readonly KinesisRecord[];
  /** Absent when the shard is closed and fully read; `childShards` then says what follows. */
  readonly nextShardIterator?: string;
  readonly millisBehindLatest?: number;
  readonly childShards?: readonly ChildShard[];
}

/** One entry of a PutRecords request. */
export interface PutRecordsEntry {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  /** Decimal 128-bit hash key; overrides the MD5 of the partition key for routing. */
  readonly explicitHashKey?: string;
}

/** The outcome of one PutRecords entry, in request order. */
export type PutRecordsResultEntry =
  | { readonly _tag: 'Put'; readonly shardId: string; readonly sequenceNumber: string }
  | { readonly _tag: 'Failed'; readonly errorCode: string; readonly errorMessage: string };

/** A ListShards filter, as in the API. */
export type ShardFilter =
  | { readonly type: 'AT_LATEST' | 'AT_TRIM_HORIZON' }
  | { readonly type: 'AFTER_SHARD_ID'; readonly shardId: string }
  | { readonly type: 'AT_TIMESTAMP' | 'FROM_TIMESTAMP'; readonly timestamp: Date };

/** What the library needs from Kinesis. */
export interface KinesisPort {
  /** Every shard of the stream, all pages followed. */
  listShards(streamName: string, filter?: ShardFilter): Observable<readonly Shard[]>;
  /** An unknown stream or shard is a `StreamNotFoundError`. */
  getShardIterator(streamName: string, shardId: string, position: IteratorPosition): Observable<string>;
  /**
   * One page from `shardIterator`. `childShards` is present only when non-empty. The request names
   * no stream, so a `StreamNotFoundError` from here has an empty `streamName`.
   */
  getRecords(shardIterator: string, limit: number): Observable<GetRecordsOutput>;
  /**
   * One result per entry, in request order. No entries: no call, no results. A request Kinesis
   * refuses as a whole (a partition key empty or over 256 characters) is a `KinesisCallError`
   * that is not retryable.
   */
  putRecords(streamName: string, entries: readonly PutRecordsEntry[]): Observable<readonly PutRecordsResultEntry[]>;
}

/** One event of a SubscribeToShard subscription (enhanced fan-out). */
export interface ShardSubscriptionEvent {
  readonly records: readonly KinesisRecord[];
  /**
   * Where the next subscription resumes (AFTER_SEQUENCE_NUMBER): it advances even when no record
   * arrives. Absent once the shard is closed and read to its end; `childShards` then says what follows.
   */
  readonly continuationSequenceNumber?: string;
  readonly millisBehindLatest?: number;
  /** Present only when non-empty. */
  readonly childShards?: readonly ChildShard[];
}

/**
 * Enhanced fan-out: a registered stream consumer reads each shard through a subscription that the
 * service pushes events into, with throughput of its own (2 MiB/s per shard).
 *
 * `subscribeToShard` is the one method that is not an Observable: a subscription streams for up to
 * five minutes, and a reader that falls behind must be able to stop reading it (HTTP/2 flow control
 * then holds the service back), which an Observable cannot express. It is an `AsyncIterable` read
 * one `next()` at a time; nothing is read ahead of the reader.
 */
export interface KinesisFanOutPort {
  /**
   * The ARN of the stream consumer `consumerName` on `streamName`, registered if it does not exist
   * yet, once it is ACTIVE. Emits once.
   */
  ensureStreamConsumer(streamName: string, consumerName: string): Observable<string>;
  /**
   * One subscription to `shardId` for the consumer `consumerArn`, starting at `position`. Each
   * `next()` answers with the next event; the iteration ends when the service ends the subscription
   * (after at most five minutes). `return()` cancels it. A failure rejects `next()` with the
   * library's named errors: `StreamNotFoundError` for an unknown stream, shard or consumer,
   * `KinesisThrottledError`, or `KinesisCallError` (a second subscription to the same shard within
   * five seconds is code `ResourceInUseException`, retryable).
   */
  subscribeToShard(consumerArn: string, shardId: string, position: IteratorPosition): AsyncIterable<ShardSubscriptionEvent>;
}

/** Stream administration, used by tests, benchmarks and the command line; not by the pipelines. */
export interface KinesisAdminPort {
  /** Creates the stream and waits until it is ACTIVE. */
  createStream(streamName: string, shardCount: number): Observable<void>;
  /** Deletes the stream and waits until it is gone; completes without error when it does not exist. */
  deleteStream(streamName: string): Observable<void>;
  /** Splits a shard at `newStartingHashKey` and waits until the stream is ACTIVE again. */
  splitShard(streamName: string, shardId: string, newStartingHashKey: bigint): Observable<void>;
  /** Merges two adjacent shards and waits until the stream is ACTIVE again. */
  mergeShards(streamName: string, shardId: string, adjacentShardId: string): Observable<void>;
}
