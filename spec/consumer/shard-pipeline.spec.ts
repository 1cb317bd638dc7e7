/**
 * shardPipeline must:
 * - deliver a shard's user records in order, deaggregated, from the checkpoint on;
 * - resume inside an aggregate at the sub-record after the checkpoint;
 * - deliver aggregates that stray outside the shard's hash range, or drop them when told to;
 * - ride out throttling, expired iterators and transient faults without loss or duplicates;
 * - stop fetching while too many events are uncommitted, and resume when they are committed;
 * - emit a page of big aggregates in chunks, at most maxUncommitted + one chunk outstanding, stopping mid-page on a stop or a lost lease;
 * - checkpoint the committed prefix on its interval, and finally on stop, failure and unsubscription;
 * - at shard end, wait for every commit, checkpoint the last position, then record SHARD_END;
 * - end at once, writing nothing, when the lease is lost.
 */
import { expect } from 'chai';
import { NEVER, Subject, VirtualTimeScheduler, concatMap, map, of, tap, timer, type Observable, type Subscription } from 'rxjs';
import type { CheckpointWriteResult, CheckpointWriter } from '../../lib/consumer/checkpoint/checkpoint-write';
import type { CheckpointerEvent } from '../../lib/consumer/checkpoint/checkpointer';
import type { CommittableEvent } from '../../lib/consumer/committable-event';
import { shardPipeline, type ShardDiagnostic, type ShardPipelineIo, type ShardPipelineSettings, type ShardToRead } from '../../lib/consumer/shard-pipeline';
import { encodeAggregatedRecord } from '../../lib/kpl/aggregated-record';
import { MAX_HASH_KEY, hashKeyOf } from '../../lib/kpl/hash-key';
import type { ConsumerEvent } from '../../lib/model/consumer-event';
import { KinesisCallError } from '../../lib/model/errors';
import { CompoundSequenceNumber as Csn } from '../../lib/model/sequence-number';
import type { ChildShard } from '../../lib/ports/kinesis-port';
import { InMemoryKinesis } from '../../lib/testing/in-memory-kinesis';
import { WITH_EHKS } from '../kpl/kpl-vectors';

const STREAM = 's';
const SHARD = 'shardId-000000000000';
const HALF = (MAX_HASH_KEY + 1n) / 2n;

const SETTINGS: ShardPipelineSettings = {
  initialPosition: { type: 'TRIM_HORIZON' },
  maxRecords: 10,
  idleTimeBetweenReadsMillis: 100,
  backoff: { initialMillis: 50, maxMillis: 400, maxRetries: 2 },
  checkpoint: { intervalMillis: 1000, backoffMillis: 500 },
  shutdownTimeoutMillis: 5000,
};

/** One pipeline on an in-memory stream, driven step by step on virtual time. */
class Harness {
  readonly scheduler = new VirtualTimeScheduler();
  readonly kinesis: InMemoryKinesis;
  /** What reached the lease, with virtual times: `t=<time> checkpoint <position>` / `t=<time> shardEnded <children>`. */
  readonly log: string[] = [];
  readonly diagnostics: ShardDiagnostic[] = [];
  readonly events: CommittableEvent<ConsumerEvent>[] = [];
  readonly lost = new Subject<void>();
  readonly stop = new Subject<void>();
  writeResult: (position: Csn) => Observable<CheckpointWriteResult> = (position) => of({ _tag: 'Checkpointed', position });
  completed = false;
  error: unknown;
  /** Called with each event as it is delivered, inside the emission. */
  onEvent: (event: CommittableEvent<ConsumerEvent>) => void = () => undefined;
  private subscription?: Subscription;

  constructor(shards = 1) {
    this.kinesis = new InMemoryKinesis({ scheduler: this.scheduler, streams: { [STREAM]: shards } });
  }

  /** Writes each text as one plain record; returns the sequence numbers. */
  put(...texts: string[]): string[] {
    return this.kinesis.appendRecords(STREAM, texts.map((t) => ({ partitionKey: t, data: Buffer.from(t) }))).map((r) => (r._tag === 'Put' ? r.sequenceNumber : ''));
  }

