/**
 * processBatch must (what marble tests cannot show: Promises, callbacks, options, reuse):
 * - reject bad options and processors when called, naming the option;
 * - take the batch settings of a consumer configuration;
 * - work with Promise-returning and throwing processors;
 * - call onFailure and onShutdown, and survive them throwing;
 * - ignore an answer that comes after its batch has ended;
 * - hand a mapped payload to the processor, and report failures with the original events;
 * - keep its state per subscription, and let shards run in parallel.
 */
import { expect } from 'chai';
import { Subject, VirtualTimeScheduler, map, merge, type Observable } from 'rxjs';
import { consumerConf } from '../../../lib/config/consumer-config';
import { decodeKinesisConfig } from '../../../lib/config/kinesis-config';
import { committableEvent, type CommittableEvent } from '../../../lib/consumer/committable-event';
import { batchOptions, processBatch, type BatchDiagnostic, type ProcessBatchOptions } from '../../../lib/consumer/process-batch/process-batch';
import type { EventProcessor, ProcessorResult } from '../../../lib/consumer/process-batch/event-processor';
import { consumerEvent, type ConsumerEvent } from '../../../lib/model/consumer-event';
import type { ConsumerNotification } from '../../../lib/model/notifications';
import { CompoundSequenceNumber as Csn } from '../../../lib/model/sequence-number';
import { runFor } from '../../support/virtual-time';

function eventAt(seq: number, shardId = 'shard-a'): ConsumerEvent {
  return consumerEvent({ shardId, partitionKey: 'pk', sequenceNumber: new Csn(String(seq)), payload: Buffer.from(`e${seq}`), arrivalTime: new Date(0) });
}

/** A shard's events fed by hand, with the commits they receive. */
class Shard {
  readonly input = new Subject<CommittableEvent<ConsumerEvent>>();
  readonly commits: string[] = [];
  constructor(readonly shardId = 'shard-a') {}
  push(...seqs: number[]): void {
    for (const seq of seqs) this.input.next(committableEvent(eventAt(seq, this.shardId), (ok) => this.commits.push(`${seq} ${ok ? 'ok' : 'skip'}`)));
  }
}

/** Subscribes and records notifications as `<tag> <shard>` plus completion. */
function record(source: Observable<ConsumerNotification>): { readonly log: string[]; readonly done: () => boolean } {
  const log: string[] = [];
  let done = false;
  source.subscribe({ next: (n) => log.push(`${n._tag} ${n.shardId}`), complete: () => (done = true) });
  return { log, done: () => done };
}

