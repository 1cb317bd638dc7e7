import { expect } from 'chai';
import { Subject, VirtualTimeScheduler, of, throwError, type Observable } from 'rxjs';
import { DEFAULT_LIVENESS_TIMEOUT_MILLIS, fanOutShard, fanOutShardThrough, type FanOutShardOptions } from '../../../lib/consumer/fan-out/subscribe-shard';
import type { PollEvent } from '../../../lib/consumer/polling/poll-shard';
import { KinesisCallError, StreamNotFoundError } from '../../../lib/model/errors';
import type { ChildShard, IteratorPosition, KinesisFanOutPort, KinesisRecord, ShardSubscriptionEvent } from '../../../lib/ports/kinesis-port';
import { runUntil } from '../../support/virtual-time';

/** Lets every promise chain that is already under way move on by `turns` steps. */
async function ticks(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

/**
 * Lets `millis` of virtual time pass, one due action at a time, settling the promises each one
 * starts before the next: an answer that arrives starts timers, which may fall due in the window.
 */
async function elapse(scheduler: VirtualTimeScheduler, millis: number): Promise<void> {
  const until = scheduler.now() + millis;
  await ticks();
  for (let due = scheduler.actions[0]; due !== undefined && due.delay <= until; due = scheduler.actions[0]) {
    runUntil(scheduler, due.delay);
    await ticks();
  }
  runUntil(scheduler, until);
  await ticks();
}

/** One answer to a `next()`: an event, the end of the subscription, or a failure. */
type Answer = { readonly event: ShardSubscriptionEvent } | { readonly done: true } | { readonly error: unknown };

const DONE: IteratorResult<ShardSubscriptionEvent> = { done: true, value: undefined };

/**
 * One subscription: answers each `next()` with the next scripted answer, or, when none is left, once
 * the test gives one (`answer`); counts `next()` and `return()` calls.
 */
class ScriptedSubscription implements AsyncIterator<ShardSubscriptionEvent> {
  nexts = 0;
  returns = 0;
  private waiting: { resolve: (result: IteratorResult<ShardSubscriptionEvent>) => void; reject: (error: unknown) => void } | undefined;

  constructor(
    readonly position: IteratorPosition,
    readonly at: number,
    private readonly queued: Answer[],
  ) {}

  next(): Promise<IteratorResult<ShardSubscriptionEvent>> {
    this.nexts += 1;
    if (this.returns > 0) return Promise.resolve(DONE);
    const answer = this.queued.shift();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      if (answer !== undefined) this.answer(answer);
    });
  }

  /** Answers the waiting `next()`, or the next one to come. */
  answer(answer: Answer): void {
    const waiting = this.waiting;
    if (waiting === undefined) {
      this.queued.push(answer);
      return;
    }
    this.waiting = undefined;
    if ('event' in answer) waiting.resolve({ done: false, value: answer.event });
    else if ('error' in answer) waiting.reject(answer.error);
    else waiting.resolve(DONE);
  }

  return(): Promise<IteratorResult<ShardSubscriptionEvent>> {
    this.returns += 1;
    this.waiting?.resolve(DONE);
    this.waiting = undefined;
    return Promise.resolve(DONE);
  }
}

/** A fan-out port whose n-th subscription answers with `script[n]` (then waits for the test). */
class ScriptedFanOut implements KinesisFanOutPort {
  readonly subscriptions: ScriptedSubscription[] = [];

  constructor(
    private readonly scheduler: VirtualTimeScheduler,
    private readonly script: readonly (readonly Answer[])[] = [],
  ) {}

  get positions(): string[] {
    return this.subscriptions.map(({ position: p }) => (p.type === 'AT_SEQUENCE_NUMBER' || p.type === 'AFTER_SEQUENCE_NUMBER' ? `${p.type} ${p.sequenceNumber}` : p.type));
  }

  ensureStreamConsumer(): Observable<string> {
    return throwError(() => new Error('unscripted ensureStreamConsumer'));
  }

  subscribeToShard(_consumerArn: string, _shardId: string, position: IteratorPosition): AsyncIterable<ShardSubscriptionEvent> {
    const subscription = new ScriptedSubscription(position, this.scheduler.now(), [...(this.script[this.subscriptions.length] ?? [])]);
    this.subscriptions.push(subscription);
    return { [Symbol.asyncIterator]: () => subscription };
  }
}

interface Seen<T> {
  values: T[];
  error: unknown;
  completed: boolean;
}

function watch<T>(source: Observable<T>) {
  const seen: Seen<T> = { values: [], error: undefined, completed: false };
  const subscription = source.subscribe({
    next: (value) => seen.values.push(value),
    error: (error: unknown) => (seen.error = error),
    complete: () => (seen.completed = true),
  });
  return { seen, subscription };
}

