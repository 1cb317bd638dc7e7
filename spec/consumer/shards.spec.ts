/**
 * shards$ must:
 * - emit one { shardId, events$ } per shard whose lease this worker acquires;
 * - complete a shard's events$ when its lease is lost, leaving the other shards running;
 * - complete a shard's events$ at the shard's end, after SHARD_END is checkpointed;
 * - refuse a second subscription to one shard's events$, and give nothing for a lease lost before
 *   its events$ was subscribed;
 * - stop gracefully one shard whose events$ is unsubscribed, releasing its lease;
 * - on shard.stop(), complete that shard's events$ only after its committed prefix is checkpointed
 *   and its lease released, while the other shards go on; idempotently, and also when called
 *   before events$ is subscribed;
 * - keep each shard's millisBehindLatest from its last GetRecords answer.
 */
import { expect } from 'chai';
import { Subject, VirtualTimeScheduler, type Subscription } from 'rxjs';
import type { CommittableEvent } from '../../lib/consumer/committable-event';
import { shards$, type LeasedShard } from '../../lib/consumer/shards';
import type { ConsumerEvent } from '../../lib/model/consumer-event';
import type { Lease } from '../../lib/model/lease';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../lib/testing';
import { STREAM, TABLE, testConf, texts } from './support/consumer-fleet';
import { runFor } from '../support/virtual-time';

interface Inner {
  readonly shardId: string;
  readonly shard: LeasedShard;
  readonly texts: string[];
  /** Every event as delivered, committed or not. */
  readonly events: CommittableEvent<ConsumerEvent>[];
  completed: boolean;
  /** The shard's lease as stored at the moment its events$ completed. */
  leaseAtCompletion?: Lease | undefined;
  completedAt?: number;
  subscription?: Subscription;
}

class Harness {
  readonly scheduler = new VirtualTimeScheduler();
  readonly kinesis: InMemoryKinesis;
  readonly store: InMemoryLeaseStore;
  readonly inners: Inner[] = [];
  completed = false;
  error: unknown;
  outer?: Subscription;
  /** Whether an event is committed as it arrives. */
  commits: (event: CommittableEvent<ConsumerEvent>) => boolean = () => true;

  constructor(shards: number, storeLatencyMillis = 0) {
    this.kinesis = new InMemoryKinesis({ scheduler: this.scheduler, streams: { [STREAM]: shards } });
    this.store = new InMemoryLeaseStore({ scheduler: this.scheduler, latencyMillis: storeLatencyMillis });
  }

  /** Subscribes to shards$, and to each inner as it comes unless `subscribeInners` is false. */
  start(options: { readonly subscribeInners?: boolean; readonly stop$?: Subject<void> } = {}): this {
    this.outer = shards$(testConf('a'), { kinesis: this.kinesis, leases: this.store, scheduler: this.scheduler }, options.stop$ === undefined ? {} : { stop$: options.stop$ }).subscribe({
      next: (shard) => {
        const inner: Inner = { shardId: shard.shardId, shard, texts: [], events: [], completed: false };
        this.inners.push(inner);
        if (options.subscribeInners !== false) this.subscribeInner(inner);
      },
      error: (e: unknown) => (this.error = e),
      complete: () => (this.completed = true),
    });
    return this;
  }

  subscribeInner(inner: Inner): void {
    inner.subscription = inner.shard.events$.subscribe({
      next: (event: CommittableEvent<ConsumerEvent>) => {
        inner.events.push(event);
        inner.texts.push(event.payload.payloadAsString());
        if (this.commits(event)) event.commit();
      },
      complete: () => {
        inner.completed = true;
        inner.completedAt = this.scheduler.now();
        inner.leaseAtCompletion = this.store.lease(TABLE, inner.shardId);
      },
    });
  }

  inner(shardId: string): Inner {
    const inner = this.inners.filter((i) => i.shardId === shardId).at(-1);
    if (inner === undefined) throw new Error(`no inner for ${shardId}`);
    return inner;
  }

  put(list: readonly string[]): void {
    this.kinesis.appendRecords(STREAM, list.map((t) => ({ partitionKey: t, data: Buffer.from(t) })));
  }

  run(millis: number): this {
    runFor(this.scheduler, millis);
    return this;
  }
}

const SHARD_0 = 'shardId-000000000000';
const SHARD_1 = 'shardId-000000000001';

