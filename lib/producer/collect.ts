/**
 * Collection: Kinesis records are gathered into PutRecords requests of at most `CollectionMaxCount`
 * entries and `CollectionMaxSize` bytes (data plus partition keys, as Kinesis counts them).
 * @packageDocumentation
 */
import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Batch, Container } from './pending-record';

/**
 * The KPL sends a request early once this many bytes are waiting for one shard, so that one busy
 * shard gets steady traffic rather than bursts (`KPLC:collector.h`).
 */
export const SHARD_FLUSH_BYTES = 256 * 1024;

/** Limits of one PutRecords request. */
export interface CollectionLimits {
  /** `kpl.CollectionMaxCount` (at most 500). */
  readonly maxCount: number;
  /** `kpl.CollectionMaxSize` (at most 5 MiB). */
  readonly maxSize: number;
}

/** Gathers containers into batches; shared by the timed operator and the retry path. */
class BatchBuilder {
  containers: Container[] = [];
  size = 0;
  private shardBytes = new Map<string, number>();

  constructor(private readonly limits: CollectionLimits) {}

  get isEmpty(): boolean {
    return this.containers.length === 0;
  }

  /** Whether `container` would take the batch over a limit. */
  wouldOverflow(container: Container): boolean {
    return this.containers.length > 0 && (this.containers.length + 1 > this.limits.maxCount || this.size + container.size > this.limits.maxSize);
  }

  /** Adds `container`; returns whether the batch should go now. */
  add(container: Container): boolean {
    this.containers.push(container);
    this.size += container.size;
    const shardBytes = (this.shardBytes.get(container.shardId) ?? 0) + container.size;
    this.shardBytes.set(container.shardId, shardBytes);
    return this.containers.length >= this.limits.maxCount || this.size >= this.limits.maxSize || shardBytes >= SHARD_FLUSH_BYTES;
  }

  take(): Batch {
    const batch: Batch = { containers: this.containers, size: this.size };
    this.containers = [];
    this.size = 0;
    this.shardBytes = new Map();
    return batch;
  }
}

/** Splits `containers` into requests within `limits`, keeping their order. */
export function batchesOf(containers: readonly Container[], limits: CollectionLimits): Batch[] {
  const batches: Batch[] = [];
  const builder = new BatchBuilder(limits);
  for (const container of containers) {
    if (builder.wouldOverflow(container)) batches.push(builder.take());
    builder.add(container);
  }
  if (!builder.isEmpty) batches.push(builder.take());
  return batches;
}

/** What `collect` needs. */
export interface CollectOptions extends CollectionLimits {
  /**
   * How long the first Kinesis record of a request may wait for others. The KPL holds requests
   * min(50 ms, RecordMaxBufferedTime / 5) when aggregating, and RecordMaxBufferedTime otherwise.
   * 0 sends every record at once.
   */
  readonly lingerMillis: number;
  readonly scheduler: SchedulerLike;
  /** Each notification sends whatever is gathered at once (`KinesisProducer.flush()`). */
  readonly flushes?: Observable<unknown>;
}

/**
 * Gathers Kinesis records into PutRecords requests. A request goes out when the next record would
 * take it over `maxCount` or `maxSize`, when it reaches either, when 256 KiB are waiting for one
 * shard, when its first record has waited `lingerMillis`, on each `flushes` notification, and when
 * the source completes. A record larger than `maxSize` goes alone. Order is kept.
 */
export function collect(options: CollectOptions): OperatorFunction<Container, Batch> {
  const { lingerMillis, scheduler, flushes } = options;
  return (source) =>
    new Observable<Batch>((subscriber) => {
      const builder = new BatchBuilder(options);
      let timer: Subscription | undefined;
      const send = () => {
        timer?.unsubscribe();
        timer = undefined;
        if (!builder.isEmpty) subscriber.next(builder.take());
      };
      const sourceSubscription = source.subscribe({
        next: (container) => {
          if (builder.wouldOverflow(container)) send();
          if (builder.add(container) || lingerMillis <= 0) send();
          else timer ??= scheduler.schedule(send, lingerMillis);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          send();
          subscriber.complete();
        },
      });
      // Subscribed after the source, so that on a flush the aggregates flushed upstream arrive first.
      const flushSubscription = flushes?.subscribe({ next: send, error: (error: unknown) => subscriber.error(error) });
      return () => {
        sourceSubscription.unsubscribe();
        flushSubscription?.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