const record = (sequenceNumber: string): KinesisRecord => ({
  sequenceNumber,
  partitionKey: 'pk',
  data: Buffer.from(sequenceNumber),
  approximateArrivalTimestamp: new Date(0),
});
const child: ChildShard = { shardId: 'shardId-000000000001', parentShards: ['shardId-000000000000'], hashKeyRange: { startingHashKey: 0n, endingHashKey: 10n } };
const event = (continuation: string, ...sequenceNumbers: string[]): Answer => ({
  event: { records: sequenceNumbers.map(record), continuationSequenceNumber: continuation, millisBehindLatest: 7 },
});
const lastEvent = (...sequenceNumbers: string[]): Answer => ({ event: { records: sequenceNumbers.map(record), millisBehindLatest: 0, childShards: [child] } });
const ended: Answer = { done: true };
const transient = new KinesisCallError('SubscribeToShard', 'InternalFailure', 'oops', { retryable: true });

/** What a run read: each page's sequence numbers, or `end <children>`. */
const summary = (events: readonly PollEvent[]): string[] =>
  events.map((e) => (e._tag === 'Records' ? `[${e.records.map((r) => r.sequenceNumber).join(',')}] ${e.millisBehindLatest}` : `end ${e.childShards.map((c) => c.shardId).join(',')}`));