  readonly writeCheckpoint: CheckpointWriter = (position) =>
    timer(1, this.scheduler).pipe(
      concatMap(() => this.writeResult(position)),
      tap((result) => {
        if (result._tag === 'Checkpointed') this.log.push(`t=${this.scheduler.now()} checkpoint ${position.toString()}`);
      }),
    );

  readonly shardEnded = (children: readonly ChildShard[]): Observable<CheckpointWriteResult> =>
    timer(1, this.scheduler).pipe(
      map(() => {
        this.log.push(`t=${this.scheduler.now()} shardEnded ${children.map((c) => c.shardId).join(',')}`);
        return { _tag: 'Checkpointed', position: Csn.SHARD_END } as const;
      }),
    );

  start(shard: Partial<ShardToRead> = {}, settings: Partial<ShardPipelineSettings> = {}, io: Partial<ShardPipelineIo> = {}): this {
    const pipeline$ = shardPipeline(
      { kinesis: this.kinesis, scheduler: this.scheduler, onDiagnostic: (d) => this.diagnostics.push(d) },
      { streamName: STREAM, shardId: SHARD, checkpoint: undefined, ...shard },
      { ...SETTINGS, ...settings },
      { writeCheckpoint: this.writeCheckpoint, shardEnded: this.shardEnded, lost$: this.lost, stop$: this.stop, ...io },
    );
    this.subscription = pipeline$.subscribe({
      next: (e) => {
        this.events.push(e);
        this.onEvent(e);
      },
      error: (e: unknown) => (this.error = e),
      complete: () => (this.completed = true),
    });
    return this;
  }

  unsubscribe(): void {
    this.subscription?.unsubscribe();
  }

  /** Runs virtual time up to `millis` (absolute). */
  runUntil(millis: number): this {
    // A no-op at `millis` so the clock ends there even when nothing else is due.
    this.scheduler.schedule(() => undefined, millis - this.scheduler.now());
    this.scheduler.maxFrames = millis;
    this.scheduler.flush();
    return this;
  }

  /** Commits the events delivered so far (a commit may deliver more at once: those are not committed). */
  commitAll(): void {
    for (const e of [...this.events]) e.commit();
  }

  texts(): string[] {
    return this.events.map((e) => e.payload.payloadAsString());
  }
}

