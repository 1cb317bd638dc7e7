/**
 * consume$ must:
 * - do nothing until subscribed, and check its options when called;
 * - deliver every record of every shard, in order within a shard, and checkpoint what is committed;
 * - share the shards between workers on one lease table, each shard read by exactly one;
 * - rebalance by graceful handoffs: the worker giving a shard up checkpoints first, so nothing is
 *   delivered twice; one that dies mid-handoff loses nothing;
 * - hand a stopped worker's shards to the others, which go on from the checkpoints: what was not
 *   committed is delivered again, nothing is lost;
 * - resume after a restart from the checkpoint, inside an aggregate too;
 * - deliver the user records of an aggregate that lie outside its shard (or, when asked, drop it
 *   whole as the KCL does), reporting each such aggregate;
 * - after a split, deliver every record of the parent before any record of its children;
 * - ride out throttling, expired iterators, lost answers and a lease taken behind its back without losing records;
 * - stop fetching a shard whose events are not committed, at the bound, and go on once they are;
 * - on stop$, stop reading, checkpoint the committed prefix, release the leases, then complete;
 * - end only the failing shard when its reads keep failing, releasing its lease for a later retry.
 */
import { expect } from 'chai';
import { Subject, lastValueFrom } from 'rxjs';
import { consume$ } from '../../lib/consumer/consume';
import { encodeAggregatedRecord } from '../../lib/kpl/aggregated-record';
import { CompoundSequenceNumber } from '../../lib/model/sequence-number';
import { crossShardAggregates, expectedReports, outOfRangeReports } from '../support/cross-shard-aggregates';
import { ConsumerFleet, STREAM, TABLE, testConf, texts, type Worker } from './support/consumer-fleet';

/** Sequence numbers of a worker's deliveries of one shard, in delivery order. */
function positions(worker: Worker, shardId: string): CompoundSequenceNumber[] {
  return worker.deliveries.filter((d) => d.shardId === shardId).map((d) => d.event.sequenceNumber);
}

function strictlyIncreasing(list: readonly CompoundSequenceNumber[]): boolean {
  return list.every((p, i) => i === 0 || p.isAfter(list[i - 1]!));
}

/** Writes 8 events (named `e<round>-…`) and lets 100 ms pass, for each round from `from` to `to`; records them in `written`. */
function feedEvents(fleet: ConsumerFleet, written: string[], from: number, to: number): void {
  for (let i = from; i < to; i += 1) {
    const batch = texts(`e${i}`, 8);
    written.push(...batch);
    fleet.put(batch);
    fleet.run(100);
  }
}

