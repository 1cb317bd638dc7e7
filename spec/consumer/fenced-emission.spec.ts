/**
 * Fenced emission: a worker that did not run for longer than its lease's validity (a pause, a long
 * synchronous stretch in a subscriber) emits no further event of the shard from that tenure, and
 * every tenure carries a fencing token greater than any earlier tenure's.
 */
import { expect } from 'chai';
import { ConsumerFleet, texts } from './support/consumer-fleet';

describe('fenced emission', () => {
  it('emits no further event of a tenure once the lease’s validity ran out during a subscriber’s synchronous stretch', () => {
    const fleet = new ConsumerFleet(1);
    fleet.put(texts('r', 30));
    const shardId = fleet.shardIds()[0]!;
    const a = fleet.start('a');
    let stalled = false;
    // The third event holds the thread for longer than the failover time (3 s): the virtual clock
    // jumps while no timer of the worker can run.
    const subscription = a.subscription!;
    const original = a.record.bind(a);
    a.record = (event, at) => {
      original(event, at);
      if (!stalled && a.deliveries.length === 3) {
        stalled = true;
        fleet.scheduler.frame += 3500;
      }
    };
    fleet.run(10_000);

    const firstTenure = a.deliveries[0]!.event.fencingToken;
    const fromFirstTenure = a.deliveries.filter((d) => d.event.fencingToken === firstTenure);
    expect(fromFirstTenure.map((d) => d.text), 'nothing after the stretch').to.deep.equal(['r-0', 'r-1', 'r-2']);
    // The lease expired unrenewed: the worker takes it again, a new tenure with a greater token,
    // and reads on from the checkpoint (nothing lost).
    const later = a.deliveries.slice(3);
    expect(later.length).to.be.greaterThan(0);
    for (const d of later) expect(d.event.fencingToken, d.text).to.be.greaterThan(firstTenure);
    expect(new Set(a.texts())).to.deep.equal(new Set(texts('r', 30)));
    expect(fleet.lease(shardId).checkpoint).to.equal(fleet.kinesis.records('orders', shardId).at(-1)!.sequenceNumber);
    subscription.unsubscribe();
  });

  it('gives every event the lease counter of its tenure, greater for each later tenure on any worker', () => {
    const fleet = new ConsumerFleet(1);
    fleet.put(texts('r', 5));
    const shardId = fleet.shardIds()[0]!;
    const a = fleet.start('a');
    fleet.run(2000);
    const tokenA = a.deliveries[0]!.event.fencingToken;
    expect(tokenA).to.be.greaterThan(0);
    expect(a.deliveries.every((d) => d.event.fencingToken === tokenA)).to.equal(true);
    // A mapped event carries its record's token.
    expect(a.deliveries[0]!.event.map((p) => p.partitionKey).fencingToken).to.equal(tokenA);

    a.unsubscribe();
    fleet.run(500);
    const b = fleet.start('b');
    fleet.put(texts('s', 5));
    fleet.run(8000);
    const tokenB = b.deliveries[0]!.event.fencingToken;
    expect(tokenB).to.be.greaterThan(tokenA);
    expect(b.textsOf(shardId)).to.deep.equal(texts('s', 5));
    b.unsubscribe();
  });
});
