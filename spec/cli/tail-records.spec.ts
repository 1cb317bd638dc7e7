import { expect } from 'chai';
import { VirtualTimeScheduler, type Subscription } from 'rxjs';
import { tailRecords, type TailOptions } from '../../lib/cli/tail-records';
import { AggregateBuilder, MAX_HASH_KEY, hashKeyOf } from '../../lib/kpl';
import type { ConsumerEvent } from '../../lib/model/consumer-event';
import { StreamNotFoundError } from '../../lib/model/errors';
import { InMemoryKinesis, evenHashKeyRanges } from '../../lib/testing';
import { settle } from '../testing/virtual-time';
import { runUntil } from '../support/virtual-time';

const STREAM = 's';
const HALF = evenHashKeyRanges(2);

/** A partition key whose hash falls in shard `shard` of a 2-shard stream. */
function keyIn(shard: 0 | 1, n: number): string {
  for (let i = n * 1000; ; i++) {
    const key = `k${i}`;
    const hash = hashKeyOf(key);
    if (hash >= HALF[shard]!.startingHashKey && hash <= HALF[shard]!.endingHashKey) return key;
  }
}

function aggregate(records: { partitionKey: string; text: string }[]) {
  const builder = new AggregateBuilder();
  for (const r of records) builder.add({ partitionKey: r.partitionKey, data: Buffer.from(r.text) });
  return builder.build();
}

const line = (e: ConsumerEvent) => `${e.shardId} ${e.sequenceNumber.subSequenceNumber} ${e.partitionKey} ${e.payloadAsString()}`;

describe('cli/tail-records', () => {
  let scheduler: VirtualTimeScheduler;
  let kinesis: InMemoryKinesis;
  const options = (fields: Partial<TailOptions> = {}): TailOptions => ({ from: 'trim-horizon', follow: false, pollMillis: 1000, scheduler, ...fields });

  beforeEach(() => {
    scheduler = new VirtualTimeScheduler(undefined, Infinity);
    kinesis = new InMemoryKinesis({ scheduler, streams: { [STREAM]: 2 } });
  });

  it('reads every shard from TRIM_HORIZON, splitting aggregates into their records in order, then completes', () => {
    const a = keyIn(0, 1);
    const b = keyIn(1, 2);
    kinesis.appendRecords(STREAM, [aggregate([{ partitionKey: a, text: 'one' }, { partitionKey: a, text: 'two' }, { partitionKey: a, text: 'three' }])]);
    kinesis.appendRecords(STREAM, [{ partitionKey: b, data: Buffer.from('plain') }]);
    kinesis.appendRecords(STREAM, [{ partitionKey: a, data: Buffer.from('four') }]);

    const result = settle(scheduler, tailRecords(kinesis, STREAM, options()));
    expect(result.error).to.equal(undefined);
    expect(result.completed).to.equal(true);
    const byShard = (shardId: string) => result.values.filter((e) => e.shardId === shardId).map(line);
    expect(byShard('shardId-000000000000')).to.deep.equal([
      `shardId-000000000000 0 ${a} one`,
      `shardId-000000000000 1 ${a} two`,
      `shardId-000000000000 2 ${a} three`,
      `shardId-000000000000 0 ${a} four`,
    ]);
    expect(byShard('shardId-000000000001')).to.deep.equal([`shardId-000000000001 0 ${b} plain`]);
  });

  it('shows an aggregate whole even when some of its records route to another shard (no KCL range filter)', () => {
    const builder = new AggregateBuilder();
    builder.add({ partitionKey: keyIn(0, 3), data: Buffer.from('here') });
    builder.add({ partitionKey: keyIn(1, 4), data: Buffer.from('elsewhere') });
    kinesis.appendRecords(STREAM, [builder.build()]);
    const result = settle(scheduler, tailRecords(kinesis, STREAM, options()));
    expect(result.values.map((e) => e.payloadAsString())).to.deep.equal(['here', 'elsewhere']);
  });

  it('from LATEST and following: shows only what arrives after the start, one poll period after it is caught up', () => {
    const a = keyIn(0, 5);
    kinesis.appendRecords(STREAM, [{ partitionKey: a, data: Buffer.from('before') }]);
    const seen: { text: string; at: number }[] = [];
    const subscription: Subscription = tailRecords(kinesis, STREAM, options({ from: 'latest', follow: true, pollMillis: 1000 })).subscribe((e) =>
      seen.push({ text: e.payloadAsString(), at: scheduler.now() }),
    );
    runUntil(scheduler, 500);
    kinesis.appendRecords(STREAM, [{ partitionKey: a, data: Buffer.from('after') }]);
    runUntil(scheduler, 900);
    expect(seen, 'not before the next poll').to.deep.equal([]);
    runUntil(scheduler, 1100);
    expect(seen).to.deep.equal([{ text: 'after', at: 1000 }]);
    subscription.unsubscribe();
  });

  it('retries throttled calls with backoff', () => {
    kinesis.appendRecords(STREAM, [{ partitionKey: keyIn(1, 6), data: Buffer.from('x') }]);
    kinesis.faults.add({ operation: 'getRecords', fault: 'throttle', times: 3 });
    kinesis.faults.add({ operation: 'listShards', fault: 'throttle', times: 1 });
    const result = settle(scheduler, tailRecords(kinesis, STREAM, options()));
    expect(result.error).to.equal(undefined);
    expect(result.values.map((e) => e.payloadAsString())).to.deep.equal(['x']);
    expect(result.at, 'backoff took virtual time').to.be.greaterThan(0);
  });

  it('fails with StreamNotFoundError for a stream that does not exist', () => {
    const result = settle(scheduler, tailRecords(kinesis, 'nope', options()));
    expect(result.error).to.be.instanceOf(StreamNotFoundError);
  });

  it('reads a closed shard to its end from TRIM_HORIZON, and leaves it out from LATEST', () => {
    kinesis.appendRecords(STREAM, [{ partitionKey: keyIn(0, 7), data: Buffer.from('parent') }]);
    const done = settle(scheduler, kinesis.splitShard(STREAM, 'shardId-000000000000', MAX_HASH_KEY / 4n));
    expect(done.error).to.equal(undefined);
    const fromStart = settle(scheduler, tailRecords(kinesis, STREAM, options()));
    expect(fromStart.completed).to.equal(true);
    expect(fromStart.values.map((e) => `${e.shardId} ${e.payloadAsString()}`)).to.deep.equal(['shardId-000000000000 parent']);

    kinesis.resetCalls();
    const fromLatest = settle(scheduler, tailRecords(kinesis, STREAM, options({ from: 'latest' })));
    expect(fromLatest.completed).to.equal(true);
    expect(kinesis.calls.getShardIterator, 'one iterator per open shard').to.equal(3);
  });
});
