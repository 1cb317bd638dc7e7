/**
 * KinesisConsumer against kinesis-local and dynalite, in real time (batch timeout 1 s): a processor
 * that skips some events, never answers others and is slow on others. What was skipped, retried
 * and checkpointed is read back from the lease table and from a second consumer on the same table.
 */
import { expect } from 'chai';
import { consumerConf, type ConsumerConf } from '../../lib/config/consumer-config';
import { decodeKinesisConfig } from '../../lib/config/kinesis-config';
import { KinesisConsumer, type KinesisConsumerOptions } from '../../lib/consumer/kinesis-consumer';
import type { ProcessorResult } from '../../lib/consumer/process-batch/event-processor';
import type { ConsumerEvent } from '../../lib/model/consumer-event';
import type { ConsumerNotification } from '../../lib/model/notifications';
import { TestStream, texts, waitFor } from '../consumer/consumer-harness';

const sleep = (millis: number) => new Promise<void>((resolve) => setTimeout(resolve, millis));

/** A started consumer with what its processor was handed and what it notified. */
class Run {
  readonly sends: string[] = [];
  readonly notifications: string[] = [];
  readonly consumer: KinesisConsumer;
  readonly done: Promise<void>;

  constructor(conf: ConsumerConf, stream: TestStream, answer: (text: string) => ProcessorResult, options: KinesisConsumerOptions = {}) {
    this.consumer = KinesisConsumer.create(
      conf,
      (event: ConsumerEvent) => {
        const text = event.payloadAsString();
        this.sends.push(text);
        return answer(text);
      },
      { kinesis: stream.env.kinesis, leases: stream.env.dynamo },
      options,
    );
    this.consumer.notifications$.subscribe((n: ConsumerNotification) =>
      this.notifications.push(n._tag === 'ConsumerShutdown' ? 'shutdown' : `failure ${n.failedEvents.map((e) => e.payloadAsString()).join(',')}`),
    );
    this.done = this.consumer.start();
  }

  count(text: string): number {
    return this.sends.filter((t) => t === text).length;
  }
}

