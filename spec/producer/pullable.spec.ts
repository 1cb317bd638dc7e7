import { expect } from 'chai';
import { from, map, materialize, Observable, take, type ObservableNotification, type VirtualTimeScheduler } from 'rxjs';
import { InvalidRecordError } from '../../lib/model/errors';
import type { ProducerEvent } from '../../lib/model/producer-event';
import { isSendFailed, isSendSuccessful, type SendResult } from '../../lib/model/send-result';
import { produce } from '../../lib/producer/produce';
import { Pullable, pullable } from '../../lib/producer/pullable';
import { conf, events, kinesisWith, storedUserRecords, virtualTime } from './support';

/** Lets every promise chain that is already under way move on by `turns` steps. */
async function ticks(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

/** Every notification of `source`, recorded as it comes, and whether they came during `subscribe`. */
function notifications<T>(source: Observable<T>): { readonly seen: ObservableNotification<T>[]; readonly duringSubscribe: number } {
  const seen: ObservableNotification<T>[] = [];
  source.pipe(materialize()).subscribe((n) => seen.push(n));
  return { seen, duringSubscribe: seen.length };
}

interface Outcome {
  readonly results: SendResult[];
  completed: boolean;
  error: unknown;
}

function subscribeTo(source: Observable<SendResult>, results: SendResult[]): Outcome {
  const outcome: Outcome = { results, completed: false, error: undefined };
  source.subscribe({
    next: (result) => results.push(result),
    error: (error: unknown) => (outcome.error = error),
    complete: () => (outcome.completed = true),
  });
  return outcome;
}

/**
 * Runs virtual time and lets promise chains move on, in turns, until `outcome` ends. Each turn lets
 * an async generator run far ahead (hundreds of values) if nothing holds it back.
 */
async function runAsyncToEnd(outcome: Outcome, scheduler: VirtualTimeScheduler): Promise<void> {
  for (let round = 0; round < 10_000 && !outcome.completed && outcome.error === undefined; round++) {
    scheduler.flush();
    await ticks(1000);
  }
}

type Kind = 'sync' | 'async';

/**
 * `count` events from a generator that records, each time it yields, how far it is ahead of the
 * results received so far, and whether it was closed. `invalidAt` is an event with an empty
 * partition key; `refusedBeforeNext` whether its result was out when the generator went on.
 */
function instrumented(kind: Kind, count: number, results: readonly SendResult[], invalidAt = -1) {
  const probe = { yielded: [] as ProducerEvent[], mostAhead: 0, closed: false, refusedBeforeNext: undefined as boolean | undefined };
  const eventAt = (i: number): ProducerEvent => {
    if (i === invalidAt + 1) probe.refusedBeforeNext = results.some((r) => r.event === probe.yielded[invalidAt]);
    const event = i === invalidAt ? { partitionKey: '', payload: 'invalid' } : { partitionKey: `key-${i}`, payload: `payload-${i}` };
    probe.yielded.push(event);
    probe.mostAhead = Math.max(probe.mostAhead, probe.yielded.length - results.length);
    return event;
  };
  function* sync(): Generator<ProducerEvent> {
    try {
      for (let i = 0; i < count; i++) yield eventAt(i);
    } finally {
      probe.closed = true;
    }
  }
  async function* async(): AsyncGenerator<ProducerEvent> {
    try {
      for (let i = 0; i < count; i++) yield eventAt(i);
    } finally {
      probe.closed = true;
    }
  }
  return { probe, events: kind === 'sync' ? sync() : async() };
}

/** Runs `source` to its end: virtual time alone for a synchronous generator, with promise turns for an async one. */
async function runToEnd(kind: Kind, outcome: Outcome, scheduler: VirtualTimeScheduler): Promise<void> {
  if (kind === 'sync') scheduler.flush();
  else await runAsyncToEnd(outcome, scheduler);
}

describe('pullable', () => {
  describe('must', () => {
    it('emit like from() over an iterable when subscribed directly: synchronously, then complete', () => {
      function* values(): Generator<number> {
        yield* [1, 2, 3];
      }
      for (const make of [() => [1, 2, 3], values]) {
        const ours = notifications(pullable(make()));
        const theirs = notifications(from(make()));
        expect(ours).to.deep.equal(theirs);
        expect(ours.duringSubscribe).to.equal(4);
      }
    });

    it('emit like from() over an async iterable when subscribed directly, errors included', async () => {
      const boom = new Error('boom');
      async function* values(fail: boolean): AsyncGenerator<number> {
        yield 1;
        await Promise.resolve();
        yield 2;
        if (fail) throw boom;
      }
      for (const fail of [false, true]) {
        const ours = notifications(pullable(values(fail)));
        const theirs = notifications(from(values(fail)));
        await ticks(50);
        expect(ours).to.deep.equal(theirs);
        expect(ours.duringSubscribe).to.equal(0);
        expect(ours.seen.map((n) => n.kind)).to.deep.equal(['N', 'N', fail ? 'E' : 'C']);
      }
    });

    it('become an ordinary Observable behind any operator', () => {
      const source = pullable([1, 2, 3]);
      expect(source).to.be.instanceOf(Observable);
      expect(source).to.be.instanceOf(Pullable);
      expect(source.pipe(map((n) => n * 2))).not.to.be.instanceOf(Pullable);
    });

    for (const kind of ['sync', 'async'] as const) {
      it(`feed produce() from a ${kind} generator never more than max-outstanding-requests ahead of the results`, async () => {
        const scheduler = virtualTime();
        const kinesis = kinesisWith(scheduler, 2);
        const results: SendResult[] = [];
        const { probe, events: source } = instrumented(kind, 5000, results);
        const outcome = subscribeTo(pullable(source).pipe(produce(conf({}, { 'max-outstanding-requests': 100 }), { kinesis, scheduler })), results);

        await runToEnd(kind, outcome, scheduler);

        expect(outcome.error).to.equal(undefined);
        expect(outcome.completed).to.equal(true);
        expect(probe.yielded).to.have.length(5000);
        expect(probe.mostAhead).to.be.at.most(100);
        // Exactly one SendSuccessful per event.
        expect(results).to.have.length(5000);
        expect(results.every(isSendSuccessful)).to.equal(true);
        const answered = new Set(results.map((r) => r.event));
        expect(answered.size).to.equal(5000);
        expect(probe.yielded.every((event) => answered.has(event))).to.equal(true);
        expect(storedUserRecords(kinesis)).to.have.length(5000);
      });

      it(`refuse an invalid event from a ${kind} generator at once, and send the rest`, async () => {
        const scheduler = virtualTime();
        const kinesis = kinesisWith(scheduler, 2);
        const results: SendResult[] = [];
        const { probe, events: source } = instrumented(kind, 5000, results, 2500);
        const outcome = subscribeTo(pullable(source).pipe(produce(conf({}, { 'max-outstanding-requests': 100 }), { kinesis, scheduler })), results);

        await runToEnd(kind, outcome, scheduler);

        expect(outcome.completed).to.equal(true);
        expect(probe.refusedBeforeNext).to.equal(true);
        expect(probe.mostAhead).to.be.at.most(100);
        const failed = results.filter(isSendFailed);
        expect(failed.map((f) => f.event)).to.deep.equal([probe.yielded[2500]]);
        expect(failed[0]!.reason).to.be.instanceOf(InvalidRecordError);
        expect(results.filter(isSendSuccessful)).to.have.length(4999);
        expect(storedUserRecords(kinesis)).to.have.length(4999);
      });

      it(`close a ${kind} generator when unsubscribed early, having pulled only what was in flight`, async () => {
        const scheduler = virtualTime();
        const kinesis = kinesisWith(scheduler, 2);
        const results: SendResult[] = [];
        const { probe, events: source } = instrumented(kind, 1_000_000, results);
        const outcome = subscribeTo(pullable(source).pipe(produce(conf({}, { 'max-outstanding-requests': 100 }), { kinesis, scheduler }), take(150)), results);

        await runToEnd(kind, outcome, scheduler);
        await ticks(50);

        expect(outcome.completed).to.equal(true);
        expect(results).to.have.length(150);
        expect(probe.closed).to.equal(true);
        expect(probe.yielded.length).to.be.at.most(250);
      });
    }

    it('error produce() with what the generator throws, the same instance', async () => {
      const boom = new Error('generator broke');
      function* values(): Generator<ProducerEvent> {
        yield* events(3);
        throw boom;
      }
      const scheduler = virtualTime();
      const outcome = subscribeTo(pullable(values()).pipe(produce(conf(), { kinesis: kinesisWith(scheduler, 1), scheduler })), []);
      scheduler.flush();
      expect(outcome.error).to.equal(boom);
    });

    it('be what from() is to anything but produce(): every event pushed at once into its buffer', () => {
      const scheduler = virtualTime();
      const results: SendResult[] = [];
      const { probe, events: source } = instrumented('sync', 5000, results);
      // Behind an operator the source is pushed, and the generator runs to its end during subscribe.
      const outcome = subscribeTo(
        pullable(source).pipe(
          map((event) => event),
          produce(conf({}, { 'max-outstanding-requests': 100 }), { kinesis: kinesisWith(scheduler, 2), scheduler }, { maxBufferedEvents: Infinity }),
        ),
        results,
      );
      expect(probe.yielded).to.have.length(5000);
      scheduler.flush();
      expect(outcome.completed).to.equal(true);
      expect(probe.mostAhead).to.equal(5000);
      expect(results.filter(isSendSuccessful)).to.have.length(5000);
    });
  });
});
