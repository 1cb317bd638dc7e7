import { expect } from 'chai';
import { bufferCount, concat, concatAll, map, merge, mergeMap, NEVER, tap, timer, toArray, type Observable, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { limitInFlight, pullInFlight } from '../../lib/producer/in-flight';
import { testScheduler } from './support';

// prettier-ignore
describe('limitInFlight (marbles)', () => {
  const overflow = (v: string) => `${v}!`;

  it('admits at most max values and refills as results come out', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' (abcd)|', { a: 'a', b: 'b', c: 'c', d: 'd' });
      const subs = '       ^-----!';
      // Each admitted value takes 10 ms in the pipeline.
      const admittedAt: string[] = [];
      const pipeline = (admitted: Observable<readonly string[]>) =>
        admitted.pipe(concatAll(), mergeMap((v) => (admittedAt.push(`${v}@${ts.now()}`), timer(10, ts).pipe(map(() => [v])))));
      const expected = '   10ms (ab) 6ms (cd|)';
      expectObservable(source.pipe(limitInFlight({ max: 2, maxBuffered: 10, onOverflow: overflow }, pipeline))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe(subs);
      ts.flush();
      expect(admittedAt).to.deep.equal(['a@0', 'b@0', 'c@10', 'd@10']);
    });
  });

  it('sheds what does not fit in the buffer, at once, as the overflow result', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold(' (abcdef)|', { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e', f: 'f' });
      const pipeline = (admitted: Observable<readonly string[]>) => admitted.pipe(concatAll(), mergeMap((v) => timer(10, ts).pipe(map(() => [v]))));
      const expected = '   (EF) 6ms (ab) 6ms (cd|)';
      expectObservable(source.pipe(limitInFlight({ max: 2, maxBuffered: 2, onOverflow: overflow }, pipeline))).toBe(expected, {
        a: 'a',
        b: 'b',
        c: 'c',
        d: 'd',
        E: 'e!',
        F: 'f!',
      });
    });
  });

  it('holds values until the pipeline subscribes to them', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold(' a-b|', { a: 'a', b: 'b' });
      const pipeline = (admitted: Observable<readonly string[]>) => concat(timer(5, ts).pipe(map(() => [] as string[])), admitted.pipe(concatAll(), map((v) => [v])));
      const expected = '   -----(ab|)';
      expectObservable(source.pipe(limitInFlight({ max: 5, maxBuffered: 5, onOverflow: overflow }, pipeline))).toBe(expected);
    });
  });

  it('signals saturation when admissions fill the last slot', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold(' a-bc|', { a: 'a', b: 'b', c: 'c' });
      // Each value takes 3 ms; saturation is reported as an empty chunk, which frees no slot.
      const pipeline = (admitted: Observable<readonly string[]>, saturated: Observable<void>) =>
        merge(
          saturated.pipe(map(() => ['saturated'] as string[]), map(() => [] as string[])),
          admitted.pipe(concatAll(), mergeMap((v) => timer(3, ts).pipe(map(() => [`${v}@${ts.now()}`])))),
        );
      const seen: number[] = [];
      const watched = (admitted: Observable<readonly string[]>, saturated: Observable<void>) => pipeline(admitted, saturated.pipe(tap(() => seen.push(ts.now()))));
      // b fills the second slot at 2; c waits for a's slot (free at 3). The output stays open: the
      // saturation signal merged into it lasts as long as the subscription.
      expectObservable(source.pipe(limitInFlight({ max: 2, maxBuffered: 5, onOverflow: overflow }, watched))).toBe('---a-bc', {
        a: 'a@3',
        b: 'b@5',
        c: 'c@6',
      });
      ts.flush();
      expect(seen).to.deep.equal([2, 3]);
    });
  });

  it('admits whatever fits when slots free as one chunk', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const source = cold(' (abcde)|', { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e' });
      const chunks: string[] = [];
      // The first three results come out together at 10, freeing three slots at once.
      const pipeline = (admitted: Observable<readonly string[]>) =>
        admitted.pipe(
          tap((chunk) => chunks.push(`${chunk.join('')}@${ts.now()}`)),
          bufferCount(3),
          mergeMap((held) => timer(10, ts).pipe(map(() => held.flat()))),
        );
      expectObservable(source.pipe(limitInFlight({ max: 3, maxBuffered: 10, onOverflow: overflow }, pipeline))).toBe('10ms (abc) 5ms (de|)');
      ts.flush();
      expect(chunks).to.deep.equal(['a@0', 'b@0', 'c@0', 'de@10']);
    });
  });
});