describe('consume$', () => {
  it('does nothing until subscribed, and each subscription is a worker of its own', () => {
    const fleet = new ConsumerFleet(2);
    fleet.put(texts('r', 6));
    const events$ = fleet.consume('a');
    fleet.run(1000);
    expect(fleet.store.tableNames(), 'no table before the subscription').to.deep.equal([]);
    expect(fleet.kinesis.calls.getRecords).to.equal(0);

    const first: string[] = [];
    const second: string[] = [];
    const s1 = events$.subscribe((e) => first.push(e.commit().payload.payloadAsString()));
    fleet.run(2000);
    expect(first.sort()).to.deep.equal(texts('r', 6).sort());
    // The same Observable subscribed again under the same worker id: it takes back its own leases and reads on.
    s1.unsubscribe();
    fleet.run(100);
    const s2 = events$.subscribe((e) => second.push(e.commit().payload.payloadAsString()));
    fleet.put(['late']);
    fleet.run(5000);
    expect(second).to.deep.equal(['late']);
    s2.unsubscribe();
  });

  it('checks its options when called', () => {
    const conf = testConf('a');
    expect(() => consume$(conf, {}, { maxUncommitted: -1 })).to.throw(TypeError, /maxUncommitted/);
    expect(() => consume$(conf, {}, { checkpointAfterCommits: 0 })).to.throw(TypeError, /checkpointAfterCommits/);
    expect(() => consume$(conf, {}, { outOfRangeRecords: 'skip' as 'drop' })).to.throw(TypeError, /outOfRangeRecords must be 'deliver' or 'drop', got "skip"/);
  });

  it('reads every record of 4 shards in order per shard, and the checkpoints land in the lease table', () => {
    const fleet = new ConsumerFleet(4);
    fleet.put(texts('r', 200));
    const a = fleet.start('a');
    fleet.run(5000);

    expect(a.error).to.equal(undefined);
    for (const shardId of fleet.shardIds()) {
      expect(fleet.stored(shardId), shardId).to.have.length.greaterThan(20);
      expect(a.textsOf(shardId), shardId).to.deep.equal(fleet.stored(shardId));
      expect(strictlyIncreasing(positions(a, shardId)), `${shardId} in order`).to.equal(true);
      const last = fleet.kinesis.records(STREAM, shardId).at(-1)!;
      expect(fleet.lease(shardId)).to.include({ leaseOwner: 'a', checkpoint: last.sequenceNumber, checkpointSubSequenceNumber: 0 });
    }
    a.unsubscribe();
  });

  it('shares the shards between two workers: each shard read by exactly one, every record once', () => {
    const fleet = new ConsumerFleet(4);
    fleet.put(texts('r', 120));
    const a = fleet.start('a');
    const b = fleet.start('b');
    fleet.run(5000);
    fleet.put(texts('s', 120));
    fleet.run(5000);

    expect(fleet.owners()).to.deep.equal({ a: 2, b: 2 });
    const readByA = a.shardsRead();
    const readByB = b.shardsRead();
    expect(readByA).to.have.length(2);
    expect(readByB).to.have.length(2);
    expect([...readByA, ...readByB].sort()).to.deep.equal(fleet.shardIds());
    for (const shardId of readByA) expect(fleet.lease(shardId).leaseOwner).to.equal('a');
    const all = [...a.texts(), ...b.texts()];
    expect(all.sort()).to.deep.equal([...texts('r', 120), ...texts('s', 120)].sort());
    a.unsubscribe();
    b.unsubscribe();
  });

  it('rebalances 4 shards 2/2 by graceful handoffs when a worker joins while events flow: every event delivered exactly once', () => {
    const fleet = new ConsumerFleet(4);
    const a = fleet.start('a');
    const written: string[] = [];
    const feed = (from: number, to: number): void => feedEvents(fleet, written, from, to);
    feed(0, 30); // t = 3000: a reads all 4 shards
    expect(a.shardsRead()).to.have.length(4);
    const b = fleet.start('b');
    feed(30, 150); // events keep coming while b asks for two shards and a hands them over
    fleet.run(5000);

    expect(fleet.owners()).to.deep.equal({ a: 2, b: 2 });
    expect(fleet.leases().filter((l) => l.checkpointOwner !== undefined)).to.deep.equal([]);
    const handedOver = b.shardsRead();
    expect(handedOver).to.have.length(2);
    for (const shardId of handedOver) expect(a.textsOf(shardId).length, `a read ${shardId} first`).to.be.greaterThan(0);
    const delivered = [...a.texts(), ...b.texts()];
    const twice = delivered.filter((text, i) => delivered.indexOf(text) !== i);
    expect(twice, 'delivered twice').to.deep.equal([]);
    expect([...delivered].sort(), 'every event delivered').to.deep.equal([...written].sort());
    a.unsubscribe();
    b.unsubscribe();
  });

  it('loses nothing when the worker handing a shard over dies before its final checkpoint: the new owner takes it after the failover time', () => {
    const fleet = new ConsumerFleet(4);
    // a dies when it reads back a lease whose renewal failed: the moment it learns of a handoff.
    const a = fleet.start('a', { dieOn: (call) => call.operation === 'getLease' && fleet.workers.has('b') });
    const written: string[] = [];
    const feed = (from: number, to: number): void => feedEvents(fleet, written, from, to);
    feed(0, 30);
    expect(a.shardsRead()).to.have.length(4);
    const b = fleet.start('b');
    feed(30, 60);
    expect(a.dead, 'a died mid-handoff').to.equal(true);
    const asked = fleet.leases().filter((l) => l.checkpointOwner === 'a');
    expect(asked.length, 'leases still waiting for a to hand them over').to.be.at.least(1);
    expect(asked.every((l) => l.leaseOwner === 'b')).to.equal(true);
    feed(60, 120);
    fleet.run(5000);

    expect(fleet.owners()).to.deep.equal({ b: 4 });
    expect(fleet.leases().filter((l) => l.checkpointOwner !== undefined)).to.deep.equal([]);
    const beforeDeath = a.deliveries.slice(0, a.deliveredBeforeDeath).map((d) => d.text);
    const delivered = new Set([...beforeDeath, ...b.texts()]);
    for (const text of written) expect(delivered.has(text), text).to.equal(true);
    b.unsubscribe();
  });

  it('hands an unsubscribed worker’s shards to the other, which goes on from the checkpoints: the uncommitted events come again, nothing is lost', () => {
    const fleet = new ConsumerFleet(4);
    fleet.put(texts('r', 80));
    // Room for every new event of a shard, so that all of them are delivered before a stops.
    const a = fleet.start('a', { options: { maxUncommitted: 40 } });
    const b = fleet.start('b');
    fleet.run(5000);
    const shardsOfA = a.shardsRead();
    expect(shardsOfA).to.have.length(2);

    // a now receives new events and commits only the first two of each of its shards.
    a.autoCommit = false;
    const before = a.deliveries.length;
    fleet.put(texts('s', 80));
    fleet.run(1000);
    const fresh = a.deliveries.slice(before);
    const committed = new Set<string>();
    const uncommitted = new Set<string>();
    for (const shardId of shardsOfA) {
      const ofShard = fresh.filter((d) => d.shardId === shardId);
      expect(ofShard.length, shardId).to.be.greaterThan(4);
      for (const d of ofShard.slice(0, 2)) committed.add(d.event.commit().payload.payloadAsString());
      for (const d of ofShard.slice(2)) uncommitted.add(d.text);
    }

    const bBefore = b.deliveries.length;
    a.unsubscribe();
    fleet.run(50);
    // Final checkpoints of the committed prefix, then released: nobody owns a's shards for a moment.
    for (const shardId of shardsOfA) {
      const lastCommitted = fresh.filter((d) => d.shardId === shardId)[1]!.event.sequenceNumber;
      expect(fleet.lease(shardId)).to.include({ checkpoint: lastCommitted.sequenceNumber });
      expect(fleet.lease(shardId).leaseOwner).to.equal(undefined);
    }
    fleet.run(3000);

    expect(fleet.owners()).to.deep.equal({ b: 4 });
    const redelivered = b.deliveries.slice(bBefore).filter((d) => shardsOfA.includes(d.shardId));
    expect(new Set(redelivered.map((d) => d.text)), 'exactly the uncommitted events, again').to.deep.equal(uncommitted);
    for (const text of committed) expect(b.texts()).not.to.include(text);
    const delivered = new Set([...a.texts(), ...b.texts()]);
    for (const text of [...texts('r', 80), ...texts('s', 80)]) expect(delivered.has(text), text).to.equal(true);
    b.unsubscribe();
  });

  it('resumes after a restart at the sub-record after the checkpoint, inside an aggregate', () => {
    const fleet = new ConsumerFleet(1);
    const users = texts('u', 5);
    fleet.kinesis.appendRecords(STREAM, [{ partitionKey: 'agg', data: encodeAggregatedRecord(users.map((t) => ({ partitionKey: t, data: Buffer.from(t) }))) }]);
    fleet.put(['plain']);
    const stop = new Subject<void>();
    const a = fleet.start('a', { autoCommit: false, options: { stop$: stop } });
    fleet.run(1000);
    expect(a.texts()).to.deep.equal([...users, 'plain']);
    for (const d of a.deliveries.slice(0, 3)) d.event.commit();
    stop.next();
    fleet.run(1000);
    expect(a.completed).to.equal(true);
    const aggregateSequence = fleet.kinesis.records(STREAM, 'shardId-000000000000')[0]!.sequenceNumber;
    expect(fleet.lease('shardId-000000000000')).to.include({ checkpoint: aggregateSequence, checkpointSubSequenceNumber: 2 });

    const again = fleet.start('a2');
    fleet.run(5000);
    expect(again.texts()).to.deep.equal(['u-3', 'u-4', 'plain']);
    expect(again.deliveries[0]!.event.sequenceNumber.toString()).to.equal(`${aggregateSequence}/3`);
    again.unsubscribe();
  });

  it('after a split, delivers every record of the parent before any record of its children, key by key', () => {
    const fleet = new ConsumerFleet(1);
    const keys = texts('key', 12);
    const round = (name: string, n: number) => texts(name, n).map((t, i) => `${keys[i % keys.length]!}|${t}`);
    const before = round('before', 120);
    const after = round('after', 120);
    fleet.put(before, (text) => text.split('|')[0]!);
    const a = fleet.start('a');
    const b = fleet.start('b');
    fleet.run(300);
    // Mid-stream: the parent is still being read (10 records per 100 ms) when the children fill.
    expect(a.deliveries.length + b.deliveries.length).to.be.within(1, 100);
    const parent = fleet.shardIds()[0]!;
    fleet.kinesis.splitShard(STREAM, parent, 2n ** 127n).subscribe();
    fleet.run(1);
    fleet.put(after, (text) => text.split('|')[0]!);
    fleet.run(10_000);

    const children = fleet.shardIds().filter((id) => id !== parent);
    expect(children).to.have.length(2);
    for (const child of children) expect(fleet.stored(child).length, child).to.be.greaterThan(0);
    const deliveries = [...a.deliveries, ...b.deliveries];
    // Exactly once: a child the other worker asks for is checkpointed before it is handed over.
    expect(deliveries.map((d) => d.text).sort()).to.deep.equal([...before, ...after].sort());
    expect(fleet.owners()).to.deep.equal({ a: 1, b: 1 });
    for (const key of keys) {
      const ofKey = deliveries.filter((d) => d.partitionKey === key);
      const lastParent = Math.max(...ofKey.filter((d) => d.shardId === parent).map((d) => d.at));
      const firstChild = Math.min(...ofKey.filter((d) => d.shardId !== parent).map((d) => d.at));
      expect(lastParent, key).to.be.lessThan(firstChild);
    }
    expect(fleet.lease(parent)).to.include({ checkpoint: 'SHARD_END' });
    expect(fleet.lease(parent).childShardIds).to.have.members(children);
    a.unsubscribe();
    b.unsubscribe();
  });

  it('delivers every record through throttling, expired iterators, lost answers and a lease taken behind its back', () => {
    const fleet = new ConsumerFleet(4);
    fleet.kinesis.faults.add({ operation: 'getRecords', fault: 'throttle', probability: 0.3 });
    fleet.kinesis.faults.add({ operation: 'getRecords', fault: 'expiredIterator', probability: 0.05 });
    fleet.kinesis.faults.add({ operation: 'getShardIterator', fault: 'transient', times: 3 });
    fleet.store.faults.add({ operation: 'updateLease', fault: 'throttle', probability: 0.2 });
    fleet.store.faults.add({ operation: 'updateLease', fault: 'lostResponse', probability: 0.05 });
    fleet.store.faults.add({ operation: 'listLeases', fault: 'throttle', probability: 0.2 });
    const a = fleet.start('a');
    const b = fleet.start('b');
    const written: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const batch = texts(`w${i}`, 30);
      written.push(...batch);
      fleet.put(batch);
      fleet.run(1000);
      if (i === 4) {
        // Another worker's conditional write: the holder's next write fails its condition.
        const victim = fleet.leases().find((l) => l.leaseOwner === 'a')!.leaseKey;
        fleet.store.forceUpdate(TABLE, victim, { leaseOwner: 'ghost' });
      }
    }
    fleet.run(20_000);

    expect(a.error).to.equal(undefined);
    expect(b.error).to.equal(undefined);
    const delivered = new Set([...a.texts(), ...b.texts()]);
    for (const text of written) expect(delivered.has(text), text).to.equal(true);
    expect(fleet.owners()).not.to.have.property('ghost');
    for (const worker of [a, b]) {
      for (const shardId of fleet.shardIds()) {
        // Within one holding a shard goes forward; a shard taken back starts again at its checkpoint.
        const list = positions(worker, shardId);
        const backwards = list.filter((p, i) => i > 0 && !p.isAfter(list[i - 1]!)).length;
        expect(backwards, `${worker.id} ${shardId}`).to.be.at.most(2);
      }
    }
    a.unsubscribe();
    b.unsubscribe();
  });

  it('stops fetching a shard once maxUncommitted + maxRecords events wait for a commit, and goes on once they are committed', () => {
    const fleet = new ConsumerFleet(1);
    fleet.put(texts('r', 200));
    const a = fleet.start('a', { autoCommit: false });
    fleet.run(3000);
    // maxRecords 10, maxUncommitted 10 (the default): a second page comes while 10 are outstanding, then no more.
    expect(a.deliveries).to.have.length(20);
    const calls = fleet.kinesis.calls.getRecords;
    fleet.run(10_000);
    expect(fleet.kinesis.calls.getRecords, 'no GetRecords while the gate is shut').to.equal(calls);
    expect(a.deliveries).to.have.length(20);

    a.commitAll();
    a.autoCommit = true;
    fleet.run(5000);
    expect(a.texts()).to.deep.equal(texts('r', 200));
    a.unsubscribe();
  });

  it('with maxUncommitted 0, fetches the next page only once the last one is all committed', () => {
    const fleet = new ConsumerFleet(1);
    fleet.put(texts('r', 50));
    const a = fleet.start('a', { autoCommit: false, options: { maxUncommitted: 0 } });
    fleet.run(3000);
    expect(a.deliveries).to.have.length(10);
    for (const d of a.deliveries.slice(0, 9)) d.event.commit();
    fleet.run(3000);
    expect(a.deliveries, 'one event of the page still uncommitted').to.have.length(10);
    a.deliveries[9]!.event.commit();
    fleet.run(300);
    expect(a.deliveries).to.have.length(20);
    a.unsubscribe();
  });

  it('on stop$, stops reading, checkpoints the committed prefix, releases every lease, then completes', () => {
    const fleet = new ConsumerFleet(4);
    fleet.put(texts('r', 80));
    const stop = new Subject<void>();
    const a = fleet.start('a', { autoCommit: false, options: { stop$: stop } });
    fleet.run(2000);
    const lastCommitted = new Map<string, CompoundSequenceNumber>();
    for (const shardId of fleet.shardIds()) {
      const ofShard = a.deliveries.filter((d) => d.shardId === shardId);
      for (const d of ofShard.slice(0, 3)) d.event.commit();
      lastCommitted.set(shardId, ofShard[2]!.event.sequenceNumber);
    }
    fleet.put(texts('late', 40));
    const delivered = a.deliveries.length;
    const stoppedAt = fleet.now;
    stop.next();
    fleet.run(10_000);

    expect(a.completed).to.equal(true);
    expect(a.completedAt! - stoppedAt, 'well within the shutdown timeout').to.be.lessThan(1000);
    expect(a.deliveries, 'nothing read after the stop').to.have.length(delivered);
    for (const [shardId, position] of lastCommitted) {
      const lease = fleet.lease(shardId);
      expect(lease, shardId).to.include({ checkpoint: position.sequenceNumber, checkpointSubSequenceNumber: 0 });
      expect(lease.leaseOwner, shardId).to.equal(undefined);
    }
    const calls = { ...fleet.kinesis.calls };
    const writes = fleet.store.calls.updateLease;
    fleet.run(30_000);
    expect(fleet.kinesis.calls).to.deep.equal(calls);
    expect(fleet.store.calls.updateLease, 'no renewals after the stop').to.equal(writes);
  });

  it('resolves lastValueFrom after the final checkpoints when stop$ emits before anything was read', async () => {
    const fleet = new ConsumerFleet(2);
    const stop = new Subject<void>();
    const done = lastValueFrom(fleet.consume('a', { options: { stop$: stop } }), { defaultValue: 'none' });
    fleet.run(1000);
    stop.next();
    fleet.run(1000);
    expect(await done).to.equal('none');
    expect(fleet.owners()).to.deep.equal({ '(none)': 2 });
  });

  it('ends only the shard whose reads keep failing, releases its lease, and reads it again later', () => {
    const fleet = new ConsumerFleet(4);
    const failing = 'shardId-000000000002';
    fleet.put(texts('r', 80));
    fleet.kinesis.faults.add({ operation: 'getRecords', fault: 'transient', when: (call) => call.shardId === failing });
    const a = fleet.start('a');
    fleet.run(60_000);

    const failed = a.diagnostics.filter((d) => d._tag === 'ShardFailed');
    expect(failed.map((d) => d.shardId)).to.deep.equal([failing]);
    expect(a.error).to.equal(undefined);
    expect(a.shardsRead()).to.deep.equal(fleet.shardIds().filter((id) => id !== failing));
    fleet.put(texts('s', 40));
    fleet.run(1000);
    for (const text of texts('s', 40)) {
      const inFailing = fleet.stored(failing).includes(text);
      expect(a.texts().includes(text), text).to.equal(!inFailing);
    }

    fleet.kinesis.faults.clear();
    fleet.run(10_000);
    expect(a.textsOf(failing)).to.deep.equal(fleet.stored(failing));
    expect(fleet.owners()).to.deep.equal({ a: 4 });
    a.unsubscribe();
  });

  it('finishes the lease of a shard that no longer exists, as at a shard’s end', () => {
    const fleet = new ConsumerFleet(1);
    fleet.store.ensureTable(TABLE).subscribe();
    fleet.run(1);
    const gone = 'shardId-000000000099';
    fleet.store.putLease(TABLE, { leaseKey: gone, leaseCounter: 0, checkpoint: 'TRIM_HORIZON', checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0, parentShardIds: [] });
    fleet.put(texts('r', 5));
    const a = fleet.start('a');
    fleet.run(2000);
    expect(fleet.lease(gone)).to.include({ checkpoint: 'SHARD_END' });
    expect(fleet.lease(gone).leaseOwner).to.equal(undefined);
    expect(a.diagnostics.filter((d) => d._tag === 'ShardFailed')).to.deep.equal([]);
    expect(a.texts()).to.deep.equal(texts('r', 5));
    a.unsubscribe();
  });

  it('on unsubscription, checkpoints the committed prefix and releases the leases on its own', () => {
    const fleet = new ConsumerFleet(2);
    fleet.put(texts('r', 20));
    const a = fleet.start('a', { autoCommit: false });
    fleet.run(1000);
    const committed = new Map<string, string>();
    for (const shardId of fleet.shardIds()) {
      const first = a.deliveries.find((d) => d.shardId === shardId)!;
      committed.set(shardId, first.event.commit().sequenceNumber.sequenceNumber);
    }
    a.unsubscribe();
    fleet.run(100);
    for (const [shardId, sequenceNumber] of committed) {
      expect(fleet.lease(shardId)).to.include({ checkpoint: sequenceNumber });
      expect(fleet.lease(shardId).leaseOwner).to.equal(undefined);
    }
  });

  describe('aggregates holding user records of other shards (as aws-kinesis-agg makes them)', () => {
    /** Six aggregates of eight user records across a 4-shard stream, and a plain record. */
    const stream = () => {
      const fleet = new ConsumerFleet(4);
      const aggregates = crossShardAggregates('agg', 6, 8);
      const results = fleet.kinesis.appendRecords(STREAM, aggregates.map((a) => a.entry));
      fleet.put(['plain']);
      const reports = (outcome: 'delivered' | 'dropped') => expectedReports(aggregates, results, fleet.kinesis.shards(STREAM), outcome);
      expect(reports('delivered'), 'every aggregate strays').to.have.length(aggregates.length);
      return { fleet, userRecords: aggregates.flatMap((a) => a.texts), reports };
    };

    it('delivers every user record once by default, and reports each aggregate', () => {
      const { fleet, userRecords, reports } = stream();
      const a = fleet.start('a');
      fleet.run(2000);
      expect(a.texts().sort()).to.deep.equal([...userRecords, 'plain'].sort());
      expect(outOfRangeReports(a.diagnostics)).to.deep.equal(reports('delivered'));
      a.unsubscribe();
    });

    it("drops each whole aggregate with outOfRangeRecords: 'drop', as the KCL does, and reports it", () => {
      const { fleet, reports } = stream();
      const a = fleet.start('a', { options: { outOfRangeRecords: 'drop' } });
      fleet.run(2000);
      expect(a.texts()).to.deep.equal(['plain']);
      expect(outOfRangeReports(a.diagnostics)).to.deep.equal(reports('dropped'));
      a.unsubscribe();
    });
  });
});
