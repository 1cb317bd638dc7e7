/**
 * Shared set-up for the producer specs: configurations, an in-memory stream on virtual time, and a
 * way to run an Observable to the end of virtual time.
 */
import { VirtualAction, VirtualTimeScheduler, type Observable } from 'rxjs';
import { decodeKinesisConfig, producerConf, type ProducerConf } from '../../lib/config';
import { decodeAggregatedRecord } from '../../lib/kpl';
import type { ProducerEvent } from '../../lib/model/producer-event';
import { InMemoryKinesis, type InMemoryKinesisOptions } from '../../lib/testing';

export const STREAM = 'orders';

/** A producer configuration for STREAM with the given `kpl` and `akka` keys. */
export function conf(kpl: Record<string, unknown> = {}, akka: Record<string, unknown> = {}): ProducerConf {
  return producerConf(decodeKinesisConfig({ producer: { 'stream-name': STREAM, kpl, akka } }), 'producer');
}

/** A virtual-time scheduler with no frame limit. */
export function virtualTime(): VirtualTimeScheduler {
  return new VirtualTimeScheduler(VirtualAction, Infinity);
}

/** An in-memory Kinesis holding STREAM with `shards` shards, on `scheduler`. */
export function kinesisWith(scheduler: VirtualTimeScheduler, shards: number, options: InMemoryKinesisOptions = {}): InMemoryKinesis {
  return new InMemoryKinesis({ scheduler, streams: { [STREAM]: shards }, ...options });
}

export interface Run<T> {
  readonly values: T[];
  readonly error: unknown;
  readonly completed: boolean;
}

/** Subscribes and runs virtual time until nothing is scheduled. */
export function runToEnd<T>(source: Observable<T>, scheduler: VirtualTimeScheduler): Run<T> {
  const run = { values: [] as T[], error: undefined as unknown, completed: false };
  source.subscribe({
    next: (value) => run.values.push(value),
    error: (error: unknown) => (run.error = error),
    complete: () => (run.completed = true),
  });
  scheduler.flush();
  return run;
}

/** `count` events with distinct partition keys `key-<i>` and payloads `payload-<i>`. */
export function events(count: number, prefix = 'key'): ProducerEvent[] {
  return Array.from({ length: count }, (_, i) => ({ partitionKey: `${prefix}-${i}`, payload: `payload-${i}` }));
}

/** Every user record stored in STREAM, deaggregated, with the shard that holds it. */
export function storedUserRecords(kinesis: InMemoryKinesis): { partitionKey: string; data: string; shardId: string; sequenceNumber: string }[] {
  const decoder = new TextDecoder();
  return kinesis.allRecords(STREAM).flatMap((record) => {
    const users = decodeAggregatedRecord(record.data) ?? [{ partitionKey: record.partitionKey, data: record.data }];
    return users.map((u) => ({ partitionKey: u.partitionKey, data: decoder.decode(u.data), shardId: record.shardId, sequenceNumber: record.sequenceNumber }));
  });
}