// prettier-ignore
describe('pullInFlight (marbles)', () => {
  const refuse = (v: string) => (v === 'x' ? 'x refused' : undefined);

  it('pulls only as many values as there are free slots, in one chunk each time', () => {
    const ts = testScheduler();
    ts.run(({ expectObservable }) => {
      const pulledAt: string[] = [];
      function* values(): Generator<string> {
        for (const v of 'abcde') {
          pulledAt.push(`${v}@${ts.now()}`);
          yield v;
        }
      }
      const chunks: string[] = [];
      const pipeline = (admitted: Observable<readonly string[]>) =>
        admitted.pipe(
          tap((chunk) => chunks.push(chunk.join(''))),
          concatAll(),
          mergeMap((v) => timer(10, ts).pipe(map(() => [v]))),
        );
      expectObservable(pullInFlight({ max: 2 }, pipeline)(values())).toBe('10ms (ab) 6ms (cd) 6ms (e|)');
      ts.flush();
      expect(pulledAt).to.deep.equal(['a@0', 'b@0', 'c@10', 'd@10', 'e@20']);
      expect(chunks).to.deep.equal(['ab', 'c', 'd', 'e']);
    });
  });

  it('answers refused values at once, without a slot, and pulls on', () => {
    const ts = testScheduler();
    ts.run(({ expectObservable }) => {
      const pipeline = (admitted: Observable<readonly string[]>) => admitted.pipe(mergeMap((chunk) => timer(10, ts).pipe(map(() => chunk))));
      expectObservable(pullInFlight({ max: 2, refuse }, pipeline)(['x', 'a', 'x', 'b', 'c'])).toBe('(XX) 6ms (ab) 6ms (c|)', { X: 'x refused', a: 'a', b: 'b', c: 'c' });
    });
  });

  it('errors with what the iterator throws', () => {
    const ts = testScheduler();
    ts.run(({ expectObservable }) => {
      const boom = new Error('boom');
      function* values(): Generator<string> {
        yield 'a';
        throw boom;
      }
      const pipeline = (admitted: Observable<readonly string[]>) => admitted.pipe(map((chunk) => [...chunk]));
      expectObservable(pullInFlight({ max: 5 }, pipeline)(values())).toBe('#', undefined, boom);
    });
  });

  it('starts pulling only once the pipeline subscribes, and closes the iterator when unsubscribed early', () => {
    const ts = testScheduler();
    ts.run(({ expectObservable }) => {
      let pulled = 0;
      let closed = false;
      function* values(): Generator<string> {
        try {
          for (;;) {
            pulled += 1;
            yield `${pulled}`;
          }
        } finally {
          closed = true;
        }
      }
      const pipeline = (admitted: Observable<readonly string[]>) =>
        concat(timer(5, ts).pipe(map(() => [] as string[])), admitted.pipe(mergeMap((chunk) => timer(10, ts).pipe(map(() => chunk)))));
      expectObservable(pullInFlight({ max: 3 }, pipeline)(values()), '20ms !').toBe('15ms (abc)', { a: '1', b: '2', c: '3' });
      ts.flush();
      expect([pulled, closed]).to.deep.equal([6, true]);
    });
  });
});


