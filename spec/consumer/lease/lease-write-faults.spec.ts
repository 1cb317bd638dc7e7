/**
 * Writes to a held lease whose outcome the worker does not know at once, and writes that race
 * another worker's, must never cost the lease when it is still ours, nor leave it to nobody:
 * - a write that was sent and then cancelled (a graceful stop while a renewal is in flight) is
 *   waited for, so the next write starts from the counter it left;
 * - a failed condition that the client reports after sending the write twice (the SDK's own
 *   retry of a write whose first answer was lost) is resolved by reading the lease back;
 * - a release that meets a handoff request completes the handoff instead of orphaning the lease;
 * - a worker that asked for a lease and stops takes its request back.
 */
import { expect } from 'chai';
import { VirtualTimeScheduler, map, throwError, type Observable } from 'rxjs';
import { LeaseStoreThrottledError } from '../../../lib/model/errors';
import { leaseCoordinator, type LeaseCoordinator, type LeaseEvent } from '../../../lib/consumer/lease/lease-coordinator';
import { requestHandoffUpdate } from '../../../lib/consumer/lease/lease-updates';
import { CompoundSequenceNumber } from '../../../lib/model/sequence-number';
import type { LeaseStorePort, LeaseUpdate, LeaseWriteResult } from '../../../lib/ports/lease-store-port';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../../lib/testing';
import { runFor } from '../../support/virtual-time';
import { SETTINGS, STREAM, TABLE } from './harness';

const SHARD = 'shardId-000000000000';

/** A store whose `updateLease` calls go through `intercept` first. */
function intercepted(
  store: InMemoryLeaseStore,
  intercept: (leaseKey: string, update: LeaseUpdate, write: () => Observable<LeaseWriteResult>) => Observable<LeaseWriteResult>,
): LeaseStorePort {
  return {
    ensureTable: (t) => store.ensureTable(t),
    listLeases: (t) => store.listLeases(t),
    getLease: (t, k) => store.getLease(t, k),
    createLease: (t, l) => store.createLease(t, l),
    updateLease: (t, k, u) => intercept(k, u, () => store.updateLease(t, k, u)),
    deleteLease: (t, k, c) => store.deleteLease(t, k, c),
  };
}

interface Setup {
  readonly scheduler: VirtualTimeScheduler;
  readonly store: InMemoryLeaseStore;
  start(workerId: string, leases?: LeaseStorePort): { coordinator: LeaseCoordinator; events: LeaseEvent[]; stop(): void };
  run(millis: number): void;
  /** Subscribes to `source` and lets `millis` pass (default: what is due now); what it emitted. */
  call<T>(source: Observable<T>, millis?: number): T[];
}

function setup(shards: number, latencyMillis = 0): Setup {
  const scheduler = new VirtualTimeScheduler();
  const store = new InMemoryLeaseStore({ scheduler, latencyMillis });
  const kinesis = new InMemoryKinesis({ scheduler, streams: { [STREAM]: shards } });
  const run = (millis: number) => runFor(scheduler, millis);
  return {
    scheduler,
    store,
    run,
    start: (workerId, leases = store) => {
      const coordinator = leaseCoordinator({ leases, kinesis, scheduler }, { ...SETTINGS, workerId });
      const events: LeaseEvent[] = [];
      const subscription = coordinator.events$.subscribe((e) => events.push(e));
      return { coordinator, events, stop: () => subscription.unsubscribe() };
    },
    call: <T>(source: Observable<T>, millis = 0): T[] => {
      const values: T[] = [];
      source.subscribe({ next: (v) => values.push(v) });
      run(millis);
      return values;
    },
  };
}

/** Two shards held by A, and B's request for one of them, standing: its lease key. */
function standingRequest() {
  const world = setup(2);
  const a = world.start('A');
  world.run(3000);
  const b = world.start('B');
  world.run(0);
  const key = world.store.leases(TABLE).find((l) => l.checkpointOwner === 'A')!.leaseKey;
  return { world, a, b, key };
}

