import { expect } from 'chai';
import { bufferCount, concat, concatAll, map, merge, mergeMap, tap, timer, type Observable } from 'rxjs';
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