// prettier-ignore
describe('admission in turns (marbles)', () => {
  /**
   * A pipeline that logs each chunk as it is admitted and, as a request would be, "sends" it in a
   * 0 ms action of its own; each value's result comes out `answerAfter` ms after admission.
   */
  function loggingPipeline(ts: TestScheduler, log: string[], answerAfter: number) {
    return (admitted: Observable<readonly string[]>) =>
      admitted.pipe(
        tap((chunk) => {
          log.push(`admit ${chunk.join('')}@${ts.now()}`);
          ts.schedule(() => log.push(`send ${chunk.join('')}@${ts.now()}`));
        }),
        mergeMap((chunk) => timer(answerAfter, ts).pipe(map(() => chunk))),
      );
  }

  it('admits at most maxPerTurn values at once, the rest after what was scheduled meanwhile', () => {
    const ts = testScheduler();
    ts.run(({ expectObservable }) => {
      const log: string[] = [];
      const turn = { scheduler: ts, maxPerTurn: 3 };
      expectObservable(pullInFlight({ max: 10, turn }, loggingPipeline(ts, log, 5))('abcdefgh')).toBe('5ms (abcdefgh|)');
      ts.flush();
      // Without turns, all eight would go in as one chunk before anything is sent.
      expect(log).to.deep.equal(['admit abc@0', 'send abc@0', 'admit def@0', 'send def@0', 'admit gh@0', 'send gh@0']);
    });
  });

  it('admits at once when results free slots before the next turn comes', () => {
    const ts = testScheduler();
    ts.run(({ expectObservable }) => {
      const log: string[] = [];
      const turn = { scheduler: ts, maxPerTurn: 2 };
      // max 2: the first turn fills both slots; the results at 5 ms let c and d in straight away.
      expectObservable(pullInFlight({ max: 2, turn }, loggingPipeline(ts, log, 5))('abcde')).toBe('5ms (ab) 1ms (cd) 1ms (e|)');
      ts.flush();
      expect(log).to.deep.equal(['admit ab@0', 'send ab@0', 'admit cd@5', 'send cd@5', 'admit e@10', 'send e@10']);
    });
  });

  it('drains a push source’s buffer in turns too', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable }) => {
      const log: string[] = [];
      const turn = { scheduler: ts, maxPerTurn: 2 };
      // Results come out four at a time, 5 ms after the fourth value went in.
      const pipeline = (admitted: Observable<readonly string[]>) =>
        admitted.pipe(
          tap((chunk) => {
            log.push(`admit ${chunk.join('')}@${ts.now()}`);
            ts.schedule(() => log.push(`send ${chunk.join('')}@${ts.now()}`));
          }),
          concatAll(),
          bufferCount(4),
          mergeMap((held) => timer(5, ts).pipe(map(() => held))),
        );
      const limited = cold('(abcdefgh)|').pipe(limitInFlight({ max: 4, maxBuffered: 10, onOverflow: (v) => `${v}!`, turn }, pipeline));
      // Each result drawn with the time it came out at, all in one frame at the end.
      const timed = limited.pipe(map((v) => `${v}@${ts.now()}`), toArray());
      expectObservable(timed).toBe('10ms (x|)', { x: ['a@5', 'b@5', 'c@5', 'd@5', 'e@10', 'f@10', 'g@10', 'h@10'] });
      ts.flush();
      // a to d are offered one at a time into free slots; at 5 ms four slots free, and the buffer
      // goes in two at a time, a turn apart.
      expect(log.slice(8)).to.deep.equal(['admit ef@5', 'send ef@5', 'admit gh@5', 'send gh@5']);
    });
  });

  it('cancels a pending turn when unsubscribed, and pulls nothing more', () => {
    const ts = testScheduler();
    ts.run(() => {
      let pulled = 0;
      function* values(): Generator<number> {
        for (;;) yield ++pulled;
      }
      const turns: Subscription[] = [];
      const scheduler: SchedulerLike = {
        now: () => ts.now(),
        schedule: <T>(work: (this: SchedulerAction<T>, state?: T) => void, delay?: number, state?: T) => {
          const turn = ts.schedule(work, delay, state);
          turns.push(turn);
          return turn;
        },
      };
      const pipeline = (admitted: Observable<readonly number[]>) => admitted.pipe(mergeMap(() => NEVER));
      const subscription = pullInFlight({ max: 10, turn: { scheduler, maxPerTurn: 2 } }, pipeline)(values()).subscribe();
      expect(turns.map((turn) => turn.closed)).to.deep.equal([false]);
      subscription.unsubscribe();
      expect(turns.map((turn) => turn.closed)).to.deep.equal([true]);
      ts.flush();
      expect(pulled).to.equal(2);
    });
  });
});