describe('writes to a held lease with an unknown outcome must', () => {
  it('wait for a renewal in flight when its caller goes away, so the final checkpoint and the release land', () => {
    const world = setup(1, 50);
    let renewalSent = false;
    const leases = intercepted(world.store, (_key, update, write) => {
      if (update.set === undefined && update.remove === undefined) renewalSent = true;
      return write();
    });
    const a = world.start('A', leases);
    while (!renewalSent) world.run(10);
    expect(world.store.lease(TABLE, SHARD)?.leaseOwner).to.equal('A');
    // The renewal has been sent and has taken effect; its answer is 50 ms away when the worker stops.
    world.run(10);
    const afterRenewal = world.store.lease(TABLE, SHARD)!.leaseCounter;
    a.stop();
    const position = new CompoundSequenceNumber('49590338271490256608559692538361571095921575989136588802', 0);
    const results = world.call(a.coordinator.checkpoint(SHARD, position), 1000);
    expect(results).to.deep.equal([{ _tag: 'Checkpointed', position }]);
    world.call(a.coordinator.release(SHARD), 1000);
    const lease = world.store.lease(TABLE, SHARD)!;
    expect(lease.checkpoint).to.equal(position.sequenceNumber);
    expect(lease).to.not.have.property('leaseOwner');
    // The checkpoint and the release, each on top of the renewal.
    expect(lease.leaseCounter).to.equal(afterRenewal + 2);
  });

  it('read the lease back when the client sent a write twice and the second failed its condition', () => {
    const world = setup(1);
    let lostAnswers = 0;
    const leases = intercepted(world.store, (_key, update, write) => {
      // The checkpoint's first attempt lands; its answer is lost and the client's own retry fails its condition.
      if (update.set?.checkpoint === undefined || lostAnswers > 0) return write();
      lostAnswers += 1;
      write().subscribe();
      return write().pipe(map((result): LeaseWriteResult => (result._tag === 'ConditionFailed' ? { _tag: 'ConditionFailed', maybeApplied: true } : result)));
    });
    const a = world.start('A', leases);
    world.run(1000);
    const position = new CompoundSequenceNumber('49590338271490256608559692538361571095921575989136588802', 3);
    const results = world.call(a.coordinator.checkpoint(SHARD, position));
    expect(lostAnswers).to.equal(1);
    expect(results).to.deep.equal([{ _tag: 'Checkpointed', position }]);
    expect(a.events.map((e) => e._tag)).to.deep.equal(['LeaseAcquired']);
    expect(world.store.lease(TABLE, SHARD)).to.include({ leaseOwner: 'A', checkpoint: position.sequenceNumber, checkpointSubSequenceNumber: 3 });
  });
});

