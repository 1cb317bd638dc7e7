import { expect } from 'chai';
import type { Observable, SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { fanOutShard, fanOutShardThrough, type FanOutShardOptions } from '../../lib/consumer/fan-out/subscribe-shard';
import type { PollEvent } from '../../lib/consumer/polling/poll-shard';
import { KinesisCallError, KinesisThrottledError, StreamNotFoundError } from '../../lib/model/errors';
import type { ChildShard, IteratorPosition, KinesisFanOutPort, ShardSubscriptionEvent } from '../../lib/ports/kinesis-port';
import { kinesisRecord } from './scripted-kinesis';

type Outcome<V> = { readonly ok: true; readonly value: V } | { readonly ok: false; readonly error: unknown };

/**
 * A promise that settles synchronously, when the marble Observable behind it emits. `from()` only
 * calls `then`, so the reader sees the answer at the virtual time it was scripted for; a real
 * Promise would settle on the microtask queue, which a TestScheduler flush never reaches (the
 * specs cover real promises).
 */
class SyncAnswer<V> implements PromiseLike<V> {
  private outcome: Outcome<V> | undefined;
  private readonly waiting: ((outcome: Outcome<V>) => void)[] = [];

  settle(outcome: Outcome<V>): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    for (const run of this.waiting.splice(0)) run(outcome);
  }

  then<A = V, B = never>(onValue?: ((value: V) => A | PromiseLike<A>) | null, onError?: ((error: unknown) => B | PromiseLike<B>) | null): SyncAnswer<A | B> {
    const next = new SyncAnswer<A | B>();
    const run = (outcome: Outcome<V>) => {
      try {
        if (outcome.ok) next.settle({ ok: true, value: onValue ? (onValue(outcome.value) as A) : (outcome.value as unknown as A) });
        else if (onError) next.settle({ ok: true, value: onError(outcome.error) as B });
        else next.settle(outcome);
      } catch (error) {
        next.settle({ ok: false, error });
      }
    };
    if (this.outcome === undefined) this.waiting.push(run);
    else run(this.outcome);
    return next;
  }
}

const describePosition = (p: IteratorPosition): string =>
  p.type === 'AT_SEQUENCE_NUMBER' || p.type === 'AFTER_SEQUENCE_NUMBER' ? `${p.type} ${p.sequenceNumber}` : p.type;

/**
 * A fan-out port whose n-th subscription answers its k-th `next()` with `script[n][k]`: an event
 * (`-(e|)`), the end of the subscription (`-|`) or a failure (`-#`), timed from the call. A
 * subscription runs silent once its answers are used up. Logs `t=<time> subscribe <position>`,
 * `t=<time> next #<n>` and `t=<time> return #<n>` (n counts subscriptions from 1).
 */
function scriptedFanOut(scheduler: SchedulerLike, script: readonly (readonly Observable<ShardSubscriptionEvent>[])[]) {
  const calls: string[] = [];
  const remaining = script.map((answers) => [...answers]);
  let made = 0;
  const kinesis: KinesisFanOutPort = {
    ensureStreamConsumer: () => {
      throw new Error('unscripted ensureStreamConsumer');
    },
    subscribeToShard: (_arn, _shardId, position) => {
      const n = ++made;
      calls.push(`t=${scheduler.now()} subscribe ${describePosition(position)}`);
      const answers = remaining[n - 1];
      const iterator: AsyncIterator<ShardSubscriptionEvent> = {
        next: () => {
          calls.push(`t=${scheduler.now()} next #${n}`);
          const answer = new SyncAnswer<IteratorResult<ShardSubscriptionEvent>>();
          if (answers === undefined) answer.settle({ ok: false, error: new Error('unscripted subscribeToShard') });
          answers?.shift()?.subscribe({
            next: (value) => answer.settle({ ok: true, value: { done: false, value } }),
            error: (error: unknown) => answer.settle({ ok: false, error }),
            complete: () => answer.settle({ ok: true, value: { done: true, value: undefined } }),
          });
          return answer as unknown as Promise<IteratorResult<ShardSubscriptionEvent>>;
        },
        return: () => {
          calls.push(`t=${scheduler.now()} return #${n}`);
          return Promise.resolve({ done: true, value: undefined });
        },
      };
      return { [Symbol.asyncIterator]: () => iterator };
    },
  };
  return { kinesis, calls };
}

