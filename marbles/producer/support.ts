/** Helpers for the producer marble tests. */
import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { singleContainer } from '../../lib/producer/aggregate';
import { PendingRecord, type Container } from '../../lib/producer/pending-record';
import { validateEvent } from '../../lib/producer/validate';

export function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  });
}

/** A valid record with partition key `key` and `bytes` bytes of payload. */
export function record(key: string, bytes = 10): PendingRecord {
  const checked = validateEvent({ partitionKey: key, payload: new Uint8Array(bytes) }, { maxUserRecordSize: 1024 * 1024 }, `id-${key}`);
  if (!(checked instanceof PendingRecord)) throw new Error(`not valid: ${key}`);
  return checked;
}

/** A Kinesis record holding one user record `key`, predicted for `shardId`. */
export function container(key: string, shardId = 'A', bytes = 10): Container {
  return singleContainer(record(key, bytes), shardId);
}

/** A container, drawn as `<shard>:<keys>` so diagrams compare plain strings. */
export function show(c: Container): string {
  return `${c.shardId}:${c.records.map((r) => r.partitionKey).join('')}`;
}