async function microtasks(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

describe('processBatch', () => {
  let scheduler: VirtualTimeScheduler;
  let diagnostics: BatchDiagnostic[];
  const options = (overrides: ProcessBatchOptions = {}): ProcessBatchOptions => ({
    batchTimeoutMillis: 100,
    failedMessageRetries: 1,
    failureTolerancePercentage: 0,
    scheduler,
    onDiagnostic: (d) => diagnostics.push(d),
    ...overrides,
  });
  const advance = (millis: number) => runFor(scheduler, millis);
  beforeEach(() => {
    scheduler = new VirtualTimeScheduler();
    diagnostics = [];
  });

  it('rejects bad options and processors when called', () => {
    const ok = () => true;
    expect(() => processBatch(ok, { batchTimeoutMillis: 0 })).to.throw(TypeError, /batchTimeoutMillis/);
    expect(() => processBatch(ok, { batchTimeoutMillis: -1 })).to.throw(TypeError, /batchTimeoutMillis/);
    expect(() => processBatch(ok, { failedMessageRetries: 1.5 })).to.throw(TypeError, /failedMessageRetries/);
    expect(() => processBatch(ok, { failureTolerancePercentage: 150 })).to.throw(TypeError, /failureTolerancePercentage/);
    expect(() => processBatch(ok, { maxRecords: 0 })).to.throw(TypeError, /maxRecords/);
    expect(() => processBatch(ok, { concurrency: 0 })).to.throw(TypeError, /concurrency/);
    expect(() => processBatch(ok, { batchWindowMillis: Number.NaN })).to.throw(TypeError, /batchWindowMillis/);
    expect(() => processBatch({ process: ok } as never)).to.throw(TypeError, /processEvent/);
    expect(() => processBatch(ok, { concurrency: Infinity })).to.not.throw();
  });

  it('takes worker.* and kcl.maxRecords from a consumer configuration', () => {
    const conf = consumerConf(
      decodeKinesisConfig({
        'application-name': 'app',
        c: { 'stream-name': 's', worker: { batchTimeoutSeconds: 3, failedMessageRetries: 4, failureTolerancePercentage: 12.5 }, kcl: { maxRecords: 77 } },
      }),
      'c',
    );
    expect(batchOptions(conf)).to.deep.equal({ batchTimeoutMillis: 3000, failedMessageRetries: 4, failureTolerancePercentage: 12.5, maxRecords: 77 });
  });

  it('works with a Promise-returning processor', async () => {
    const shard = new Shard();
    const { log, done } = record(shard.input.pipe(processBatch(async (e: ConsumerEvent) => Promise.resolve(e.sequenceNumber.sequenceNumber !== '2'), options())));
    shard.push(1, 2, 3);
    for (let i = 0; i < 3; i += 1) {
      advance(0);
      await microtasks();
    }
    expect(shard.commits).to.deep.equal(['1 ok', '2 skip', '3 ok']);
    shard.input.complete();
    expect(log).to.deep.equal(['ConsumerShutdown shard-a']);
    expect(done()).to.equal(true);
  });

  it('treats a throwing processor as no answer, and sends the event again after the timeout', () => {
    const shard = new Shard();
    let calls = 0;
    const { log } = record(
      shard.input.pipe(
        processBatch(() => {
          calls += 1;
          if (calls === 1) throw new Error('first time');
          return true;
        }, options()),
      ),
    );
    shard.push(1);
    advance(0);
    expect(shard.commits).to.deep.equal([]);
    expect(diagnostics.map((d) => d._tag)).to.deep.equal(['NoAnswer']);
    advance(100);
    expect(shard.commits).to.deep.equal(['1 ok']);
    expect(log).to.deep.equal([]);
  });

  it('calls onFailure and onShutdown before emitting, and survives them throwing', () => {
    const shard = new Shard();
    const calls: string[] = [];
    const processor: EventProcessor = {
      processEvent: (): ProcessorResult => new Subject<boolean>(),
      onFailure: (f) => {
        calls.push(`onFailure ${f.failedEvents.map((e) => e.sequenceNumber.toString()).join(',')}`);
        throw new Error('careless');
      },
      onShutdown: (s) => calls.push(`onShutdown ${s.shardId}`),
    };
    const { log, done } = record(shard.input.pipe(processBatch(processor, options({ failedMessageRetries: 0 }))));
    shard.push(1, 2);
    advance(100);
    expect(calls).to.deep.equal(['onFailure 1/0,2/0', 'onShutdown shard-a']);
    expect(log).to.deep.equal(['ConsumerWorkerFailure shard-a', 'ConsumerShutdown shard-a']);
    expect(done()).to.equal(true);
    expect(diagnostics.filter((d) => d._tag === 'CallbackFailed')).to.have.length(1);
    expect(shard.input.observed, 'the shard is unsubscribed').to.equal(false);
  });

  it('ignores an answer that comes after its batch has ended', async () => {
    const shard = new Shard();
    let resolveLate!: (answer: boolean) => void;
    const late = new Promise<boolean>((resolve) => (resolveLate = resolve));
    record(shard.input.pipe(processBatch(() => late, options({ failedMessageRetries: 0, failureTolerancePercentage: 100 }))));
    shard.push(1);
    advance(100);
    expect(shard.commits).to.deep.equal(['1 skip']);
    resolveLate(true);
    await microtasks();
    expect(shard.commits).to.deep.equal(['1 skip']);
    expect(diagnostics.map((d) => d._tag)).to.deep.equal(['UnansweredSkipped']);
  });

  it('hands a mapped payload to the processor, and reports a failure with the original events', () => {
    const shard = new Shard();
    const seen: number[] = [];
    const failures: ConsumerNotification[] = [];
    shard.input
      .pipe(
        map((e) => e.map((event) => Number(event.sequenceNumber.sequenceNumber) * 10)),
        processBatch((n: number) => (seen.push(n), n === 20 ? new Subject<boolean>() : true), options({ failedMessageRetries: 0 })),
      )
      .subscribe((n) => failures.push(n));
    shard.push(1, 2);
    advance(100);
    expect(seen).to.deep.equal([10, 20]);
    const failure = failures[0];
    expect(failure?._tag).to.equal('ConsumerWorkerFailure');
    if (failure?._tag === 'ConsumerWorkerFailure') expect(failure.failedEvents.map((e) => e.payloadAsString())).to.deep.equal(['e2']);
  });

  it('keeps its state per subscription, and runs shards in parallel', () => {
    const a = new Shard('shard-a');
    const b = new Shard('shard-b');
    const slow = new Set(['shard-a 1']);
    const operator = processBatch((e: ConsumerEvent) => (slow.has(`${e.shardId} ${e.sequenceNumber.sequenceNumber}`) ? new Subject<boolean>() : true), options());
    const { log } = record(merge(a.input.pipe(operator), b.input.pipe(operator)));
    a.push(1);
    b.push(1);
    advance(0);
    b.push(2);
    advance(0);
    expect(b.commits, 'shard b is not held back by shard a').to.deep.equal(['1 ok', '2 ok']);
    expect(a.commits).to.deep.equal([]);
    advance(200);
    expect(log).to.deep.equal(['ConsumerWorkerFailure shard-a', 'ConsumerShutdown shard-a']);
    b.push(3);
    advance(0);
    expect(b.commits).to.deep.equal(['1 ok', '2 ok', '3 ok']);
  });
});