describe('shardPipeline', () => {
  it('delivers the records in order and checkpoints the committed prefix once per interval', () => {
    const h = new Harness();
    const seqs = h.put('a', 'b', 'c');
    h.start().runUntil(50);
    expect(h.texts()).to.deep.equal(['a', 'b', 'c']);
    h.events[0]!.commit();
    h.events[1]!.commit();
    h.runUntil(3000);
    expect(h.log).to.deep.equal([`t=1051 checkpoint ${seqs[1]}/0`]);
    h.events[2]!.commit();
    h.runUntil(6000);
    expect(h.log.at(-1)).to.equal(`t=4001 checkpoint ${seqs[2]}/0`);
    expect(h.completed).to.equal(false);
  });

  it('keeps reading new records as they arrive, pausing idleTimeBetweenReads between calls', () => {
    const h = new Harness().start().runUntil(1000);
    const calls = h.kinesis.calls.getRecords;
    expect(calls, 'one call per idle period').to.be.within(10, 11);
    h.put('late');
    h.runUntil(1200);
    expect(h.texts()).to.deep.equal(['late']);
  });

  it('resumes inside an aggregate at the sub-record after the checkpoint, across a restart', () => {
    const first = new Harness();
    const aggregate = encodeAggregatedRecord(['u0', 'u1', 'u2', 'u3', 'u4'].map((t) => ({ partitionKey: t, data: Buffer.from(t) })));
    first.kinesis.appendRecords(STREAM, [{ partitionKey: 'agg', data: aggregate }]);
    first.put('plain');
    first.start().runUntil(50);
    expect(first.texts()).to.deep.equal(['u0', 'u1', 'u2', 'u3', 'u4', 'plain']);
    for (const e of first.events.slice(0, 3)) e.commit();
    first.stop.next();
    first.runUntil(100);
    expect(first.completed).to.equal(true);
    const aggregateSeq = first.events[0]!.sequenceNumber.sequenceNumber;
    expect(first.log).to.deep.equal([`t=51 checkpoint ${aggregateSeq}/2`]);

    // A second worker takes the lease over with that checkpoint, on the same stream.
    const second = new Harness();
    second.kinesis.appendRecords(STREAM, [{ partitionKey: 'agg', data: aggregate }]);
    second.put('plain');
    second.start({ checkpoint: new Csn(aggregateSeq, 2) }).runUntil(50);
    expect(second.texts()).to.deep.equal(['u3', 'u4', 'plain']);
    expect(second.events.map((e) => e.sequenceNumber.toString())).to.deep.equal([`${aggregateSeq}/3`, `${aggregateSeq}/4`, second.events[2]!.sequenceNumber.toString()]);
  });

  it("delivers an aggregate that strays outside the shard range, or drops it with outOfRangeRecords: 'drop'", () => {
    const inside = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'].filter((k) => hashKeyOf(k) < HALF).slice(0, 2);
    const stray = WITH_EHKS.userRecords.map((u) => Buffer.from(u.data).toString());
    const read = (settings: Partial<ShardPipelineSettings>): Harness => {
      const h = new Harness(2);
      const lower = h.kinesis.shards(STREAM)[0]!;
      h.kinesis.appendRecords(STREAM, [
        // Both routed to the lower shard by their Kinesis-level explicit hash key.
        { partitionKey: 'agg', explicitHashKey: '0', data: WITH_EHKS.aggregate },
        { partitionKey: 'agg', explicitHashKey: '1', data: encodeAggregatedRecord(inside.map((k) => ({ partitionKey: k, data: Buffer.from(k) }))) },
      ]);
      return h.start({ hashKeyRange: lower.hashKeyRange }, settings).runUntil(50);
    };
    const outcomes = (h: Harness) => h.diagnostics.flatMap((d) => (d._tag === 'AggregateOutOfRange' ? [d.outcome] : []));

    const byDefault = read({});
    expect(byDefault.texts()).to.deep.equal([...stray, ...inside]);
    expect(outcomes(byDefault)).to.deep.equal(['delivered']);

    const dropping = read({ outOfRangeRecords: 'drop' });
    expect(dropping.texts()).to.deep.equal(inside);
    expect(outcomes(dropping)).to.deep.equal(['dropped']);
  });

  it('rides out throttling with backoff and loses nothing', () => {
    const h = new Harness();
    h.put('a', 'b');
    h.kinesis.faults.add({ operation: 'getRecords', fault: 'throttle', times: 3 });
    // Retries after 50, 100 and 200 ms: the page arrives at 350.
    h.start().runUntil(349);
    expect(h.texts(), 'still throttled').to.deep.equal([]);
    expect(h.kinesis.calls.getRecords).to.equal(3);
    h.runUntil(350);
    expect(h.texts()).to.deep.equal(['a', 'b']);
    expect(h.kinesis.calls.getShardIterator).to.equal(1);
  });

  it('rides out transient faults, and ends with a final checkpoint and the error when they persist', () => {
    const h = new Harness();
    h.put('a', 'b');
    h.kinesis.faults.add({ operation: 'getRecords', fault: 'transient', times: 2 });
    h.start().runUntil(200);
    expect(h.texts()).to.deep.equal(['a', 'b']);
    h.events[0]!.commit();
    h.kinesis.faults.add({ operation: 'getRecords', fault: 'transient' });
    h.runUntil(2000);
    expect(h.error).to.be.instanceOf(KinesisCallError).with.property('code', 'InternalFailure');
    expect(h.log).to.have.length(1);
    expect(h.log[0]).to.match(new RegExp(`checkpoint ${h.events[0]!.sequenceNumber.sequenceNumber}/0$`));
  });

  it('retries a GetRecords call that never answers after callTimeoutMillis', () => {
    const h = new Harness();
    h.put('a');
    h.kinesis.faults.add({ operation: 'getRecords', fault: 'hang', times: 1 });
    h.start({}, { callTimeoutMillis: 1000 }).runUntil(1049);
    expect(h.texts()).to.deep.equal([]);
    h.runUntil(1050);
    expect(h.texts()).to.deep.equal(['a']);
  });

  it('takes a new iterator after the last delivered record when the old one expired during a long pause', () => {
    const h = new Harness();
    const texts = Array.from({ length: 20 }, (_, i) => `r${i}`);
    h.put(...texts);
    // maxUncommitted 0: read the next page only once this one is fully committed (the seed's gating).
    h.start({}, { maxUncommitted: 0 }).runUntil(1000);
    expect(h.texts()).to.deep.equal(texts.slice(0, 10));
    h.runUntil(6 * 60 * 1000);
    expect(h.kinesis.calls.getRecords, 'nothing fetched while uncommitted').to.equal(1);
    h.commitAll();
    h.runUntil(6 * 60 * 1000 + 1000);
    expect(h.texts()).to.deep.equal(texts);
    expect(h.kinesis.calls.getShardIterator).to.equal(2);
  });

  it('recovers from an injected expired iterator before anything was delivered', () => {
    const h = new Harness();
    h.put('a');
    h.kinesis.faults.add({ operation: 'getRecords', fault: 'expiredIterator', times: 1 });
    h.start().runUntil(100);
    expect(h.texts()).to.deep.equal(['a']);
    expect(h.kinesis.calls.getShardIterator).to.equal(2);
  });

  it('stops fetching while more than maxUncommitted events are uncommitted, and resumes as they are committed', () => {
    const h = new Harness();
    h.put(...Array.from({ length: 100 }, (_, i) => `r${i}`));
    h.start({}, { maxUncommitted: 15 }).runUntil(10_000);
    expect(h.events).to.have.length(20);
    expect(h.kinesis.calls.getRecords, 'a page of 10, another (10 ≤ 15), then 20 > 15').to.equal(2);
    for (const e of h.events.slice(1, 10)) e.commit();
    h.runUntil(20_000);
    expect(h.kinesis.calls.getRecords, 'out-of-order commits do not free the window').to.equal(2);
    h.events[0]!.commit();
    h.runUntil(30_000);
    expect(h.kinesis.calls.getRecords).to.equal(3);
    expect(h.events).to.have.length(30);
  });

  describe('with a page of big aggregates', () => {
    // 3 aggregates of 500 user records, all in one page: 1500 events from 3 Kinesis records.
    const bigPage = (h: Harness): string[] => {
      const texts = Array.from({ length: 1500 }, (_, i) => `u${i}`);
      h.kinesis.appendRecords(
        STREAM,
        [0, 1, 2].map((a) => ({ partitionKey: `agg${a}`, data: encodeAggregatedRecord(texts.slice(a * 500, (a + 1) * 500).map((t) => ({ partitionKey: t, data: Buffer.from(t) }))) })),
      );
      return texts;
    };

    it('emits at most maxUncommitted + one chunk of maxRecords events, and the next chunks as they are committed', () => {
      const h = new Harness();
      const texts = bigPage(h);
      h.start({}, { maxUncommitted: 100 }).runUntil(10_000);
      expect(h.texts(), '100 outstanding, then one more chunk of 10').to.deep.equal(texts.slice(0, 110));
      expect(h.kinesis.calls.getRecords, 'no call while the page is being emitted').to.equal(1);
      h.commitAll();
      h.runUntil(10_001);
      expect(h.texts()).to.deep.equal(texts.slice(0, 220));
      for (const e of h.events.slice(111, 220)) e.commit();
      h.runUntil(20_000);
      expect(h.events, 'the oldest still uncommitted holds the window').to.have.length(220);
      h.events[110]!.commit();
      h.runUntil(20_001);
      expect(h.events).to.have.length(330);
      // A subscriber that keeps up gets the rest of the page, then the next pages.
      while (h.events.length < 1500) {
        expect(h.kinesis.calls.getRecords, 'no call while the page is being emitted').to.equal(1);
        h.commitAll();
        h.runUntil(h.scheduler.now() + 1);
      }
      expect(h.texts()).to.deep.equal(texts);
      h.commitAll();
      h.runUntil(h.scheduler.now() + 1000);
      expect(h.kinesis.calls.getRecords, 'polling goes on once the page is all emitted').to.be.greaterThan(1);
      expect(h.events).to.have.length(1500);
    });

    it('on stop$ mid-page, emits none of the rest and checkpoints the committed prefix', () => {
      const h = new Harness();
      const texts = bigPage(h);
      h.start({}, { maxUncommitted: 100 }).runUntil(50);
      for (const e of h.events.slice(0, 42)) e.commit();
      expect(h.texts(), '68 outstanding: four more chunks').to.deep.equal(texts.slice(0, 150));
      h.stop.next();
      // Before the final checkpoint is written, these commits would open the window if the page were
      // still being emitted; the final checkpoint is of the prefix committed when the stop came.
      h.commitAll();
      h.runUntil(10_000);
      expect(h.completed).to.equal(true);
      expect(h.texts()).to.deep.equal(texts.slice(0, 150));
      expect(h.log).to.deep.equal([`t=51 checkpoint ${h.events[41]!.sequenceNumber.toString()}`]);
    });

    it('on stop$ from a subscriber that commits as it receives, checkpoints every event committed up to the stop', () => {
      const h = new Harness();
      bigPage(h);
      h.onEvent = (e) => {
        e.commit();
        if (h.events.length === 25) h.stop.next();
      };
      h.start({}, { maxUncommitted: 100 }).runUntil(10_000);
      expect(h.completed).to.equal(true);
      expect(h.events, 'the stop comes in the middle of a chunk').to.have.length(25);
      expect(h.log).to.deep.equal([`t=1 checkpoint ${h.events[24]!.sequenceNumber.toString()}`]);
    });

    it('with a subscriber that commits as it receives, writes the checkpoints of the interval, each of the newest prefix', () => {
      const h = new Harness();
      bigPage(h);
      h.onEvent = (e) => e.commit();
      h.start({}, { maxUncommitted: 100 }).runUntil(10_000);
      expect(h.events).to.have.length(1500);
      expect(h.log).to.deep.equal([`t=1001 checkpoint ${h.events[1499]!.sequenceNumber.toString()}`]);
    });

    it('when the lease is lost mid-page, emits none of the rest and writes nothing', () => {
      const h = new Harness();
      bigPage(h);
      h.start({}, { maxUncommitted: 100 }).runUntil(50);
      h.lost.next();
      h.commitAll();
      h.runUntil(10_000);
      expect(h.completed).to.equal(true);
      expect(h.events).to.have.length(110);
      expect(h.log).to.deep.equal([]);
    });

    it('at shard end, waits until the whole page is emitted and committed', () => {
      const h = new Harness();
      const texts = bigPage(h);
      h.kinesis.splitShard(STREAM, SHARD, HALF).subscribe();
      const children = h.kinesis.shards(STREAM).slice(1).map((s) => s.shardId);
      h.start({}, { maxUncommitted: 100 }).runUntil(10_000);
      expect(h.events).to.have.length(110);
      while (h.events.length < 1500) {
        expect(h.log.some((l) => l.includes('shardEnded')), 'the page is not all emitted yet').to.equal(false);
        h.commitAll();
        h.runUntil(h.scheduler.now() + 1);
      }
      expect(h.texts()).to.deep.equal(texts);
      h.runUntil(h.scheduler.now() + 10_000);
      expect(h.completed).to.equal(false);
      expect(h.log.some((l) => l.includes('shardEnded')), 'the last chunk is not committed yet').to.equal(false);
      const endedAt = h.scheduler.now();
      h.commitAll();
      h.runUntil(endedAt + 100);
      expect(h.log.slice(-2)).to.deep.equal([`t=${endedAt + 1} checkpoint ${h.events[1499]!.sequenceNumber.toString()}`, `t=${endedAt + 2} shardEnded ${children.join(',')}`]);
      expect(h.completed).to.equal(true);
    });
  });

  it('defaults maxUncommitted to maxRecords', () => {
    const h = new Harness();
    h.put(...Array.from({ length: 100 }, (_, i) => `r${i}`));
    h.start().runUntil(10_000);
    expect(h.events).to.have.length(20);
  });

  it('at shard end, waits for every commit, checkpoints the last position, then records SHARD_END and completes', () => {
    const h = new Harness();
    const seqs = h.put('a', 'b', 'c');
    h.kinesis.splitShard(STREAM, SHARD, HALF).subscribe();
    h.runUntil(0);
    const children = h.kinesis.shards(STREAM).filter((s) => s.parentShardId === SHARD).map((s) => s.shardId);
    expect(children).to.have.length(2);
    h.start().runUntil(3000);
    expect(h.texts()).to.deep.equal(['a', 'b', 'c']);
    h.events[0]!.commit();
    h.events[2]!.commit();
    h.runUntil(6000);
    expect(h.log.some((l) => l.includes('shardEnded')), 'b is not committed yet').to.equal(false);
    expect(h.completed).to.equal(false);
    h.events[1]!.commit();
    h.runUntil(12_000);
    expect(h.log.slice(-2)).to.deep.equal([`t=6001 checkpoint ${seqs[2]}/0`, `t=6002 shardEnded ${children.join(',')}`]);
    expect(h.completed).to.equal(true);
  });

  it('never writes a position below SHARD_END once the shard end is being recorded, even on unsubscription', () => {
    const h = new Harness();
    h.put('a');
    h.kinesis.splitShard(STREAM, SHARD, HALF).subscribe();
    h.runUntil(0);
    // Every checkpoint write hangs, so the final checkpoint of "a" times out and is never settled.
    h.writeResult = () => NEVER;
    const handed: Observable<CheckpointerEvent>[] = [];
    let endedAt = -1;
    h.start({}, { shutdownTimeoutMillis: 300 }, { onUnsubscribe: (final$) => handed.push(final$), shardEnded: () => ((endedAt = h.scheduler.now()), NEVER) });
    h.runUntil(50);
    h.commitAll();
    h.runUntil(1000);
    expect(endedAt, 'SHARD_END requested after the final checkpoint timed out').to.equal(350);
    h.unsubscribe();
    let written = 0;
    h.writeResult = (position) => ((written += 1), of({ _tag: 'Checkpointed', position }));
    handed[0]!.subscribe();
    h.runUntil(2000);
    expect(written).to.equal(0);
  });

  it('ends at once when the lease is lost, writing nothing more', () => {
    const h = new Harness();
    h.put('a', 'b');
    h.start().runUntil(50);
    h.commitAll();
    h.lost.next();
    const calls = h.kinesis.calls.getRecords;
    h.runUntil(10_000);
    expect(h.completed).to.equal(true);
    expect(h.log).to.deep.equal([]);
    expect(h.kinesis.calls.getRecords).to.equal(calls);
  });

  it('ends when a checkpoint write finds the lease lost', () => {
    const h = new Harness();
    h.writeResult = () => of({ _tag: 'LeaseLost', shardId: SHARD });
    h.put('a');
    h.start().runUntil(50);
    h.commitAll();
    h.runUntil(2000);
    expect(h.completed).to.equal(true);
    const calls = h.kinesis.calls.getRecords;
    h.runUntil(10_000);
    expect(h.kinesis.calls.getRecords).to.equal(calls);
    expect(h.diagnostics.some((d) => d._tag === 'Checkpoint' && d.outcome._tag === 'LeaseLost')).to.equal(true);
  });

  it('on stop$, stops reading, checkpoints the committed prefix and completes', () => {
    const h = new Harness();
    const seqs = h.put('a', 'b', 'c');
    h.start().runUntil(50);
    h.events[0]!.commit();
    h.events[2]!.commit();
    h.stop.next();
    h.runUntil(60);
    expect(h.log).to.deep.equal([`t=51 checkpoint ${seqs[0]}/0`]);
    expect(h.completed).to.equal(true);
    h.put('d');
    h.runUntil(10_000);
    expect(h.texts()).to.deep.equal(['a', 'b', 'c']);
  });

  it('on unsubscription, checkpoints the committed prefix through a detached, bounded write', () => {
    const h = new Harness();
    const seqs = h.put('a', 'b');
    h.start().runUntil(50);
    h.events[0]!.commit();
    h.unsubscribe();
    h.runUntil(100);
    expect(h.log).to.deep.equal([`t=51 checkpoint ${seqs[0]}/0`]);
    expect(h.completed).to.equal(false);
  });

  it('hands the final checkpoint to onUnsubscribe when given, and writes nothing already written', () => {
    const h = new Harness();
    h.put('a', 'b');
    const handed: Observable<CheckpointerEvent>[] = [];
    h.start({}, {}, { onUnsubscribe: (final$) => handed.push(final$) }).runUntil(50);
    h.events[0]!.commit();
    h.runUntil(2000);
    expect(h.log).to.have.length(1);
    h.unsubscribe();
    expect(handed).to.have.length(1);
    const outcomes: CheckpointerEvent[] = [];
    handed[0]!.subscribe((o) => outcomes.push(o));
    h.runUntil(3000);
    expect(outcomes, 'the prefix was already checkpointed').to.deep.equal([]);
    expect(h.log).to.have.length(1);
  });

  it('bounds the final checkpoint after unsubscription by shutdownTimeoutMillis', () => {
    const h = new Harness();
    h.writeResult = () => NEVER;
    h.put('a');
    const handed: Observable<CheckpointerEvent>[] = [];
    h.start({}, { shutdownTimeoutMillis: 300 }, { onUnsubscribe: (final$) => handed.push(final$) }).runUntil(50);
    h.commitAll();
    h.unsubscribe();
    let done = -1;
    handed[0]!.subscribe({ complete: () => (done = h.scheduler.now()) });
    h.runUntil(10_000);
    expect(done).to.equal(350);
  });

  it('completes at once for a shard already checkpointed SHARD_END', () => {
    const h = new Harness();
    h.put('a');
    h.start({ checkpoint: Csn.SHARD_END }).runUntil(1000);
    expect(h.completed).to.equal(true);
    expect(h.kinesis.calls.getShardIterator).to.equal(0);
  });

  it('reports millisBehindLatest for each page', () => {
    const h = new Harness();
    h.put(...Array.from({ length: 15 }, (_, i) => `r${i}`));
    h.runUntil(0);
    h.scheduler.schedule(() => h.start(), 500);
    h.runUntil(1000);
    const polled = h.diagnostics.filter((d): d is Extract<ShardDiagnostic, { _tag: 'Polled' }> => d._tag === 'Polled');
    expect(polled[0]).to.deep.include({ records: 10, millisBehindLatest: 500 });
    expect(polled[1]).to.deep.include({ records: 5, millisBehindLatest: 0 });
  });

  it('refuses settings out of range when built, not when subscribed', () => {
    const h = new Harness();
    const build = (settings: Partial<ShardPipelineSettings>) => () =>
      shardPipeline({ kinesis: h.kinesis, scheduler: h.scheduler }, { streamName: STREAM, shardId: SHARD, checkpoint: undefined }, { ...SETTINGS, ...settings }, {
        writeCheckpoint: h.writeCheckpoint,
        shardEnded: h.shardEnded,
        lost$: h.lost,
      });
    expect(build({ maxRecords: 0 })).to.throw(TypeError, /maxRecords/);
    expect(build({ maxUncommitted: -1 })).to.throw(TypeError, /maxUncommitted/);
    expect(build({ checkpoint: { intervalMillis: -5, backoffMillis: 1 } })).to.throw(TypeError, /intervalMillis/);
  });
});
