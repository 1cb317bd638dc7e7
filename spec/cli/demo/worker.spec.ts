import { expect } from 'chai';
import { NEVER, Subject, VirtualTimeScheduler, of, type Observable } from 'rxjs';
import { demoConsumerConf } from '../../../lib/cli/demo/demo-config';
import { decodeRuns } from '../../../lib/cli/demo/index-runs';
import { demoPartitionKey, demoPayload } from '../../../lib/cli/demo/payload';
import type { WorkerMessage } from '../../../lib/cli/demo/protocol';
import { consumeAndReport, REPORT_INTERVAL_MILLIS, type DemoChannel } from '../../../lib/cli/demo/worker';
import { StreamNotFoundError } from '../../../lib/model/errors';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../../lib/testing';
import { runUntil } from '../../support/virtual-time';

const NAMES = { streamName: 'demo-s', tableName: 'demo-s-leases' };
const EVENTS = 400;

/** A channel that keeps every message; `consumed` sends complete as `consumedSent` says. */
function recordingChannel(consumedSent: () => Observable<void> = () => of(undefined), start$: Observable<unknown> = of(undefined)): DemoChannel & { readonly messages: WorkerMessage[] } {
  const messages: WorkerMessage[] = [];
  return {
    messages,
    send: (message) => {
      messages.push(message);
      return message.type === 'consumed' ? consumedSent() : of(undefined);
    },
    start$,
    stop$: NEVER,
    close: () => undefined,
  };
}

describe('cli/demo/worker consumeAndReport', () => {
  let scheduler: VirtualTimeScheduler;
  let kinesis: InMemoryKinesis;
  let leases: InMemoryLeaseStore;
  let stop: Subject<void>;

  beforeEach(() => {
    scheduler = new VirtualTimeScheduler();
    kinesis = new InMemoryKinesis({ scheduler, streams: { [NAMES.streamName]: 2 } });
    leases = new InMemoryLeaseStore({ scheduler });
    stop = new Subject<void>();
    kinesis.appendRecords(
      NAMES.streamName,
      Array.from({ length: EVENTS }, (_, i) => ({ partitionKey: demoPartitionKey(i), data: Buffer.from(demoPayload(i)) })),
    );
  });

  const consumed = (messages: readonly WorkerMessage[]) => messages.flatMap((m) => (m.type === 'consumed' ? decodeRuns(m.runs) : []));
  const lastSequence = (shardId: string) => kinesis.records(NAMES.streamName, shardId).at(-1)?.sequenceNumber;

  it('reports what it consumed in batches, commits it, tells which shards it reads and when each is caught up, and stops gracefully', () => {
    const channel = recordingChannel();
    let completed = false;
    const conf = demoConsumerConf(NAMES, 'w1', 3000);
    consumeAndReport(conf, { kinesis, leases, scheduler }, channel, stop).subscribe({ complete: () => (completed = true) });
    runUntil(scheduler, 5_000);

    const { messages } = channel;
    expect(messages[0]).to.deep.equal({ type: 'started' });
    const shards = kinesis.shards(NAMES.streamName).map((s) => s.shardId);
    expect(messages.filter((m) => m.type === 'acquired').map((m) => m.type === 'acquired' && m.shardId).sort()).to.deep.equal(shards);
    expect(consumed(messages).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: EVENTS }, (_, i) => i));
    const reports = messages.filter((m) => m.type === 'consumed');
    expect(reports.length, 'batched, not one message per event').to.be.lessThan(10);
    expect(reports.flatMap((m) => (m.type === 'consumed' ? m.caughtUp : [])).sort(), 'each shard caught up, once').to.deep.equal(shards);

    stop.next();
    runUntil(scheduler, 6_000);
    expect(completed).to.equal(true);
    expect(messages.filter((m) => m.type === 'ended').map((m) => m.type === 'ended' && m.shardId).sort()).to.deep.equal(shards);
    for (const lease of leases.leases(NAMES.tableName)) {
      expect(lease.checkpoint, `${lease.leaseKey} checkpointed at its last record`).to.equal(lastSequence(lease.leaseKey));
      expect(lease.leaseOwner, 'released').to.equal(undefined);
    }
  });

  it('reports every REPORT_INTERVAL_MILLIS, not more often', () => {
    const channel = recordingChannel();
    consumeAndReport(demoConsumerConf(NAMES, 'w1', 3000), { kinesis, leases, scheduler }, channel, stop).subscribe();
    const times: number[] = [];
    const send = channel.send;
    channel.send = (message) => {
      if (message.type === 'consumed') times.push(scheduler.now());
      return send(message);
    };
    runUntil(scheduler, 3_000);
    expect(times.length).to.be.greaterThan(0);
    for (const time of times) expect(time % REPORT_INTERVAL_MILLIS, `report at ${time}`).to.equal(0);
    stop.next();
    runUntil(scheduler, 4_000);
  });

  it('commits nothing the demo has not been sent', () => {
    const channel = recordingChannel(() => NEVER);
    consumeAndReport(demoConsumerConf(NAMES, 'w1', 3000), { kinesis, leases, scheduler }, channel, stop).subscribe();
    runUntil(scheduler, 5_000);
    expect(consumed(channel.messages).length, 'the first batch went out').to.be.greaterThan(0);
    stop.next();
    runUntil(scheduler, 6_000);
    for (const lease of leases.leases(NAMES.tableName)) expect(lease.checkpoint, lease.leaseKey).to.equal('TRIM_HORIZON');
  });

  it('tells the demo why it failed, then errors', () => {
    const channel = recordingChannel();
    let error: unknown;
    consumeAndReport(demoConsumerConf({ ...NAMES, streamName: 'missing' }, 'w1', 3000), { kinesis, leases, scheduler }, channel, stop).subscribe({
      error: (e: unknown) => (error = e),
    });
    runUntil(scheduler, 60_000);
    expect(error).to.be.instanceOf(StreamNotFoundError);
    const failed = channel.messages.find((m) => m.type === 'failed');
    expect(failed).to.deep.equal({ type: 'failed', message: (error as Error).message });
  });

  it('touches neither the lease table nor the stream until the demo says start', () => {
    const start = new Subject<void>();
    const channel = recordingChannel(undefined, start);
    consumeAndReport(demoConsumerConf(NAMES, 'w1', 3000), { kinesis, leases, scheduler }, channel, stop).subscribe();
    runUntil(scheduler, 5_000);
    expect(channel.messages, 'started, and nothing else').to.deep.equal([{ type: 'started' }]);
    expect(leases.tableNames(), 'not even the lease table created').to.deep.equal([]);

    scheduler.schedule(() => start.next(), 0);
    runUntil(scheduler, 10_000);
    expect(consumed(channel.messages).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: EVENTS }, (_, i) => i));
    stop.next();
    runUntil(scheduler, 11_000);
  });

  it('ends at once, having consumed nothing, when told to stop before it was told to start', () => {
    const channel = recordingChannel(undefined, NEVER);
    let completed = false;
    consumeAndReport(demoConsumerConf(NAMES, 'w1', 3000), { kinesis, leases, scheduler }, channel, stop).subscribe({ complete: () => (completed = true) });
    runUntil(scheduler, 1_000);
    stop.next();
    runUntil(scheduler, 1_001);
    expect(completed).to.equal(true);
    expect(channel.messages).to.deep.equal([{ type: 'started' }]);
    expect(leases.tableNames()).to.deep.equal([]);
  });
});
