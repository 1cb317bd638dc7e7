import { expect } from 'chai';
import { Observable, Subscription, type Subscriber } from 'rxjs';
import { limitInFlight, pullInFlight, type BoundedPipeline } from '../../lib/producer/in-flight';

/** Lets every promise chain that is already under way move on by `turns` steps. */
async function ticks(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

/** A pipeline that holds what it is given until the test answers it, first in first out. */
function heldPipeline<T>() {
  const admitted: T[] = [];
  const unanswered: T[] = [];
  let output: Subscriber<readonly T[]> | undefined;
  let inputDone = false;
  const settle = () => {
    if (inputDone && unanswered.length === 0) output?.complete();
  };
  const pipeline: BoundedPipeline<T, T> = (input) =>
    new Observable<readonly T[]>((subscriber) => {
      output = subscriber;
      return input.subscribe({
        next: (chunk) => {
          admitted.push(...chunk);
          unanswered.push(...chunk);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          inputDone = true;
          settle();
        },
      });
    });
  return {
    pipeline,
    admitted,
    get unanswered(): number {
      return unanswered.length;
    },
    /** Answers the `count` oldest values in one chunk. */
    answer(count: number): void {
      output!.next(unanswered.splice(0, count));
      settle();
    },
  };
}

interface Seen<T> {
  values: T[];
  error: unknown;
  completed: boolean;
}

function nothingSeen<T>(): Seen<T> {
  return { values: [], error: undefined, completed: false };
}

/** What comes out of a subscription, recorded into `seen`. */
function watch<T>(source: Observable<T>, seen: Seen<T> = nothingSeen()) {
  const subscription = source.subscribe({
    next: (value) => seen.values.push(value),
    error: (error: unknown) => (seen.error = error),
    complete: () => (seen.completed = true),
  });
  return { seen, subscription };
}

/**
 * An async iterator over `values`, counting `next()` and `return()` calls. Each `next()` answers
 * once the test releases it when `gated`, else on a later turn.
 */
class CountingIterator<T> implements AsyncIterableIterator<T> {
  nexts = 0;
  returns = 0;
  private index = 0;
  private readonly gates: (() => void)[] = [];

  constructor(
    private readonly values: readonly T[],
    private readonly options: { readonly gated?: boolean; readonly failAt?: { readonly index: number; readonly error: unknown } } = {},
    private readonly onNext: () => void = () => undefined,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    this.nexts += 1;
    this.onNext();
    const index = this.index++;
    const step = (): IteratorResult<T> => {
      const { failAt } = this.options;
      if (failAt !== undefined && index === failAt.index) throw failAt.error;
      return index < this.values.length ? { done: false, value: this.values[index]! } : { done: true, value: undefined };
    };
    if (this.options.gated !== true) return Promise.resolve().then(step);
    return new Promise<void>((resolve) => this.gates.push(resolve)).then(step);
  }

  return(): Promise<IteratorResult<T>> {
    this.returns += 1;
    return Promise.resolve({ done: true, value: undefined });
  }

  /** Lets the oldest waiting `next()` answer. */
  release(): void {
    const gate = this.gates.shift();
    if (gate === undefined) throw new Error('no next() is waiting');
    gate();
  }

  get waiting(): number {
    return this.gates.length;
  }
}

describe('pullInFlight over an async iterable', () => {
  describe('must', () => {
    it('never have more than max values taken from the iterator and unanswered, and fill every slot', async () => {
      const max = 4;
      const values = Array.from({ length: 50 }, (_, i) => i);
      const held = heldPipeline<number>();
      const seen = nothingSeen<number>();
      let mostAhead = 0;
      // Counted when next() is called, so a value on its way counts as taken.
      const iterator: CountingIterator<number> = new CountingIterator(values, {}, () => {
        mostAhead = Math.max(mostAhead, iterator.nexts - seen.values.length);
      });
      watch(pullInFlight<number, number>({ max }, held.pipeline)(iterator), seen);
      for (let round = 0; !seen.completed && round < 200; round++) {
        await ticks();
        // Answers 1, 2, 3, … of what is held, so slots free in varying numbers.
        if (held.unanswered > 0) held.answer((round % 3) + 1);
      }
      expect(seen.completed).to.equal(true);
      expect([...seen.values].sort((a, b) => a - b)).to.deep.equal(values);
      expect(mostAhead).to.equal(max);
    });

    it('admit each value as it arrives, and stop calling next() while every slot is taken', async () => {
      const iterator = new CountingIterator(['a', 'b', 'c', 'd', 'e'], { gated: true });
      const held = heldPipeline<string>();
      const { seen } = watch(pullInFlight<string, string>({ max: 3 }, held.pipeline)(iterator));
      const progress: string[] = [];
      const note = () => progress.push(`${held.admitted.join('')}/${iterator.nexts}`);
      note();
      for (let i = 0; i < 3; i++) {
        iterator.release();
        await ticks();
        note();
      }
      await ticks();
      note();
      held.answer(1);
      await ticks();
      note();
      iterator.release();
      await ticks();
      note();
      // One next() at a time; a value admitted before the next is asked for; none asked for while full.
      expect(progress).to.deep.equal(['/1', 'a/2', 'ab/3', 'abc/3', 'abc/3', 'abc/4', 'abcd/4']);
      expect(seen.values).to.deep.equal(['a']);
      expect(seen.completed).to.equal(false);
    });

    it('answer refused values at once, without taking a slot', async () => {
      const iterator = new CountingIterator(['x', 'a', 'x', 'b', 'c']);
      const held = heldPipeline<string>();
      const refuse = (v: string) => (v === 'x' ? 'x refused' : undefined);
      const { seen } = watch(pullInFlight<string, string>({ max: 2, refuse }, held.pipeline)(iterator));
      await ticks();
      expect(seen.values).to.deep.equal(['x refused', 'x refused']);
      expect(held.admitted).to.deep.equal(['a', 'b']);
      held.answer(2);
      await ticks();
      expect(held.admitted).to.deep.equal(['a', 'b', 'c']);
      held.answer(1);
      await ticks();
      expect(seen.values).to.deep.equal(['x refused', 'x refused', 'a', 'b', 'c']);
      expect(seen.completed).to.equal(true);
    });

    it('complete only after the last result, once the iterator is done, without calling return()', async () => {
      const iterator = new CountingIterator(['a', 'b']);
      const held = heldPipeline<string>();
      const { seen } = watch(pullInFlight<string, string>({ max: 5 }, held.pipeline)(iterator));
      await ticks();
      expect([held.admitted, iterator.nexts, seen.completed]).to.deep.equal([['a', 'b'], 3, false]);
      held.answer(1);
      await ticks();
      expect(seen.completed).to.equal(false);
      held.answer(1);
      expect(seen.completed).to.equal(true);
      expect(seen.values).to.deep.equal(['a', 'b']);
      expect(iterator.returns).to.equal(0);
    });

    it('error with what the iterator rejects with, the same instance', async () => {
      const boom = new Error('boom');
      const iterator = new CountingIterator(['a', 'b', 'c'], { failAt: { index: 1, error: boom } });
      const held = heldPipeline<string>();
      const { seen } = watch(pullInFlight<string, string>({ max: 5 }, held.pipeline)(iterator));
      await ticks();
      expect(seen.error).to.equal(boom);
      expect(held.admitted).to.deep.equal(['a']);
      expect(iterator.returns).to.equal(0);
    });

    it('error with what an async generator throws', async () => {
      const boom = new Error('generator broke');
      async function* values(): AsyncGenerator<string> {
        yield 'a';
        throw boom;
      }
      const held = heldPipeline<string>();
      const { seen } = watch(pullInFlight<string, string>({ max: 5 }, held.pipeline)(values()));
      await ticks();
      expect(seen.error).to.equal(boom);
    });

    it('call return() on unsubscribe, while full or while a next() is waiting, and never again', async () => {
      const full = new CountingIterator(['a', 'b', 'c', 'd']);
      const whileFull = watch(pullInFlight<string, string>({ max: 2 }, heldPipeline<string>().pipeline)(full));
      await ticks();
      expect(full.nexts).to.equal(2);
      whileFull.subscription.unsubscribe();
      whileFull.subscription.unsubscribe();
      expect(full.returns).to.equal(1);

      const gated = new CountingIterator(['a', 'b'], { gated: true });
      const held = heldPipeline<string>();
      const whileWaiting = watch(pullInFlight<string, string>({ max: 2 }, held.pipeline)(gated));
      whileWaiting.subscription.unsubscribe();
      expect(gated.returns).to.equal(1);
      // The value that was on its way goes nowhere, and nothing more is asked for.
      gated.release();
      await ticks();
      expect([held.admitted, gated.nexts, whileWaiting.seen.values]).to.deep.equal([[], 1, []]);
    });

    it("run an async generator's finally block when unsubscribed early", async () => {
      let closed = false;
      let pulled = 0;
      async function* values(): AsyncGenerator<number> {
        try {
          for (;;) yield ++pulled;
        } finally {
          closed = true;
        }
      }
      const held = heldPipeline<number>();
      const { subscription } = watch(pullInFlight<number, number>({ max: 3 }, held.pipeline)(values()));
      await ticks();
      held.answer(1);
      await ticks();
      subscription.unsubscribe();
      await ticks();
      expect([pulled, closed]).to.deep.equal([4, true]);
    });
  });
});

describe('admission options', () => {
  const pipeline: BoundedPipeline<number, number> = (admitted) => admitted;
  const scheduler = { now: () => 0, schedule: () => new Subscription() };

  it('refuses a max in flight or a maxPerTurn that is not a positive integer, naming it', () => {
    expect(() => pullInFlight({ max: 0 }, pipeline)).to.throw(TypeError, 'max in flight');
    expect(() => limitInFlight({ max: 2.5, maxBuffered: 1, onOverflow: (v: number) => v }, pipeline)).to.throw(TypeError, 'max in flight');
    for (const maxPerTurn of [0, 1.5, Number.NaN]) {
      expect(() => pullInFlight({ max: 1, turn: { scheduler, maxPerTurn } }, pipeline)).to.throw(TypeError, 'maxPerTurn');
      expect(() => limitInFlight({ max: 1, maxBuffered: 1, onOverflow: (v: number) => v, turn: { scheduler, maxPerTurn } }, pipeline)).to.throw(TypeError, 'maxPerTurn');
    }
  });
});
