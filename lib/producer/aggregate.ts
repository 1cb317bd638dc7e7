/**
 * Per-shard aggregation: user records predicted to the same shard are packed into one Kinesis record
 * (a KPL aggregate), flushed when it reaches `AggregationMaxCount` records or `AggregationMaxSize`
 * bytes, or when its oldest record has waited `RecordMaxBufferedTime`.
 *
 * Records of different shards never share an aggregate: the KCL drops a whole aggregate when one of
 * its records falls outside the shard it was read from.
 * @packageDocumentation
 */
import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { AggregateBuilder } from '../kpl/aggregate-builder';
import { partitionKeyBytes, type Container, type PendingRecord } from './pending-record';
import { hashKeyDecimalOf } from './hash-key';

/** Largest Kinesis record: data and partition key together. */
export const MAX_KINESIS_RECORD_BYTES = 1024 * 1024;

/** Limits of one aggregate. */
export interface AggregationLimits {
  /** `kpl.AggregationEnabled`; when false every user record is its own Kinesis record. */
  readonly enabled: boolean;
  /** `kpl.AggregationMaxCount`. */
  readonly maxCount: number;
  /** `kpl.AggregationMaxSize`, in bytes of aggregate data. */
  readonly maxSize: number;
}

/** A Kinesis record holding one user record, sent as it is (no aggregate framing). */
export function singleContainer(record: PendingRecord, shardId: string): Container {
  return {
    shardId,
    records: [record],
    // As the KPL does, the hash key goes along explicitly even when the caller gave none.
    entry: { data: record.data, partitionKey: record.partitionKey, explicitHashKey: hashKeyDecimalOf(record) },
    size: record.data.length + partitionKeyBytes(record.partitionKey),
  };
}

/**
 * Builders that have grown to aggregate size, kept for the next aggregates: growing a fresh one to
 * 50 KB, copy after copy, for every aggregate costs more than encoding the records. A few are
 * enough, since an aggregate's builder comes back as soon as it is sent; more are let go, so a
 * stream of many shards does not pin a full-size builder per shard.
 */
class BuilderPool {
  private readonly free: AggregateBuilder[] = [];

  constructor(private readonly capacity: number) {}

  take(): AggregateBuilder {
    return this.free.pop() ?? new AggregateBuilder();
  }

  give(builder: AggregateBuilder): void {
    builder.clear();
    if (this.free.length < this.capacity) this.free.push(builder);
  }
}

/** Free builders kept per packer. */
const POOLED_BUILDERS = 8;

/** The user records bound for one shard's next aggregate. */
class ShardBuffer {
  readonly records: PendingRecord[] = [];
  timer: Subscription | undefined = undefined;

  constructor(
    readonly shardId: string,
    readonly builder: AggregateBuilder,
  ) {}

  toContainer(): Container {
    if (this.records.length === 1) return singleContainer(this.records[0]!, this.shardId);
    const entry = this.builder.build();
    return { shardId: this.shardId, records: this.records, entry, size: entry.data.length + partitionKeyBytes(entry.partitionKey) };
  }
}

/**
 * Packs records into per-shard aggregates with exact sizes. Shared by the timed operator and by the
 * retry path, which re-packs a failed subset at once.
 */
export class AggregatePacker {
  private readonly buffers = new Map<string, ShardBuffer>();
  private readonly builders = new BuilderPool(POOLED_BUILDERS);
  private readonly maxSize: number;

  /**
   * @param limits aggregation limits (`maxSize` is also capped so data plus the partition key `"a"`
   *   stays within one Kinesis record)
   * @param emit receives each finished Kinesis record
   * @param onOpen told when a shard's buffer gets its first record, e.g. to start its timer
   */
  constructor(
    private readonly limits: AggregationLimits,
    private readonly emit: (container: Container) => void,
    private readonly onOpen?: (buffer: { readonly shardId: string; timer: Subscription | undefined }) => void,
  ) {
    this.maxSize = Math.min(limits.maxSize, MAX_KINESIS_RECORD_BYTES - 1);
  }

  /** Whether any record is waiting. */
  get isEmpty(): boolean {
    return this.buffers.size === 0;
  }

