/**
 * consume$ with `kcl.retrievalMode` FANOUT on the in-memory fakes: the stream consumer is registered
 * before any lease is taken, every shard is read through subscriptions and never polled, records
 * come in order and once, and after a split the parent is read to its end before its children.
 * A set-up call that never answers is given up and made again: a subscription whose first event
 * does not come at the read limit (10 s with a 3 s failover, not the reader's 60 s liveness check),
 * a registration of the stream consumer at the set-up limit.
 * Subscriptions answer through promises, so virtual time is let pass in small steps, settling the
 * promises in between.
 */
import { expect } from 'chai';
import { consume$ } from '../../../lib/consumer/consume';
import type { KinesisPort } from '../../../lib/ports/kinesis-port';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../../lib/testing';
import { ConsumerFleet, STREAM, testConf, texts } from '../support/consumer-fleet';

const FANOUT = { kcl: { retrievalMode: 'FANOUT', consumerName: 'efo' } };

/** Lets every promise chain already under way move on. */
async function ticks(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

/** Lets `millis` of virtual time pass in 10 ms steps, settling promises after each. */
async function run(fleet: ConsumerFleet, millis: number): Promise<void> {
  for (let elapsed = 0; elapsed < millis; elapsed += 10) {
    fleet.run(10);
    await ticks();
  }
}

describe('consume$ with enhanced fan-out', () => {
  it('fails at once, saying why, on a Kinesis port that cannot subscribe to shards', () => {
    const kinesis = new InMemoryKinesis({ streams: { [STREAM]: 1 } });
    const pollingOnly: KinesisPort = {
      listShards: (name, filter) => kinesis.listShards(name, filter),
      getShardIterator: (name, shardId, position) => kinesis.getShardIterator(name, shardId, position),
      getRecords: (iterator, limit) => kinesis.getRecords(iterator, limit),
      putRecords: (name, entries) => kinesis.putRecords(name, entries),
    };
    let error: unknown;
    consume$(testConf('a', FANOUT), { kinesis: pollingOnly, leases: new InMemoryLeaseStore() }).subscribe({ error: (e: unknown) => (error = e) });
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.contain('kcl.retrievalMode FANOUT');
  });

  it('registers the stream consumer, then reads every shard through subscriptions only: each record once, in order, checkpointed', async () => {
    const fleet = new ConsumerFleet(4);
    fleet.put(texts('r', 200));
    const a = fleet.start('a', FANOUT);
    await run(fleet, 3000);
    fleet.put(texts('s', 100));
    await run(fleet, 3000);

    expect(a.error).to.equal(undefined);
    expect(fleet.kinesis.calls.getRecords, 'never polled').to.equal(0);
    expect(fleet.kinesis.calls.subscribeToShard).to.be.at.least(4);
    for (const shardId of fleet.shardIds()) {
      expect(a.textsOf(shardId), shardId).to.deep.equal(fleet.stored(shardId));
      const last = fleet.kinesis.records(STREAM, shardId).at(-1)!;
      expect(fleet.lease(shardId)).to.include({ leaseOwner: 'a', checkpoint: last.sequenceNumber });
    }
    expect(a.texts().sort()).to.deep.equal([...texts('r', 200), ...texts('s', 100)].sort());
    a.unsubscribe();
  });

  it('after a split, reads the parent to its end (SHARD_END) before any record of its children', async () => {
    const fleet = new ConsumerFleet(1);
    const keys = texts('key', 8);
    const round = (name: string, n: number) => texts(name, n).map((t, i) => `${keys[i % keys.length]!}|${t}`);
    const before = round('before', 80);
    const after = round('after', 80);
    fleet.put(before, (text) => text.split('|')[0]!);
    const a = fleet.start('a', FANOUT);
    await run(fleet, 500);
    const parent = fleet.shardIds()[0]!;
    fleet.kinesis.splitShard(STREAM, parent, 2n ** 127n).subscribe();
    await run(fleet, 10);
    fleet.put(after, (text) => text.split('|')[0]!);
    await run(fleet, 8000);

    expect(a.error).to.equal(undefined);
    const children = fleet.shardIds().filter((id) => id !== parent);
    expect(a.texts().sort()).to.deep.equal([...before, ...after].sort());
    for (const key of keys) {
      const ofKey = a.deliveries.filter((d) => d.partitionKey === key);
      const lastParent = Math.max(...ofKey.filter((d) => d.shardId === parent).map((d) => d.at));
      const firstChild = Math.min(...ofKey.filter((d) => d.shardId !== parent).map((d) => d.at));
      expect(lastParent, key).to.be.lessThan(firstChild);
    }
    expect(fleet.lease(parent)).to.include({ checkpoint: 'SHARD_END' });
    expect(fleet.lease(parent).childShardIds).to.have.members(children);
    expect(fleet.kinesis.calls.getRecords, 'never polled').to.equal(0);
    a.unsubscribe();
  });
});

describe('consume$ with enhanced fan-out, when a set-up call never answers', () => {
  it('gives up a subscription whose first event does not come within the read limit, and reads the shard through the next', async () => {
    const fleet = new ConsumerFleet(1);
    fleet.put(texts('r', 5));
    fleet.kinesis.faults.add({ operation: 'subscribeToShard', fault: 'hang', times: 1 });
    const a = fleet.start('a', FANOUT);
    await run(fleet, 9900);
    expect(a.texts(), 'nothing read while the first subscription hangs').to.deep.equal([]);
    // Given up at 10000; the next subscription comes after the read backoff (100).
    await run(fleet, 400);
    expect(a.texts()).to.deep.equal(texts('r', 5));
    expect(a.deliveries[0]!.at).to.be.at.most(10_200);
    expect(fleet.kinesis.calls.subscribeToShard).to.equal(2);
    expect(a.diagnostics.filter((d) => d._tag === 'SubscriptionSilent'), 'not left to the liveness check').to.deep.equal([]);
    expect(a.error).to.equal(undefined);
    a.unsubscribe();
  });

  it('registers the stream consumer again when a registration does not answer within the set-up limit', async () => {
    const fleet = new ConsumerFleet(2);
    fleet.put(texts('r', 6));
    fleet.kinesis.faults.add({ operation: 'ensureStreamConsumer', fault: 'hang', times: 1 });
    const a = fleet.start('a', { ...FANOUT, options: { callTimeouts: { setUpMillis: 2000 } } });
    await run(fleet, 1990);
    expect(fleet.store.tableNames(), 'no lease work before the stream consumer is there').to.deep.equal([]);
    await run(fleet, 1500);
    expect(fleet.kinesis.calls.ensureStreamConsumer).to.equal(2);
    expect(a.texts().sort()).to.deep.equal(texts('r', 6).sort());
    expect(a.error).to.equal(undefined);
    a.unsubscribe();
  });
});
