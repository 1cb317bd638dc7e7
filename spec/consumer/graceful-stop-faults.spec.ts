/**
 * A graceful stop must end with every committed event checkpointed and every lease given up, when
 * the stop lands while lease writes are on their way (a slow lease table), and when the stopping
 * worker had just asked another worker for a lease.
 */
import { expect } from 'chai';
import { Subject } from 'rxjs';
import { ConsumerFleet, texts } from './support/consumer-fleet';

describe('a graceful stop must', () => {
  it('checkpoint every committed event and release every lease when it lands while renewals are in flight (store latency 50 ms)', function () {
    this.timeout(20_000);
    // Renewals run every 975 ms (failover 3 s); stopping at 50 ms steps across one interval meets
    // them on their way.
    for (let offset = 0; offset < 1000; offset += 50) {
      const fleet = new ConsumerFleet(4, { storeLatencyMillis: 50 });
      fleet.put(texts('r', 16));
      const stop = new Subject<void>();
      const a = fleet.start('a', { options: { stop$: stop } });
      fleet.run(4000 + offset);
      stop.next();
      fleet.run(10_000);
      expect(a.completed, `stop at +${offset} ms`).to.equal(true);
      for (const shardId of fleet.shardIds()) {
        const last = fleet.kinesis.records('orders', shardId).at(-1)!;
        const lease = fleet.lease(shardId);
        expect(lease.checkpoint, `${shardId}, stop at +${offset} ms`).to.equal(last.sequenceNumber);
        expect(lease.leaseOwner, `${shardId}, stop at +${offset} ms`).to.equal(undefined);
      }
    }
  });

  it('take back a handoff request the stopping worker made, so the holder keeps reading the shard', () => {
    const fleet = new ConsumerFleet(2);
    const stopB = new Subject<void>();
    const a = fleet.start('a');
    fleet.run(3000);
    expect(fleet.owners()).to.deep.equal({ a: 2 });
    const b = fleet.start('b', { options: { stop$: stopB } });
    // B's first take round asks A for one lease; B stops before A has noticed (A renews every 975 ms).
    fleet.run(0);
    const asked = fleet.leases().find((l) => l.checkpointOwner === 'a');
    expect(asked, 'a request is standing').to.not.equal(undefined);
    stopB.next();
    fleet.run(100);
    expect(b.completed).to.equal(true);
    // A goes on reading both shards without a pause: no failover period waited for a worker that is gone.
    const before = a.deliveries.length;
    fleet.put(texts('s', 20));
    fleet.run(1000);
    expect(a.deliveries.length - before).to.equal(20);
    expect(fleet.owners()).to.deep.equal({ a: 2 });
    expect(fleet.lease(asked!.leaseKey)).to.not.have.property('checkpointOwner');
  });
});
