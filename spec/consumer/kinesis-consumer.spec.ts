/**
 * KinesisConsumer must:
 * - do nothing until started; process every event of every leased shard, checkpointing as answers come;
 * - resolve start() once stopped, and reject it with the cause when the stream cannot be read;
 * - guard start() against a second call, and refuse to start again once stopped;
 * - stop gracefully and idempotently: one ConsumerShutdown per shard, final checkpoints, leases
 *   released, stop() resolving after that, and at most after worker.shutdownTimeoutSeconds;
 * - send ConsumerShutdown once per shard on a lost lease and at a shard's end, and call onShutdown;
 * - on a batch failing beyond the tolerance, emit ConsumerWorkerFailure and call onFailure, then
 *   stop that shard only (its lease released, its events read again later), or the whole
 *   consumer when configured so (as the seed); a shard stopped so gets its ConsumerShutdown only
 *   once its final checkpoint and release have landed, or after worker.shutdownTimeoutSeconds;
 * - with gracefulShutdownHook, listen to SIGTERM and SIGINT once, stop on either, then remove the
 *   listeners and raise the signal again; without it, never listen;
 * - accept Promise-returning processors and reject bad settings when created;
 * - pass outOfRangeRecords on: deliver stray aggregates' user records by default, drop them when told to.
 */
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { VirtualTimeScheduler, map, timer, type Observable } from 'rxjs';
import type { ConsumerConf } from '../../lib/config/consumer-config';
import type { ConsumerDiagnostic } from '../../lib/consumer/consumer-deps';
import {
  ConsumerStoppedError,
  KinesisConsumer,
  type KinesisConsumerOptions,
  type SignalSource,
} from '../../lib/consumer/kinesis-consumer';
import type { BatchDiagnostic } from '../../lib/consumer/process-batch/process-batch';
import type { EventProcessor, ProcessorResult } from '../../lib/consumer/process-batch/event-processor';
import type { ConsumerEvent } from '../../lib/model/consumer-event';
import { StreamNotFoundError } from '../../lib/model/errors';
import type { ConsumerNotification } from '../../lib/model/notifications';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../lib/testing';
import { crossShardAggregates } from '../support/cross-shard-aggregates';
import { STREAM, TABLE, testConf, texts } from './support/consumer-fleet';
import { runFor } from '../support/virtual-time';

const SHARD_0 = 'shardId-000000000000';
const SHARD_1 = 'shardId-000000000001';

/** Signals as `process` delivers them, recorded. */
class FakeSignals extends EventEmitter implements SignalSource {
  readonly pid = 4242;
  readonly kills: string[] = [];
  kill(pid: number, signal: NodeJS.Signals): boolean {
    this.kills.push(`${pid} ${signal}`);
    return true;
  }
}

class Harness {
  readonly scheduler = new VirtualTimeScheduler();
  readonly kinesis: InMemoryKinesis;
  readonly store: InMemoryLeaseStore;
  readonly signals = new FakeSignals();
  /** `<time> <tag> <shard>` of each notification, and `<time> onFailure|onShutdown <shard>` of each callback. */
  readonly log: string[] = [];
  readonly warnings: string[] = [];
  readonly diagnostics: (ConsumerDiagnostic | BatchDiagnostic)[] = [];
  /** `<shard> <text>` of each event handed to the processor. */
  readonly processed: string[] = [];

  constructor(shards: number, storeLatencyMillis = 0) {
    this.kinesis = new InMemoryKinesis({ scheduler: this.scheduler, streams: { [STREAM]: shards } });
    this.store = new InMemoryLeaseStore({ scheduler: this.scheduler, latencyMillis: storeLatencyMillis });
  }

  get now(): number {
    return this.scheduler.now();
  }

  conf(worker: object = {}, kcl: object = {}, checkpointer: object = {}): ConsumerConf {
    return testConf('a', { worker: { gracefulShutdownHook: false, batchTimeoutSeconds: 1, failedMessageRetries: 1, failureTolerancePercentage: 0, ...worker }, kcl, checkpointer });
  }