describe('KinesisConsumer on kinesis-local and dynalite', function () {
  this.timeout(40_000);
  let stream: TestStream;
  const runs: Run[] = [];

  const confOf = (id: string, worker: object): ConsumerConf => {
    const config = stream.config(id, { maxRecords: 100 }) as { consumer: Record<string, unknown> };
    config.consumer['worker'] = { shutdownTimeoutSeconds: 3, gracefulShutdownHook: false, batchTimeoutSeconds: 1, failedMessageRetries: 1, ...worker };
    return consumerConf(decodeKinesisConfig(config), 'consumer');
  };
  const start = (id: string, worker: object, answer: (text: string) => ProcessorResult, options: KinesisConsumerOptions = {}): Run => {
    const run = new Run(confOf(id, worker), stream, answer, options);
    runs.push(run);
    return run;
  };
  /** The shard's lease, or undefined while the table or the lease does not exist yet. */
  const leaseOrNone = async () => (await stream.leases().catch(() => []))[0];
  const checkpointOf = async () => {
    const lease = await leaseOrNone();
    if (lease === undefined) throw new Error('no lease');
    return lease;
  };
  const checkpointIs = async (sequenceNumber: string) => (await leaseOrNone())?.checkpoint === sequenceNumber;
  const sequenceOf = async (text: string) => {
    const [shardId] = await stream.shardIds();
    const iterator = await new Promise<string>((resolve, reject) =>
      stream.kinesisPort.getShardIterator(stream.name, shardId!, { type: 'TRIM_HORIZON' }).subscribe({ next: resolve, error: reject }),
    );
    const page = await new Promise<{ records: readonly { sequenceNumber: string; data: Uint8Array }[] }>((resolve, reject) =>
      stream.kinesisPort.getRecords(iterator, 1000).subscribe({ next: resolve, error: reject }),
    );
    const record = page.records.find((r) => Buffer.from(r.data).toString() === text);
    if (record === undefined) throw new Error(`no record ${text}`);
    return record.sequenceNumber;
  };

  afterEach(async function () {
    await Promise.all(runs.splice(0).map((r) => r.consumer.stop()));
    await stream?.dispose();
  });

  it('skips within the tolerance: r-5 answered false, r-7 and r-8 never answered, r-2 slow; the checkpoint passes them all', async function () {
    stream = await TestStream.create(1);
    const first = texts('r', 30);
    await stream.put(first, () => 'one-key');
    // 10% of 30 tolerates 3 unanswered; the whole batch goes to the processor at once, as in the seed.
    const a = start(
      'a',
      { failureTolerancePercentage: 10 },
      (text) => {
        if (text === 'r-5') return false;
        if (text === 'r-7' || text === 'r-8') return new Promise<boolean>(() => undefined);
        if (text === 'r-2') return sleep(1500).then(() => true);
        return true;
      },
      { concurrency: Infinity },
    );
    const lastSequence = await sequenceOf('r-29');
    await waitFor('the checkpoint past r-29', () => checkpointIs(lastSequence), 15_000);

    expect(a.notifications, 'no failure').to.deep.equal([]);
    expect([...new Set(a.sends)].sort()).to.deep.equal([...first].sort());
    // Unanswered at the timeout (1 s): r-2 (slow), r-7, r-8 are sent again; nothing else is.
    expect(['r-2', 'r-7', 'r-8'].map((t) => a.count(t))).to.deep.equal([2, 2, 2]);
    expect(a.sends.length).to.equal(33);

    await a.consumer.stop();
    expect(a.notifications).to.deep.equal(['shutdown']);
    const lease = await checkpointOf();
    expect(lease.leaseOwner, 'released').to.equal(undefined);
    expect(lease.checkpoint).to.equal(lastSequence);

    // A second consumer on the same table gets only what came after: nothing skipped comes back.
    const later = texts('s', 5);
    await stream.put(later, () => 'one-key');
    const b = start('b', {}, () => true);
    await waitFor('the later records', () => later.every((t) => b.sends.includes(t)));
    await sleep(500);
    expect(b.sends).to.deep.equal(later);
  });

  it('beyond the tolerance: failure, the consumer stops (as the seed), the checkpoint stays before the failed events, and a second run gets them again', async function () {
    stream = await TestStream.create(1);
    const all = texts('r', 10);
    await stream.put(all, () => 'one-key');
    // One at a time: r-1 is slow but within the timeout; r-3 never answers, which holds r-4… back.
    const a = start(
      'a',
      { failureTolerancePercentage: 0 },
      (text) => (text === 'r-3' ? new Promise<boolean>(() => undefined) : text === 'r-1' ? sleep(300).then(() => true) : true),
      { onBatchFailure: 'consumer' },
    );
    await a.done;
    expect(a.notifications).to.deep.equal([`failure ${all.slice(3).join(',')}`, 'shutdown']);
    expect(a.sends).to.deep.equal(['r-0', 'r-1', 'r-2', 'r-3', 'r-3']);
    const lease = await checkpointOf();
    expect(lease.checkpoint, 'the answered prefix').to.equal(await sequenceOf('r-2'));
    expect(lease.leaseOwner, 'released').to.equal(undefined);

    const b = start('b', {}, () => true);
    await waitFor('the failed records again', () => all.slice(3).every((t) => b.sends.includes(t)));
    expect(b.sends).to.deep.equal(all.slice(3));
    const last = await sequenceOf('r-9');
    await waitFor('the checkpoint past r-9', () => checkpointIs(last));
  });

  it("beyond the tolerance with the default policy: only the shard stops, is released, and is read again from its checkpoint", async function () {
    stream = await TestStream.create(1);
    const all = texts('r', 6);
    await stream.put(all, () => 'one-key');
    let failing = true;
    const a = start('a', { failureTolerancePercentage: 0, failedMessageRetries: 0 }, (text) => (text === 'r-4' && failing ? new Promise<boolean>(() => undefined) : true));
    await waitFor('the failure', () => a.notifications.length === 2);
    failing = false;
    expect(a.notifications).to.deep.equal(['failure r-4,r-5', 'shutdown']);
    expect((await checkpointOf()).checkpoint).to.equal(await sequenceOf('r-3'));
    // The same consumer takes the shard again after a failover period and reads from r-4.
    await waitFor('r-5 processed', () => a.sends.includes('r-5'), 15_000);
    expect(a.sends).to.deep.equal(['r-0', 'r-1', 'r-2', 'r-3', 'r-4', 'r-4', 'r-5']);
    const last = await sequenceOf('r-5');
    await waitFor('the checkpoint past r-5', () => checkpointIs(last));
  });
});