  add(record: PendingRecord, shardId: string): void {
    if (!this.limits.enabled) {
      this.emit(singleContainer(record, shardId));
      return;
    }
    let buffer = this.buffers.get(shardId);
    if (buffer !== undefined && !buffer.builder.tryAdd(record, this.maxSize)) {
      this.flush(shardId);
      buffer = undefined;
    }
    if (buffer === undefined) {
      buffer = new ShardBuffer(shardId, this.builders.take());
      buffer.builder.add(record);
      this.buffers.set(shardId, buffer);
      this.onOpen?.(buffer);
    }
    buffer.records.push(record);
    if (buffer.records.length >= this.limits.maxCount || buffer.builder.size >= this.maxSize) this.flush(shardId);
  }

  /** Emits the shard's aggregate, if it has one. */
  flush(shardId: string): void {
    const buffer = this.buffers.get(shardId);
    if (buffer === undefined) return;
    this.buffers.delete(shardId);
    buffer.timer?.unsubscribe();
    const container = buffer.toContainer();
    // The entry's bytes are a copy (see AggregateBuilder.build), so the builder can serve again.
    this.builders.give(buffer.builder);
    this.emit(container);
  }

  /** Emits every aggregate. */
  flushAll(): void {
    for (const shardId of [...this.buffers.keys()]) this.flush(shardId);
  }

  /** Drops every buffer and stops their timers. */
  clear(): void {
    for (const buffer of this.buffers.values()) buffer.timer?.unsubscribe();
    this.buffers.clear();
  }
}

/** Packs `records` at once, each into an aggregate for the shard `predict` gives it. */
export function packNow(records: readonly PendingRecord[], predict: (record: PendingRecord) => string, limits: AggregationLimits): Container[] {
  const containers: Container[] = [];
  const packer = new AggregatePacker(limits, (c) => containers.push(c));
  for (const record of records) packer.add(record, predict(record));
  packer.flushAll();
  return containers;
}

/** What `aggregate` needs. */
export interface AggregateOptions extends AggregationLimits {
  /** `kpl.RecordMaxBufferedTime`: the longest a record waits for its aggregate to fill. */
  readonly maxBufferedTimeMillis: number;
  /** The shard a record's hash key is predicted to belong to. */
  readonly predict: (record: PendingRecord) => string;
  /** Timers run here. */
  readonly scheduler: SchedulerLike;
  /** Each notification flushes every aggregate at once (`KinesisProducer.flush()`). */
  readonly flushes?: Observable<unknown>;
}

/**
 * Aggregates user records per predicted shard. Records come in chunks (arrays), as they are admitted
 * into the pipeline. An aggregate goes out when the next record would not fit (by exact encoded
 * size), when it holds `maxCount` records or `maxSize` bytes, when its first record has waited
 * `maxBufferedTimeMillis`, on each `flushes` notification, and when the source completes. A record
 * larger than `maxSize` goes alone. With aggregation disabled each record goes out at once as its
 * own Kinesis record.
 *
 * Records keep their order within a shard. Prediction errors (no open shard) error the output.
 */
export function aggregate(options: AggregateOptions): OperatorFunction<readonly PendingRecord[], Container> {
  const { predict, scheduler, maxBufferedTimeMillis, flushes } = options;
  return (source) =>
    new Observable<Container>((subscriber) => {
      const packer: AggregatePacker = new AggregatePacker(
        options,
        (container) => subscriber.next(container),
        (buffer) => {
          buffer.timer = scheduler.schedule(() => packer.flush(buffer.shardId), maxBufferedTimeMillis);
        },
      );
      const flushSubscription = flushes?.subscribe({
        next: () => packer.flushAll(),
        error: (error: unknown) => subscriber.error(error),
      });
      const sourceSubscription = source.subscribe({
        next: (records) => {
          try {
            for (const record of records) packer.add(record, predict(record));
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          packer.flushAll();
          subscriber.complete();
        },
      });
      return () => {
        sourceSubscription.unsubscribe();
        flushSubscription?.unsubscribe();
        packer.clear();
      };
    });
}