  /** A processor object that logs, answering with `answer` (by default at once). */
  processor(answer: (event: ConsumerEvent) => ProcessorResult = () => true): EventProcessor {
    return {
      processEvent: (event) => {
        this.processed.push(`${event.shardId} ${event.payloadAsString()}`);
        return answer(event);
      },
      onFailure: (failure) => this.log.push(`${this.now} onFailure ${failure.shardId}`),
      onShutdown: (shutdown) => this.log.push(`${this.now} onShutdown ${shutdown.shardId}`),
    };
  }

  create(processor: EventProcessor, conf: ConsumerConf = this.conf(), options: KinesisConsumerOptions = {}): KinesisConsumer {
    const consumer = KinesisConsumer.create(
      conf,
      processor,
      {
        kinesis: this.kinesis,
        leases: this.store,
        scheduler: this.scheduler,
        logger: { warn: (message) => this.warnings.push(message) },
        onDiagnostic: (d) => this.diagnostics.push(d),
      },
      { signals: this.signals, ...options },
    );
    consumer.notifications$.subscribe((n: ConsumerNotification) => this.log.push(`${this.now} ${n._tag} ${n.shardId}`));
    return consumer;
  }

  put(list: readonly string[]): void {
    this.kinesis.appendRecords(STREAM, list.map((t) => ({ partitionKey: t, data: Buffer.from(t) })));
  }

  run(millis: number): this {
    runFor(this.scheduler, millis);
    return this;
  }

  /** Runs virtual time in steps, letting Promise callbacks run between them. */
  async runWithPromises(millis: number, step = 10): Promise<void> {
    for (let t = 0; t < millis; t += step) {
      this.run(step);
      for (let i = 0; i < 5; i += 1) await Promise.resolve();
    }
  }

  storedTexts(shardId: string): string[] {
    return this.kinesis.records(STREAM, shardId).map((r) => Buffer.from(r.data).toString());
  }

  lastSequenceNumber(shardId: string): string {
    const records = this.kinesis.records(STREAM, shardId);
    return records[records.length - 1]!.sequenceNumber;
  }

  lease(shardId: string) {
    const lease = this.store.lease(TABLE, shardId);
    if (lease === undefined) throw new Error(`no lease ${shardId}`);
    return lease;
  }

  /** Notifications and callbacks of one kind, by shard. */
  entries(tag: string): string[] {
    return this.log.filter((line) => line.split(' ')[1] === tag).map((line) => line.split(' ')[2]!).sort();
  }
}

/** Settles a Promise that must already have settled. */
async function outcome(promise: Promise<unknown>): Promise<{ readonly settled: boolean; readonly error?: unknown }> {
  let result: { settled: boolean; error?: unknown } = { settled: false };
  promise.then(
    () => (result = { settled: true }),
    (error: unknown) => (result = { settled: true, error }),
  );
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
  return result;
}