describe('releases and handoff requests that race must', () => {
  it('complete the handoff when a request lands just before the release: the lease goes to the worker that asked', () => {
    const world = setup(1);
    let raced = false;
    const leases = intercepted(world.store, (key, update, write) => {
      if (!raced && update.remove?.includes('leaseOwner') === true) {
        raced = true;
        // Worker B's request (owner := B, checkpointOwner := A, the counter left alone) lands first.
        world.store.updateLease(TABLE, key, requestHandoffUpdate(world.store.lease(TABLE, key)!, 'B')!).subscribe();
      }
      return write();
    });
    const a = world.start('A', leases);
    world.run(1000);
    const counter = world.store.lease(TABLE, SHARD)!.leaseCounter;
    world.call(a.coordinator.release(SHARD));
    expect(raced).to.equal(true);
    const lease = world.store.lease(TABLE, SHARD)!;
    expect(lease.leaseOwner, 'still the worker that asked').to.equal('B');
    expect(lease).to.not.have.property('checkpointOwner');
    expect(lease.leaseCounter).to.equal(counter + 1);
  });

  it('give the lease back to its holder when the worker that asked for it withdraws, and the holder keeps it', () => {
    const world = setup(2);
    const a = world.start('A');
    world.run(3000);
    expect(world.store.leases(TABLE).every((l) => l.leaseOwner === 'A')).to.equal(true);
    const b = world.start('B');
    world.run(0);
    const asked = world.store.leases(TABLE).filter((l) => l.leaseOwner === 'B' && l.checkpointOwner === 'A');
    expect(asked).to.have.length(1);
    b.stop();
    world.call(b.coordinator.withdrawRequests());
    const lease = world.store.lease(TABLE, asked[0]!.leaseKey)!;
    expect(lease.leaseOwner).to.equal('A');
    expect(lease).to.not.have.property('checkpointOwner');
    world.run(30_000);
    expect(a.events.map((e) => e._tag)).to.deep.equal(['LeaseAcquired', 'LeaseAcquired']);
    expect(world.store.leases(TABLE).map((l) => l.leaseOwner)).to.deep.equal(['A', 'A']);
  });

  it('give up a lease handed over to a worker that stops before taking it', () => {
    const { world, a, b, key } = standingRequest();
    // A hands it over at its next renewal (its release answers the handoff) before B's next round.
    world.call(a.coordinator.release(key));
    expect(world.store.lease(TABLE, key)).to.include({ leaseOwner: 'B' });
    b.stop();
    world.call(b.coordinator.withdrawRequests());
    expect(world.store.lease(TABLE, key)).to.not.have.property('leaseOwner');
  });

  it('give the lease back to its holder after the holder noticed the request: it gives it up after its final checkpoint, free for itself too', () => {
    // A answers a handoff only when told (as a pipeline does after its final checkpoint).
    const { world, a, b, key } = standingRequest();
    // A notices at its next renewal (every 3308 ms): its renewal in the handoff moves the counter.
    world.run(3400);
    expect(a.events.map((e) => e._tag)).to.include('LeaseHandoff');
    const noticed = world.store.lease(TABLE, key)!;
    b.stop();
    world.call(b.coordinator.withdrawRequests());
    expect(world.store.lease(TABLE, key)).to.include({ leaseOwner: 'A' });
    expect(world.store.lease(TABLE, key)).to.not.have.property('checkpointOwner');
    expect(world.store.lease(TABLE, key)!.leaseCounter).to.equal(noticed.leaseCounter);
    // A's pipeline has stopped; its release finds the request withdrawn and frees the lease, which
    // A takes back at its next round rather than a failover period later.
    world.call(a.coordinator.release(key));
    expect(world.store.lease(TABLE, key)).to.not.have.property('leaseOwner');
    world.run(2100);
    expect(world.store.lease(TABLE, key)).to.include({ leaseOwner: 'A' });
  });
});

describe('a held lease must', () => {
  it('survive one renewal that never answers on a port that bounds nothing: one loss at most, then held and checkpointed as before', () => {
    const world = setup(1);
    const a = world.start('A');
    world.run(1000);
    world.store.faults.add({ operation: 'updateLease', fault: 'hang', times: 1 });
    world.run(60_000);
    const tags = a.events.map((e) => e._tag);
    expect(tags.filter((t) => t === 'LeaseLost').length, tags.join()).to.be.at.most(1);
    expect(tags.at(-1)).to.equal('LeaseAcquired');
    const position = new CompoundSequenceNumber('49590338271490256608559692538361571095921575989136588802', 0);
    expect(world.call(a.coordinator.checkpoint(SHARD, position), 1000)).to.deep.equal([{ _tag: 'Checkpointed', position }]);
  });

  it('be lost, not written over, when a rewind moves it while a throttled renewal waits for its retry', () => {
    const world = setup(1);
    let throttled = false;
    const leases = intercepted(world.store, (key, update, write) => {
      if (!throttled && update.set === undefined && update.remove === undefined) {
        throttled = true;
        // The throttled renewal (known not applied) waits 200 ms; a rewind lands meanwhile.
        world.store.forceUpdate(TABLE, key, { checkpoint: 'LATEST', checkpointSubSequenceNumber: 0 });
        return throwError(() => new LeaseStoreThrottledError('UpdateItem', 'ProvisionedThroughputExceededException', 'slow down'));
      }
      return write();
    });
    const a = world.start('A', leases);
    world.run(5000);
    expect(throttled).to.equal(true);
    expect(a.events.map((e) => e._tag)).to.include('LeaseLost');
    expect(world.store.lease(TABLE, SHARD)!.checkpoint, 'the rewind stands').to.equal('LATEST');
  });
});