// prettier-ignore
describe('fanOutShard (marbles)', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const options = (overrides: Partial<FanOutShardOptions> = {}): FanOutShardOptions => ({
    streamName: 's',
    shardId: 'shardId-000000000000',
    consumerArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1',
    start: { type: 'TRIM_HORIZON' },
    backoff: { initialMillis: 800, maxMillis: 5000, maxRetries: 2 },
    scheduler: testScheduler,
    ...overrides,
  });
  const r1 = kinesisRecord('100');
  const r2 = kinesisRecord('200');
  const child: ChildShard = { shardId: 'shardId-000000000001', parentShards: ['shardId-000000000000'], hashKeyRange: { startingHashKey: 0n, endingHashKey: 10n } };
  const event = (records: ShardSubscriptionEvent['records'], continuation: string | undefined, millisBehindLatest = 0): ShardSubscriptionEvent =>
    continuation === undefined ? { records, millisBehindLatest, childShards: [child] } : { records, continuationSequenceNumber: continuation, millisBehindLatest };
  const page = (e: ShardSubscriptionEvent): PollEvent => ({ _tag: 'Records', records: e.records, millisBehindLatest: e.millisBehindLatest ?? 0 });
  const shardEnd = (childShards: readonly ChildShard[] = [child]): PollEvent => ({ _tag: 'ShardEnd', childShards });
  const resourceInUse = new KinesisCallError('SubscribeToShard', 'ResourceInUseException', 'another subscription is active');
  const throttled = new KinesisThrottledError('SubscribeToShard', 'LimitExceededException', 'slow down');
  const transient = new KinesisCallError('SubscribeToShard', 'InternalFailure', 'oops', { retryable: true });

  it('resubscribes from the last continuation when the service ends a subscription, waiting out the second since the last subscribe', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = event([r1], '150', 500);
      const e2 = event([], '160');
      const e3 = event([r2], '250');
      const e4 = event([], undefined);
      const { kinesis, calls } = scriptedFanOut(testScheduler, [
        [cold('-(e|)', { e: e1 }), cold('--|')],
        // Lasts longer than a second: the next subscription goes out at once.
        [cold('-(e|)', { e: e2 }), cold('-(e|)', { e: e3 }), cold('1500ms |')],
        [cold('-(e|)', { e: e4 })],
      ]);
      expectObservable(fanOutShard(kinesis, options())).toBe('-a 999ms bc 1500ms (d|)', {
        a: page(e1),
        b: page(e2),
        c: page(e3),
        d: shardEnd(),
      });
      testScheduler.flush();
      expect(calls.filter((c) => c.includes('subscribe'))).to.deep.equal([
        't=0 subscribe TRIM_HORIZON',
        // The first subscription ended at 3; the next waits until a second after the first.
        't=1000 subscribe AFTER_SEQUENCE_NUMBER 150',
        't=2502 subscribe AFTER_SEQUENCE_NUMBER 250',
      ]);
    });
  });

  it('completes right after the shard end', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { kinesis } = scriptedFanOut(testScheduler, [[cold('-(e|)', { e: event([], undefined) })]]);
      expectObservable(fanOutShard(kinesis, options())).toBe('-(a|)', { a: shardEnd() });
    });
  });

  it('at shard end delivers the records, then ShardEnd with the children, then completes, and cancels the subscription', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const last = event([r1, r2], undefined, 0);
      const { kinesis, calls } = scriptedFanOut(testScheduler, [[cold('--(e|)', { e: last })]]);
      // Each event takes 3 ms to deliver: ShardEnd is delivered only after the records.
      const deliver = (e: PollEvent) => cold('---(x|)', { x: e._tag === 'Records' ? `records ${e.records.map((r) => r.sequenceNumber).join(',')}` : `end ${e.childShards.map((c) => c.shardId).join(',')}` });
      expectObservable(fanOutShardThrough(kinesis, options(), deliver)).toBe('5ms x 2ms (y|)', { x: 'records 100,200', y: 'end shardId-000000000001' });
      testScheduler.flush();
      expect(calls).to.deep.equal(['t=0 subscribe TRIM_HORIZON', 't=0 next #1', 't=2 return #1']);
    });
  });

  it('without records at shard end delivers only ShardEnd', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = event([r1], '150');
      const { kinesis } = scriptedFanOut(testScheduler, [[cold('-(e|)', { e: e1 }), cold('-(e|)', { e: { records: [] } })]]);
      expectObservable(fanOutShard(kinesis, options())).toBe('-a(b|)', { a: page(e1), b: shardEnd([]) });
    });
  });

  it('backs off on ResourceInUseException and on throttling, for as long as they last, never under a second between subscribes', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const last = event([r1], undefined);
      const { kinesis, calls } = scriptedFanOut(testScheduler, [
        [cold('-#', {}, resourceInUse)],
        [cold('-#', {}, throttled)],
        [cold('-#', {}, resourceInUse)],
        // More than maxRetries (2) in a row: they bound only other failures.
        [cold('-#', {}, throttled)],
        [cold('-(e|)', { e: last })],
      ]);
      expectObservable(fanOutShard(kinesis, options())).toBe('10804ms (ab|)', { a: page(last), b: shardEnd() });
      testScheduler.flush();
      expect(calls.filter((c) => c.includes('subscribe'))).to.deep.equal([
        't=0 subscribe TRIM_HORIZON',
        // Failed at 1: a backoff of 800 ms, but a second since the last subscribe.
        't=1000 subscribe TRIM_HORIZON',
        // Failed at 1001: 1600 ms.
        't=2601 subscribe TRIM_HORIZON',
        // Failed at 2602: 3200 ms.
        't=5802 subscribe TRIM_HORIZON',
        // Failed at 5803: 6400 ms, capped at 5000.
        't=10803 subscribe TRIM_HORIZON',
      ]);
      expect(calls.slice(-2)).to.deep.equal(['t=10803 next #5', 't=10804 return #5']);
    });
  });

  it('retries other retryable failures after a backoff, at most maxRetries in a row, a delivered event starting the count again', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = event([r1], '150');
      const { kinesis, calls } = scriptedFanOut(testScheduler, [
        [cold('-#', {}, transient)],
        [cold('-#', {}, transient)],
        [cold('-(e|)', { e: e1 }), cold('-#', {}, transient)],
        [cold('-#', {}, transient)],
        [cold('-#', {}, transient)],
      ]);
      expectObservable(fanOutShard(kinesis, options({ backoff: { initialMillis: 1500, maxMillis: 5000, maxRetries: 2 } }))).toBe('4503ms a 4502ms #', { a: page(e1) }, transient);
      testScheduler.flush();
      expect(calls.filter((c) => c.includes('subscribe'))).to.deep.equal([
        't=0 subscribe TRIM_HORIZON',
        't=1501 subscribe TRIM_HORIZON',
        't=4502 subscribe TRIM_HORIZON',
        // The count started again at the event: 1500 ms, then 3000 ms; the third failure is passed on.
        't=6004 subscribe AFTER_SEQUENCE_NUMBER 150',
        't=9005 subscribe AFTER_SEQUENCE_NUMBER 150',
      ]);
    });
  });

  it('passes a non-retryable failure on at once', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const invalid = new KinesisCallError('SubscribeToShard', 'InvalidArgumentException', 'bad sequence number');
      const { kinesis, calls } = scriptedFanOut(testScheduler, [[cold('-#', {}, invalid)]]);
      expectObservable(fanOutShard(kinesis, options())).toBe('-#', undefined, invalid);
      testScheduler.flush();
      expect(calls).to.deep.equal(['t=0 subscribe TRIM_HORIZON', 't=0 next #1']);
    });
  });

  it('treats ResourceNotFound as the end of the shard, with no children (KCL)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const gone = new StreamNotFoundError('SubscribeToShard', 's', 'Shard shardId-000000000000 does not exist');
      const e1 = event([r1], '150');
      const { kinesis } = scriptedFanOut(testScheduler, [[cold('-(e|)', { e: e1 }), cold('--#', {}, gone)]]);
      expectObservable(fanOutShard(kinesis, options())).toBe('-a-(b|)', { a: page(e1), b: shardEnd([]) });
    });
  });

  it('cancels a subscription silent for 60 s and resubscribes at once from the last continuation', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = event([r1], '150');
      const last = event([], undefined);
      // The first subscription answers once, then nothing.
      const { kinesis, calls } = scriptedFanOut(testScheduler, [[cold('-(e|)', { e: e1 })], [cold('-(e|)', { e: last })]]);
      expectObservable(fanOutShard(kinesis, options())).toBe('-a 60000ms (b|)', { a: page(e1), b: shardEnd() });
      testScheduler.flush();
      expect(calls).to.deep.equal([
        't=0 subscribe TRIM_HORIZON',
        't=0 next #1',
        't=1 next #1',
        't=60001 return #1',
        't=60001 subscribe AFTER_SEQUENCE_NUMBER 150',
        't=60001 next #2',
        't=60002 return #2',
      ]);
    });
  });

  it('counts only the wait for an answer against the liveness timeout, not the time spent delivering', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = event([r1], '150');
      const e2 = event([r2], '250');
      const { kinesis, calls } = scriptedFanOut(testScheduler, [
        [cold('-(e|)', { e: e1 }), cold('99ms (e|)', { e: e2 }), cold('99ms (e|)', { e: event([], undefined) })],
      ]);
      // e1 takes 150 ms to deliver; each answer comes within the 100 ms allowed.
      const deliver = (e: PollEvent) => (e._tag === 'Records' && e.records.length > 0 && e.records[0] === r1 ? cold('150ms (x|)', { x: 1 }) : cold('(x|)', { x: 2 }));
      expectObservable(fanOutShardThrough(kinesis, options({ livenessTimeoutMillis: 100 }), deliver)).toBe('151ms x 98ms y 98ms (y|)', { x: 1, y: 2 });
      testScheduler.flush();
      expect(calls.filter((c) => c.includes('subscribe') || c.includes('return'))).to.deep.equal(['t=0 subscribe TRIM_HORIZON', 't=349 return #1']);
    });
  });

  it('asks for the next event only once the last is delivered and the gate has opened', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const e1 = event([r1], '150');
      const e2 = event([r2], '250');
      const { kinesis, calls } = scriptedFanOut(testScheduler, [[cold('-(e|)', { e: e1 }), cold('-(e|)', { e: e2 }), cold('-(e|)', { e: event([], undefined) })]]);
      const deliveries = new Map([
        [e1.records, cold('a---(b|)')],
        [e2.records, cold('(c|)')],
      ]);
      const deliver = (e: PollEvent) => (e._tag === 'ShardEnd' ? cold('(z|)') : deliveries.get(e.records)!);
      const gate = hot('--g-------g---g');
      expectObservable(fanOutShardThrough(kinesis, options(), deliver, () => gate)).toBe('-a---b-----c---(z|)');
      // Asked once e1 is delivered (at 5), open at 10; asked once e2 is delivered (at 11), open at 14.
      expectSubscriptions(gate.subscriptions).toBe(['-----^----!', '-----------^--!']);
      testScheduler.flush();
      expect(calls.filter((c) => c.includes('next'))).to.deep.equal(['t=0 next #1', 't=10 next #1', 't=14 next #1']);
    });
  });

  it('ends without ShardEnd when the gate completes without opening', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const e1 = event([r1], '150');
      const { kinesis, calls } = scriptedFanOut(testScheduler, [[cold('-(e|)', { e: e1 }), cold('-(e|)', { e: event([], undefined) })]]);
      expectObservable(fanOutShard(kinesis, options(), () => cold('--|'))).toBe('-a-|', { a: page(e1) });
      testScheduler.flush();
      expect(calls).to.deep.equal(['t=0 subscribe TRIM_HORIZON', 't=0 next #1', 't=3 return #1']);
    });
  });

  it('cancels the subscription when unsubscribed mid-delivery, and asks nothing more of it', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const e1 = event([r1], '150');
      const { kinesis, calls } = scriptedFanOut(testScheduler, [[cold('-(e|)', { e: e1 }), cold('-(e|)', { e: event([r2], '250') })]]);
      const delivery = cold('a 9ms b 9ms (c|)');
      expectObservable(fanOutShardThrough(kinesis, options(), () => delivery), '^ 15ms !').toBe('-a 9ms b');
      expectSubscriptions(delivery.subscriptions).toBe('-^ 14ms !');
      testScheduler.flush();
      expect(calls).to.deep.equal(['t=0 subscribe TRIM_HORIZON', 't=0 next #1', 't=16 return #1']);
    });
  });

  it('cancels the subscription when a delivery fails', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const boom = new Error('application failed');
      const { kinesis, calls } = scriptedFanOut(testScheduler, [[cold('-(e|)', { e: event([r1], '150') })]]);
      expectObservable(fanOutShardThrough(kinesis, options(), () => cold('--#', {}, boom))).toBe('---#', undefined, boom);
      testScheduler.flush();
      expect(calls.at(-1)).to.equal('t=3 return #1');
    });
  });

  it('refuses options out of range', () => {
    const { kinesis } = scriptedFanOut(testScheduler, []);
    expect(() => fanOutShard(kinesis, options({ livenessTimeoutMillis: 0 }))).to.throw(TypeError, /livenessTimeoutMillis/);
    expect(() => fanOutShard(kinesis, options({ livenessTimeoutMillis: Number.POSITIVE_INFINITY }))).to.throw(TypeError, /livenessTimeoutMillis/);
    expect(() => fanOutShard(kinesis, options({ backoff: { maxRetries: -1 } }))).to.throw(TypeError, /fanOutShard: backoff.maxRetries/);
  });
});