describe('fanOutShard', () => {
  let scheduler: VirtualTimeScheduler;
  beforeEach(() => {
    scheduler = new VirtualTimeScheduler();
  });

  const options = (overrides: Partial<FanOutShardOptions> = {}): FanOutShardOptions => ({
    streamName: 's',
    shardId: 'shardId-000000000000',
    consumerArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1',
    start: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '42' },
    backoff: { initialMillis: 100, maxMillis: 400, maxRetries: 2 },
    scheduler,
    ...overrides,
  });

  it('subscribes at the start, and after each end of a subscription AFTER_SEQUENCE_NUMBER of the last continuation delivered, a second apart', async () => {
    const kinesis = new ScriptedFanOut(scheduler, [
      [event('110', '100'), event('130'), ended],
      // Ends without an event: the next one starts from the same point.
      [ended],
      [event('250', '200', '240'), ended],
      [lastEvent('300')],
    ]);
    const { seen } = watch(fanOutShard(kinesis, options()));
    await elapse(scheduler, 10_000);
    expect(summary(seen.values)).to.deep.equal(['[100] 7', '[] 7', '[200,240] 7', '[300] 0', 'end shardId-000000000001']);
    expect(seen.completed).to.equal(true);
    expect(kinesis.positions).to.deep.equal(['AT_SEQUENCE_NUMBER 42', 'AFTER_SEQUENCE_NUMBER 130', 'AFTER_SEQUENCE_NUMBER 130', 'AFTER_SEQUENCE_NUMBER 250']);
    expect(kinesis.subscriptions.map((s) => s.at)).to.deep.equal([0, 1000, 2000, 3000]);
    // Ended by the service, not cancelled; the last one cancelled once its end was read.
    expect(kinesis.subscriptions.map((s) => s.returns)).to.deep.equal([0, 0, 0, 1]);
  });

  it('asks for nothing while a delivery is under way or the gate is shut, however long that takes', async () => {
    const kinesis = new ScriptedFanOut(scheduler, [[event('110', '100'), event('210', '200'), lastEvent()]]);
    const deliveries: Subject<string>[] = [];
    const deliver = (e: PollEvent) => {
      const delivery = new Subject<string>();
      deliveries.push(delivery);
      return e._tag === 'ShardEnd' ? of('end') : delivery;
    };
    const gates: Subject<void>[] = [];
    const gate = () => {
      const shut = new Subject<void>();
      gates.push(shut);
      return shut;
    };
    const { seen } = watch(fanOutShardThrough(kinesis, options(), deliver, gate));
    await elapse(scheduler, 10);
    const [subscription] = kinesis.subscriptions;
    expect([subscription!.nexts, deliveries.length, gates.length]).to.deep.equal([1, 1, 0]);
    deliveries[0]!.next('100');
    // Longer than the liveness timeout: the time is the reader's.
    await elapse(scheduler, 2 * DEFAULT_LIVENESS_TIMEOUT_MILLIS);
    expect([subscription!.nexts, gates.length]).to.deep.equal([1, 0]);
    deliveries[0]!.complete();
    await elapse(scheduler, 2 * DEFAULT_LIVENESS_TIMEOUT_MILLIS);
    expect([subscription!.nexts, gates.length]).to.deep.equal([1, 1]);
    gates[0]!.next();
    await elapse(scheduler, 10);
    expect([subscription!.nexts, deliveries.length]).to.deep.equal([2, 2]);
    deliveries[1]!.complete();
    gates[1]!.next();
    await elapse(scheduler, 10);
    expect(seen.values).to.deep.equal(['100', 'end']);
    expect(seen.completed).to.equal(true);
    expect(kinesis.subscriptions).to.have.length(1);
    expect(subscription!.returns).to.equal(1);
  });

  it('cancels the subscription on unsubscribe while a next() waits, and asks nothing more of the port', async () => {
    const kinesis = new ScriptedFanOut(scheduler, [[event('110', '100')]]);
    const { seen, subscription } = watch(fanOutShard(kinesis, options()));
    await elapse(scheduler, 10);
    const [first] = kinesis.subscriptions;
    expect([first!.nexts, first!.returns]).to.deep.equal([2, 0]);
    subscription.unsubscribe();
    expect(first!.returns).to.equal(1);
    await elapse(scheduler, 5 * DEFAULT_LIVENESS_TIMEOUT_MILLIS);
    expect([kinesis.subscriptions.length, first!.nexts, first!.returns]).to.deep.equal([1, 2, 1]);
    expect(summary(seen.values)).to.deep.equal(['[100] 7']);
  });

  it('cancels the subscription on unsubscribe during a delivery', async () => {
    const kinesis = new ScriptedFanOut(scheduler, [[event('110', '100'), event('210', '200')]]);
    const { subscription } = watch(fanOutShardThrough(kinesis, options(), () => new Subject<never>()));
    await elapse(scheduler, 10);
    subscription.unsubscribe();
    await elapse(scheduler, 10);
    expect([kinesis.subscriptions.length, kinesis.subscriptions[0]!.nexts, kinesis.subscriptions[0]!.returns]).to.deep.equal([1, 1, 1]);
  });

  it('cancels a subscription silent for livenessTimeoutMillis and resubscribes from the last continuation', async () => {
    const kinesis = new ScriptedFanOut(scheduler, [[event('110', '100')], [lastEvent()]]);
    const silences: number[] = [];
    const { seen } = watch(fanOutShard(kinesis, options({ onSilence: () => silences.push(scheduler.now()) })));
    await elapse(scheduler, DEFAULT_LIVENESS_TIMEOUT_MILLIS - 1);
    expect([kinesis.subscriptions.length, kinesis.subscriptions[0]!.returns]).to.deep.equal([1, 0]);
    expect(silences).to.deep.equal([]);
    await elapse(scheduler, 1);
    expect(kinesis.subscriptions[0]!.returns).to.equal(1);
    expect(silences, 'told of the silence').to.have.length(1);
    expect(kinesis.positions).to.deep.equal(['AT_SEQUENCE_NUMBER 42', 'AFTER_SEQUENCE_NUMBER 110']);
    await elapse(scheduler, 10);
    expect(summary(seen.values)).to.deep.equal(['[100] 7', 'end shardId-000000000001']);
    expect(seen.completed).to.equal(true);
  });

  it('honours livenessTimeoutMillis', async () => {
    const kinesis = new ScriptedFanOut(scheduler);
    watch(fanOutShard(kinesis, options({ livenessTimeoutMillis: 5000 })));
    await elapse(scheduler, 4999);
    expect(kinesis.subscriptions).to.have.length(1);
    await elapse(scheduler, 1);
    expect(kinesis.subscriptions).to.have.length(2);
    expect(kinesis.positions).to.deep.equal(['AT_SEQUENCE_NUMBER 42', 'AT_SEQUENCE_NUMBER 42']);
  });

  it('passes on the original error after maxRetries retryable failures in a row, without cancelling the failed subscriptions', async () => {
    const kinesis = new ScriptedFanOut(scheduler, [[{ error: transient }], [{ error: transient }], [{ error: transient }], [lastEvent()]]);
    const { seen } = watch(fanOutShard(kinesis, options()));
    await elapse(scheduler, 10_000);
    expect(seen.error).to.equal(transient);
    expect(seen.values).to.deep.equal([]);
    expect(kinesis.subscriptions).to.have.length(3);
    expect(kinesis.subscriptions.map((s) => s.returns)).to.deep.equal([0, 0, 0]);
  });

  it('passes a non-retryable failure on at once', async () => {
    const denied = new KinesisCallError('SubscribeToShard', 'AccessDeniedException', 'no');
    const kinesis = new ScriptedFanOut(scheduler, [[event('110', '100'), { error: denied }], [lastEvent()]]);
    const { seen } = watch(fanOutShard(kinesis, options()));
    // No virtual time passes: no backoff.
    await ticks();
    expect(seen.error).to.equal(denied);
    await elapse(scheduler, 10_000);
    expect(kinesis.subscriptions).to.have.length(1);
    expect(summary(seen.values)).to.deep.equal(['[100] 7']);
  });

  it('passes on a failure that is not the library’s at once', async () => {
    const bug = new TypeError('broken port');
    const kinesis = new ScriptedFanOut(scheduler, [[{ error: bug }], [lastEvent()]]);
    const { seen } = watch(fanOutShard(kinesis, options()));
    await elapse(scheduler, 10_000);
    expect(seen.error).to.equal(bug);
    expect(kinesis.subscriptions).to.have.length(1);
  });

  it('treats StreamNotFoundError as the end of the shard, with no children', async () => {
    const gone = new StreamNotFoundError('SubscribeToShard', 's', 'consumer not found');
    const kinesis = new ScriptedFanOut(scheduler, [[event('110', '100'), { error: gone }]]);
    const { seen } = watch(fanOutShard(kinesis, options()));
    await elapse(scheduler, 10);
    expect(seen.values).to.deep.equal([{ _tag: 'Records', records: [record('100')], millisBehindLatest: 7 }, { _tag: 'ShardEnd', childShards: [] }]);
    expect(seen.completed).to.equal(true);
  });

  it('ends the shard on StreamNotFoundError only when isShardGone confirms it; else fails, naming the consumer', async () => {
    const notFound = new StreamNotFoundError('SubscribeToShard', 's', 'consumer not found');
    const asked: boolean[] = [];
    const gone = new ScriptedFanOut(scheduler, [[{ error: notFound }]]);
    const ended = watch(fanOutShard(gone, options({ isShardGone: () => (asked.push(true), of(true)) })));
    await elapse(scheduler, 10);
    expect(ended.seen.values).to.deep.equal([{ _tag: 'ShardEnd', childShards: [] }]);
    expect(asked).to.have.length(1);

    const there = new ScriptedFanOut(scheduler, [[event('110', '100'), { error: notFound }]]);
    const failed = watch(fanOutShard(there, options({ isShardGone: () => of(false) })));
    await elapse(scheduler, 10);
    expect(summary(failed.seen.values)).to.deep.equal(['[100] 7']);
    expect(failed.seen.error).to.be.instanceOf(KinesisCallError);
    expect((failed.seen.error as KinesisCallError).retryable).to.equal(false);
    expect((failed.seen.error as Error).message).to.contain('arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1');
    expect((failed.seen.error as Error).cause).to.equal(notFound);
  });

  it('is cold: each subscription reads with subscriptions of its own, from the start', async () => {
    const kinesis = new ScriptedFanOut(scheduler, [[event('110', '100'), ended], [lastEvent()], [lastEvent()]]);
    const shard$ = fanOutShard(kinesis, options());
    const first = watch(shard$);
    await elapse(scheduler, 10);
    const second = watch(shard$);
    await elapse(scheduler, 10_000);
    expect(kinesis.positions).to.deep.equal(['AT_SEQUENCE_NUMBER 42', 'AT_SEQUENCE_NUMBER 42', 'AFTER_SEQUENCE_NUMBER 110']);
    expect(kinesis.subscriptions.map((s) => s.at)).to.deep.equal([0, 10, 1000]);
    expect(summary(first.seen.values)).to.deep.equal(['[100] 7', 'end shardId-000000000001']);
    expect(summary(second.seen.values)).to.deep.equal(['end shardId-000000000001']);
  });

  it('reads a port built on async generators, closing the generator when unsubscribed', async () => {
    const closed: string[] = [];
    const kinesis: KinesisFanOutPort = {
      ensureStreamConsumer: () => throwError(() => new Error('unscripted')),
      subscribeToShard: (_arn, _shardId, position) =>
        (async function* () {
          try {
            const from = position.type === 'AFTER_SEQUENCE_NUMBER' ? Number(position.sequenceNumber) : 0;
            for (let n = from + 1; ; n++) {
              yield { records: [record(String(n))], continuationSequenceNumber: String(n), millisBehindLatest: 0 };
            }
          } finally {
            closed.push(position.type);
          }
        })(),
    };
    const deliveries: Subject<never>[] = [];
    const { seen, subscription } = watch(
      fanOutShardThrough(kinesis, options(), () => {
        const delivery = new Subject<never>();
        deliveries.push(delivery);
        return delivery;
      }),
    );
    await elapse(scheduler, 10);
    deliveries[0]!.complete();
    await elapse(scheduler, 10);
    deliveries[1]!.complete();
    await elapse(scheduler, 10);
    expect(deliveries).to.have.length(3);
    subscription.unsubscribe();
    await ticks();
    expect(closed).to.deep.equal(['AT_SEQUENCE_NUMBER']);
    expect(seen.error).to.equal(undefined);
  });
});
