/**
 * The demo's events: each carries its index, so the report can tell which ones were consumed,
 * how often, and which never were.
 * @packageDocumentation
 */
import type { ProducerEvent } from '../../model/producer-event';

/** Consecutive indexes share a partition key, so a shard receives runs of consecutive indexes. */
const INDEXES_PER_KEY = 100;
const PAYLOAD = /^\{"seq":(\d{1,15})\}$/;
const decoder = new TextDecoder();

/** The payload of event `index`: `{"seq":<index>}`. */
export function demoPayload(index: number): string {
  return `{"seq":${index}}`;
}

/** The partition key of event `index`: events spread over the shards in blocks of consecutive indexes. */
export function demoPartitionKey(index: number): string {
  return `key-${Math.floor(index / INDEXES_PER_KEY)}`;
}

/** Demo event `index`. */
export function demoEvent(index: number): ProducerEvent {
  return { partitionKey: demoPartitionKey(index), payload: demoPayload(index) };
}

/** The index a demo payload carries, or `undefined` when it is not a demo payload. */
export function demoIndexOf(payload: Uint8Array | string): number | undefined {
  const match = PAYLOAD.exec(typeof payload === 'string' ? payload : decoder.decode(payload));
  return match === null ? undefined : Number(match[1]);
}