describe('shards$', () => {
  it('emits one inner Observable per acquired shard, each with that shard’s records in order', () => {
    const h = new Harness(2);
    h.put(texts('r', 30));
    h.start().run(2000);
    expect(h.inners.map((i) => i.shardId).sort()).to.deep.equal([SHARD_0, SHARD_1]);
    for (const inner of h.inners) {
      const stored = h.kinesis.records(STREAM, inner.shardId).map((r) => Buffer.from(r.data).toString());
      expect(inner.texts).to.deep.equal(stored);
    }
    h.outer?.unsubscribe();
  });

  it('keeps each shard’s millisBehindLatest from its last GetRecords answer: behind while the subscriber lags, 0 once caught up', () => {
    const h = new Harness(1);
    h.put(texts('r', 40)); // at time 0; GetRecords returns 10 at a time
    let commit = false;
    h.commits = () => commit;
    h.start().run(5000);
    const shard = h.inner(SHARD_0).shard;
    expect(h.inner(SHARD_0).events.length, 'held back by the uncommitted events').to.be.lessThan(40);
    const behind = shard.millisBehindLatest;
    expect(behind, 'records were left unread when the last page was read, after they arrived at 0').to.be.greaterThan(0);
    expect(behind).to.be.at.most(h.scheduler.now());

    commit = true;
    for (const event of h.inner(SHARD_0).events) event.commit();
    h.run(5000);
    expect(h.inner(SHARD_0).events).to.have.length(40);
    expect(shard.millisBehindLatest).to.equal(0);
    h.outer?.unsubscribe();
  });

  it('has no millisBehindLatest before its first GetRecords answer', () => {
    const h = new Harness(1);
    h.start({ subscribeInners: false }).run(2000);
    expect(h.inner(SHARD_0).shard.millisBehindLatest).to.equal(undefined);
    h.outer?.unsubscribe();
  });

  it('completes the inner of a shard whose lease is lost, and only that one', () => {
    const h = new Harness(2);
    h.start().run(1000);
    h.store.forceUpdate(TABLE, SHARD_0, { leaseOwner: 'thief' });
    h.run(1200); // the next renewal (every 3000 / 3 − 25 ms) fails its condition
    expect(h.inner(SHARD_0).completed).to.equal(true);
    expect(h.inner(SHARD_1).completed).to.equal(false);
    expect(h.store.lease(TABLE, SHARD_0)?.leaseOwner, 'a lost lease is not released').to.equal('thief');
    h.put(texts('r', 20));
    h.run(1000);
    expect(h.inner(SHARD_0).texts).to.deep.equal([]);
    expect(h.inner(SHARD_1).texts.length).to.be.greaterThan(0);
    expect(h.completed).to.equal(false);
    h.outer?.unsubscribe();
  });

  it('completes a shard’s inner at its end, after SHARD_END, and emits the children as new inners', () => {
    const h = new Harness(1);
    h.put(texts('p', 5));
    h.start().run(500);
    h.kinesis.splitShard(STREAM, SHARD_0, 2n ** 127n).subscribe();
    h.run(1);
    h.put(texts('c', 20));
    h.run(5000);
    expect(h.inner(SHARD_0).completed).to.equal(true);
    expect(h.inner(SHARD_0).texts).to.deep.equal(texts('p', 5));
    expect(h.store.lease(TABLE, SHARD_0)).to.include({ checkpoint: 'SHARD_END' });
    expect(h.inners.map((i) => i.shardId).sort()).to.deep.equal([SHARD_0, 'shardId-000000000001', 'shardId-000000000002']);
    expect(h.inners.flatMap((i) => i.texts).sort()).to.deep.equal([...texts('p', 5), ...texts('c', 20)].sort());
    h.outer?.unsubscribe();
  });

  it('refuses a second subscription to an inner', () => {
    const h = new Harness(1);
    h.start().run(500);
    let error: unknown;
    h.inner(SHARD_0).shard.events$.subscribe({ error: (e: unknown) => (error = e) });
    expect(error).to.be.instanceOf(Error).with.property('message').that.matches(/subscribed twice/);
    h.outer?.unsubscribe();
  });

  it('gives an empty inner for a lease lost before the inner was subscribed', () => {
    const h = new Harness(1);
    h.put(texts('r', 5));
    h.start({ subscribeInners: false }).run(500);
    h.store.forceUpdate(TABLE, SHARD_0, { leaseOwner: 'thief' });
    h.run(1200);
    const inner = h.inner(SHARD_0);
    h.subscribeInner(inner);
    expect(inner.completed).to.equal(true);
    expect(inner.texts).to.deep.equal([]);
    expect(h.kinesis.calls.getRecords).to.equal(0);
    h.outer?.unsubscribe();
  });

  it('stops one shard gracefully when its inner is unsubscribed: its lease is released, the others go on', () => {
    const h = new Harness(2);
    h.start().run(1000);
    h.inner(SHARD_0).subscription?.unsubscribe();
    h.run(10);
    expect(h.store.lease(TABLE, SHARD_0)?.leaseOwner).to.equal(undefined);
    expect(h.store.lease(TABLE, SHARD_1)?.leaseOwner).to.equal('a');
    h.put(texts('r', 20));
    h.run(1000);
    expect(h.inner(SHARD_1).texts.length).to.be.greaterThan(0);
    h.outer?.unsubscribe();
  });

  it('on stop() of one shard, completes its inner only after checkpointing the committed prefix and releasing the lease; the others go on', () => {
    const LATENCY = 40;
    const h = new Harness(2, LATENCY);
    // Shard 0's events are left uncommitted until the test commits a prefix of them.
    h.commits = (event) => event.shardId !== SHARD_0;
    h.put(texts('r', 40));
    h.start().run(2000);
    const stopped = h.inner(SHARD_0);
    expect(stopped.events.length, 'shard 0 has events').to.be.greaterThan(3);
    expect(h.store.lease(TABLE, SHARD_0)?.checkpoint, 'nothing committed yet').to.equal('TRIM_HORIZON');
    for (const event of stopped.events.slice(0, 3)) event.commit();
    const delivered = stopped.events.length;
    const at = h.scheduler.now();

    stopped.shard.stop();
    stopped.shard.stop();
    expect(stopped.completed, 'not before the writes land').to.equal(false);
    h.run(5000);

    const prefixEnd = h.kinesis.records(STREAM, SHARD_0)[2]!.sequenceNumber;
    expect(stopped.completed).to.equal(true);
    expect(stopped.completedAt, 'after a checkpoint write and a release, one after the other').to.be.at.least(at + 2 * LATENCY);
    expect(stopped.leaseAtCompletion, 'as stored when the inner completed').to.include({ checkpoint: prefixEnd });
    expect(stopped.leaseAtCompletion?.leaseOwner).to.equal(undefined);
    expect(stopped.events, 'nothing delivered after the stop').to.have.length(delivered);

    const other = h.inner(SHARD_1);
    const before = other.texts.length;
    h.put(texts('s', 40));
    h.run(1000);
    expect(other.completed).to.equal(false);
    expect(other.texts.length, 'the other shard goes on reading').to.be.greaterThan(before);
    expect(h.store.lease(TABLE, SHARD_1)?.leaseOwner).to.equal('a');
    expect(h.completed, 'the worker goes on').to.equal(false);
    h.outer?.unsubscribe();
  });

  it('on stop() before the inner is subscribed, reads nothing, releases the lease, and completes the inner', () => {
    const h = new Harness(1);
    h.put(texts('r', 5));
    h.start({ subscribeInners: false }).run(500);
    const inner = h.inner(SHARD_0);
    inner.shard.stop();
    h.run(100);
    expect(h.store.lease(TABLE, SHARD_0)?.leaseOwner, 'held until the inner is subscribed').to.equal('a');
    h.subscribeInner(inner);
    h.run(100);
    expect(inner.completed).to.equal(true);
    expect(inner.texts).to.deep.equal([]);
    expect(h.kinesis.calls.getRecords).to.equal(0);
    expect(h.store.lease(TABLE, SHARD_0)?.leaseOwner).to.equal(undefined);
    h.outer?.unsubscribe();
  });

  it('on stop$, completes the outer at once and each inner after its release', () => {
    const h = new Harness(2);
    const stop = new Subject<void>();
    h.start({ stop$: stop }).run(1000);
    stop.next();
    expect(h.completed, 'no lease is taken after the stop').to.equal(true);
    h.run(100);
    for (const inner of h.inners) expect(inner.completed, inner.shardId).to.equal(true);
    for (const lease of h.store.leases(TABLE)) expect(lease.leaseOwner, lease.leaseKey).to.equal(undefined);
  });
});