describe('KinesisConsumer', () => {
  it('does nothing until started', () => {
    const h = new Harness(1);
    h.create(h.processor());
    h.run(5000);
    expect(h.store.tableNames()).to.deep.equal([]);
    expect(h.kinesis.calls.listShards).to.equal(0);
  });

  it('processes every event of every shard, checkpoints it, and on stop() shuts each shard down once and releases its lease', async () => {
    const h = new Harness(2);
    h.put(texts('r', 40));
    const consumer = h.create(h.processor());
    const started = consumer.start();
    h.run(3000);
    for (const shardId of [SHARD_0, SHARD_1]) {
      expect(h.processed.filter((p) => p.startsWith(shardId)).map((p) => p.split(' ')[1]), shardId).to.deep.equal(h.storedTexts(shardId));
      expect(h.lease(shardId).checkpoint, shardId).to.equal(h.lastSequenceNumber(shardId));
    }
    expect(h.log).to.deep.equal([]);
    expect(await outcome(started), 'start() resolves only once stopped').to.deep.equal({ settled: false });

    const stopped = consumer.stop();
    expect(await outcome(stopped)).to.deep.equal({ settled: false });
    h.run(100);
    expect(await outcome(stopped)).to.deep.equal({ settled: true });
    expect(await outcome(started)).to.deep.equal({ settled: true });
    expect(h.entries('ConsumerShutdown')).to.deep.equal([SHARD_0, SHARD_1]);
    expect(h.entries('onShutdown')).to.deep.equal([SHARD_0, SHARD_1]);
    for (const shardId of [SHARD_0, SHARD_1]) expect(h.lease(shardId).leaseOwner, shardId).to.equal(undefined);

    // Idempotent: the same outcome, nothing sent twice.
    expect(await outcome(consumer.stop())).to.deep.equal({ settled: true });
    h.run(1000);
    expect(h.entries('ConsumerShutdown')).to.deep.equal([SHARD_0, SHARD_1]);
  });

  it('on stop() mid-batch hands out nothing more and checkpoints only the answered prefix', async () => {
    const h = new Harness(1);
    h.put(texts('r', 5));
    // r-0 and r-1 are answered at once; r-2 takes 10 s (beyond the stop).
    const consumer = h.create(h.processor((event) => (event.payloadAsString() === 'r-2' ? timer(10_000, h.scheduler).pipe(map(() => true)) : true)));
    void consumer.start();
    h.run(900);
    expect(h.processed).to.deep.equal([`${SHARD_0} r-0`, `${SHARD_0} r-1`, `${SHARD_0} r-2`]);
    const stopped = consumer.stop();
    h.run(100);
    expect(await outcome(stopped)).to.deep.equal({ settled: true });
    expect(h.processed, 'r-3 is never handed out').to.have.length(3);
    expect(h.lease(SHARD_0).checkpoint).to.equal(h.kinesis.records(STREAM, SHARD_0)[1]!.sequenceNumber);
    expect(h.entries('ConsumerShutdown')).to.deep.equal([SHARD_0]);
  });

  it('guards start(): a second call returns the same Promise and warns; after stop() it rejects', async () => {
    const h = new Harness(1);
    const consumer = h.create(h.processor());
    const first = consumer.start();
    expect(consumer.start()).to.equal(first);
    expect(h.warnings.some((w) => /called again/.test(w))).to.equal(true);
    h.run(1000);
    void consumer.stop();
    h.run(100);
    expect((await outcome(consumer.start())).error).to.be.instanceOf(ConsumerStoppedError);

    const never = h.create(h.processor());
    expect(await outcome(never.stop())).to.deep.equal({ settled: true });
    expect((await outcome(never.start())).error).to.be.instanceOf(ConsumerStoppedError);
  });

  it('stops within worker.shutdownTimeoutSeconds when the final writes hang, and still shuts every shard down', async () => {
    const h = new Harness(2);
    h.put(texts('r', 10));
    const consumer = h.create(h.processor(), h.conf({ shutdownTimeoutSeconds: 2 }));
    void consumer.start();
    h.run(1000);
    h.store.faults.add({ operation: 'updateLease', fault: 'hang' });
    const stopped = consumer.stop();
    const at = h.now;
    h.run(1999);
    expect(await outcome(stopped)).to.deep.equal({ settled: false });
    h.run(1);
    expect(await outcome(stopped)).to.deep.equal({ settled: true });
    expect(h.log.filter((l) => l.includes('ConsumerShutdown'))).to.deep.equal([`${at + 2000} ConsumerShutdown ${SHARD_0}`, `${at + 2000} ConsumerShutdown ${SHARD_1}`].sort());
  });

  it('rejects start() with the cause when the stream cannot be read at all', async () => {
    const h = new Harness(1);
    const consumer = KinesisConsumer.create(h.conf(), h.processor(), { kinesis: new InMemoryKinesis({ scheduler: h.scheduler }), leases: h.store, scheduler: h.scheduler });
    const completed: boolean[] = [];
    consumer.notifications$.subscribe({ complete: () => completed.push(true) });
    const started = consumer.start();
    h.run(60_000);
    const { error } = await outcome(started);
    expect(error).to.be.instanceOf(StreamNotFoundError);
    expect(completed).to.deep.equal([true]);
    expect(await outcome(consumer.stop())).to.deep.equal({ settled: true });
  });

  it('sends ConsumerShutdown for a shard whose lease is lost, and goes on with the others', () => {
    const h = new Harness(2);
    const consumer = h.create(h.processor());
    void consumer.start();
    h.run(1000);
    h.store.forceUpdate(TABLE, SHARD_0, { leaseOwner: 'thief' });
    h.run(1200);
    expect(h.entries('ConsumerShutdown')).to.deep.equal([SHARD_0]);
    h.put(texts('r', 20));
    h.run(1000);
    expect(h.processed.filter((p) => p.startsWith(SHARD_1))).to.not.deep.equal([]);
    expect(h.processed.filter((p) => p.startsWith(SHARD_0))).to.deep.equal([]);
    void consumer.stop();
    h.run(100);
    expect(h.entries('ConsumerShutdown')).to.deep.equal([SHARD_0, SHARD_1]);
  });

  it('sends ConsumerShutdown for a shard at its end, after SHARD_END, and processes its children', () => {
    const h = new Harness(1);
    h.put(texts('p', 5));
    const consumer = h.create(h.processor());
    void consumer.start();
    h.run(500);
    h.kinesis.splitShard(STREAM, SHARD_0, 2n ** 127n).subscribe();
    h.run(1);
    h.put(texts('c', 20));
    h.run(5000);
    expect(h.entries('ConsumerShutdown')).to.deep.equal([SHARD_0]);
    expect(h.lease(SHARD_0).checkpoint).to.equal('SHARD_END');
    expect(h.processed.map((p) => p.split(' ')[1]).sort()).to.deep.equal([...texts('p', 5), ...texts('c', 20)].sort());
    void consumer.stop();
    h.run(100);
    expect(h.entries('ConsumerShutdown')).to.deep.equal([SHARD_0, 'shardId-000000000001', 'shardId-000000000002']);
  });

  describe('a batch failing beyond the tolerance', () => {
    /** Fails r-3 (never answered) as long as `failing` is true. */
    function setup(options: KinesisConsumerOptions, storeLatencyMillis = 0, worker: object = {}, checkpointer: object = {}) {
      const h = new Harness(1, storeLatencyMillis);
      h.put(texts('r', 6));
      const state = { failing: true };
      const consumer = h.create(
        h.processor((event): ProcessorResult | Observable<boolean> => (event.payloadAsString() === 'r-3' && state.failing ? timer(60_000, h.scheduler).pipe(map(() => true)) : true)),
        h.conf(worker, { maxRecords: 10 }, checkpointer),
        options,
      );
      return { h, consumer, state };
    }

    /** The time of the shard's failure and its shutdown, and its lease as stored at the shutdown. */
    function watch(h: Harness, consumer: KinesisConsumer) {
      const seen: { failedAt?: number; shutDownAt?: number; leaseAtShutdown?: ReturnType<Harness['lease']> } = {};
      consumer.notifications$.subscribe((n) => {
        if (n._tag === 'ConsumerWorkerFailure') seen.failedAt = h.now;
        else {
          seen.shutDownAt = h.now;
          seen.leaseAtShutdown = h.lease(n.shardId);
        }
      });
      return seen;
    }

    it('sends the stopped shard’s ConsumerShutdown only after its final checkpoint and release have landed', () => {
      const LATENCY = 30;
      // No checkpoint by interval before the failure: the answered prefix is left to the final write.
      const { h, consumer } = setup({}, LATENCY, {}, { intervalMillis: 60_000 });
      const seen = watch(h, consumer);
      void consumer.start();
      h.run(3000);
      expect(seen.failedAt, 'the batch failed').to.be.a('number');
      expect(seen.shutDownAt, 'after a checkpoint write and a release, one after the other').to.be.at.least(seen.failedAt! + 2 * LATENCY);
      expect(seen.leaseAtShutdown?.leaseOwner, 'released when the shutdown is sent').to.equal(undefined);
      expect(seen.leaseAtShutdown?.checkpoint, 'the answered prefix, r-0 … r-2').to.equal(h.kinesis.records(STREAM, SHARD_0)[2]!.sequenceNumber);
      expect(h.log.map((line) => line.split(' ')[1])).to.deep.equal(['onFailure', 'ConsumerWorkerFailure', 'onShutdown', 'ConsumerShutdown']);
      void consumer.stop();
      h.run(100);
    });

    it('sends the stopped shard’s ConsumerShutdown after worker.shutdownTimeoutSeconds when its final writes hang', () => {
      const { h, consumer } = setup({}, 0, { shutdownTimeoutSeconds: 2 }, { intervalMillis: 60_000 });
      const seen = watch(h, consumer);
      void consumer.start();
      h.run(1990);
      h.store.faults.add({ operation: 'updateLease', fault: 'hang' });
      h.run(2010);
      expect(seen.failedAt, 'the batch failed').to.equal(2000);
      expect(seen.shutDownAt).to.equal(4000);
      expect(seen.leaseAtShutdown, 'neither write landed').to.include({ leaseOwner: 'a', checkpoint: 'TRIM_HORIZON' });
      expect(h.warnings.some((w) => /did not stop within/.test(w))).to.equal(true);
      expect(h.entries('ConsumerShutdown'), 'once').to.deep.equal([SHARD_0]);
      h.run(10_000);
      expect(h.entries('ConsumerShutdown'), 'once').to.deep.equal([SHARD_0]);
    });

    it('stops only that shard by default: failure, shutdown, lease released, checkpoint below the failed event; read again later', async () => {
      const { h, consumer, state } = setup({});
      const started = consumer.start();
      // The batch [r-0 … r-5] is sent at about 0, again at 1 s, and fails at 2 s.
      h.run(2500);
      expect(h.log).to.deep.equal(['onFailure', 'ConsumerWorkerFailure', 'onShutdown', 'ConsumerShutdown'].map((tag) => `2000 ${tag} ${SHARD_0}`));
      const before = h.kinesis.records(STREAM, SHARD_0)[2]!;
      expect(h.lease(SHARD_0).checkpoint, 'the answered prefix, r-0 … r-2').to.equal(before.sequenceNumber);
      expect(h.lease(SHARD_0).leaseOwner).to.equal(undefined);
      expect(await outcome(started), 'the consumer goes on').to.deep.equal({ settled: false });

      // After a failover period the shard is taken again; r-3 onwards comes back, and now succeeds.
      state.failing = false;
      h.run(6000);
      // First lease, one at a time: r-3 hangs and holds r-4 and r-5 back, at the first send and at
      // the retry. Second lease: from the checkpoint on.
      const sent = ['r-0', 'r-1', 'r-2', 'r-3', 'r-3', 'r-3', 'r-4', 'r-5'];
      expect(h.processed).to.deep.equal(sent.map((t) => `${SHARD_0} ${t}`));
      expect(h.lease(SHARD_0).checkpoint).to.equal(h.lastSequenceNumber(SHARD_0));
      expect(h.entries('ConsumerWorkerFailure'), 'no second failure').to.deep.equal([SHARD_0]);
      void consumer.stop();
      h.run(100);
    });

    it("stops the whole consumer with onBatchFailure: 'consumer', as the seed did", async () => {
      const { h, consumer } = setup({ onBatchFailure: 'consumer' });
      const started = consumer.start();
      h.run(2500);
      expect(await outcome(started)).to.deep.equal({ settled: true });
      expect(h.log).to.deep.equal(['onFailure', 'ConsumerWorkerFailure', 'onShutdown', 'ConsumerShutdown'].map((tag) => `2000 ${tag} ${SHARD_0}`));
      expect(h.lease(SHARD_0).leaseOwner).to.equal(undefined);
    });
  });

  describe('gracefulShutdownHook', () => {
    it('listens to SIGTERM and SIGINT once, stops on a signal, then removes the listeners and raises it again', async () => {
      const h = new Harness(1);
      const consumer = h.create(h.processor(), h.conf({ gracefulShutdownHook: true }));
      const started = consumer.start();
      void consumer.start();
      expect([h.signals.listenerCount('SIGTERM'), h.signals.listenerCount('SIGINT')]).to.deep.equal([1, 1]);
      h.run(1000);
      h.signals.emit('SIGTERM');
      expect(h.signals.listenerCount('SIGTERM'), 'a second signal gets the default action').to.equal(0);
      h.run(100);
      expect(await outcome(started)).to.deep.equal({ settled: true });
      expect(h.entries('ConsumerShutdown')).to.deep.equal([SHARD_0]);
      expect(h.signals.kills).to.deep.equal(['4242 SIGTERM']);
      expect(h.signals.listenerCount('SIGINT')).to.equal(0);
    });

    it('does not raise the signal again when the application listens to it too, and removes its listeners on stop()', async () => {
      const h = new Harness(1);
      const mine = () => undefined;
      h.signals.on('SIGINT', mine);
      const consumer = h.create(h.processor(), h.conf({ gracefulShutdownHook: true }));
      void consumer.start();
      h.run(500);
      h.signals.emit('SIGINT');
      h.run(100);
      await outcome(consumer.stop());
      expect(h.signals.kills).to.deep.equal([]);
      expect(h.signals.listeners('SIGINT')).to.deep.equal([mine]);

      const other = new Harness(1);
      const plain = other.create(other.processor(), other.conf({ gracefulShutdownHook: true }));
      void plain.start();
      other.run(500);
      void plain.stop();
      other.run(100);
      expect([other.signals.listenerCount('SIGTERM'), other.signals.listenerCount('SIGINT')]).to.deep.equal([0, 0]);
      expect(other.signals.kills).to.deep.equal([]);
    });

    it('never listens when off', () => {
      const h = new Harness(1);
      void h.create(h.processor()).start();
      expect([h.signals.listenerCount('SIGTERM'), h.signals.listenerCount('SIGINT')]).to.deep.equal([0, 0]);
    });
  });

  it('takes a Promise-returning processor', async () => {
    const h = new Harness(1);
    h.put(texts('r', 5));
    const consumer = h.create(h.processor(async () => Promise.resolve(true)));
    void consumer.start();
    await h.runWithPromises(3000, 50);
    expect(h.processed).to.have.length(5);
    expect(h.lease(SHARD_0).checkpoint).to.equal(h.lastSequenceNumber(SHARD_0));
    void consumer.stop();
    await h.runWithPromises(100);
  });

  it('rejects a bad processor or option when created', () => {
    const h = new Harness(1);
    expect(() => h.create({} as EventProcessor)).to.throw(TypeError, /processEvent/);
    expect(() => h.create(h.processor(), h.conf(), { concurrency: 0 })).to.throw(TypeError, /concurrency/);
    expect(() => h.create(h.processor(), h.conf(), { maxUncommitted: -1 })).to.throw(TypeError, /maxUncommitted/);
    expect(() => h.create(h.processor(), h.conf(), { outOfRangeRecords: 'skip' as 'drop' })).to.throw(TypeError, /outOfRangeRecords/);
  });

  it("processes the user records of aggregates that stray outside their shard, or drops them with outOfRangeRecords: 'drop'", () => {
    const run = (options: KinesisConsumerOptions): Harness => {
      const h = new Harness(2);
      h.kinesis.appendRecords(STREAM, crossShardAggregates('agg', 4, 6).map((a) => a.entry));
      h.put(['plain']);
      void h.create(h.processor(), h.conf(), options).start();
      return h.run(3000);
    };
    const outcomes = (h: Harness) => h.diagnostics.flatMap((d) => (d._tag === 'AggregateOutOfRange' ? [d.outcome] : []));
    const processed = (h: Harness) => h.processed.map((p) => p.split(' ')[1]!).sort();

    const byDefault = run({});
    expect(processed(byDefault)).to.deep.equal([...crossShardAggregates('agg', 4, 6).flatMap((a) => a.texts), 'plain'].sort());
    expect(outcomes(byDefault)).to.deep.equal(['delivered', 'delivered', 'delivered', 'delivered']);
    const straying = new Set(byDefault.diagnostics.flatMap((d) => (d._tag === 'AggregateOutOfRange' ? [d.shardId] : [])));
    expect(byDefault.warnings.filter((w) => w.startsWith('delivering')), 'once per shard').to.have.length(straying.size);

    const dropping = run({ outOfRangeRecords: 'drop' });
    expect(processed(dropping)).to.deep.equal(['plain']);
    expect(outcomes(dropping)).to.deep.equal(['dropped', 'dropped', 'dropped', 'dropped']);
    expect(dropping.warnings.filter((w) => w.startsWith('dropped an aggregate'))).to.have.length(4);
  });
});
