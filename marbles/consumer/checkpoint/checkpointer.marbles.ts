import { expect } from 'chai';
import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { CheckpointWriteResult } from '../../../lib/consumer/checkpoint/checkpoint-write';
import { checkpointer, type CheckpointerSettings } from '../../../lib/consumer/checkpoint/checkpointer';
import type { CommitProgress } from '../../../lib/consumer/checkpoint/commit-tracker';
import { LeaseStoreError, LeaseStoreThrottledError } from '../../../lib/model/errors';
import { CompoundSequenceNumber as Csn } from '../../../lib/model/sequence-number';

// prettier-ignore
describe('checkpointer (marbles)', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const progress = (seq: number, committedCount = seq): CommitProgress => ({ position: new Csn(String(seq)), committedCount });
  const P: Record<string, CommitProgress> = {
    a: progress(1), b: progress(2), c: progress(3), d: progress(4), e: progress(5), f: progress(6),
  };
  const checkpointed = (seq: number) => ({ _tag: 'Checkpointed', position: new Csn(String(seq)) });
  const throttled = new LeaseStoreThrottledError('UpdateItem', 'ProvisionedThroughputExceededException', 'slow down');
  const failed = (seq: number) => ({ _tag: 'CheckpointFailed', position: new Csn(String(seq)), error: throttled });
  const settings = (overrides: Partial<CheckpointerSettings> = {}): CheckpointerSettings => ({
    intervalMillis: 5,
    backoffMillis: 7,
    finalTimeoutMillis: 20,
    scheduler: testScheduler,
    ...overrides,
  });
  /** A writer answering the n-th write with the n-th response; logs `t=<time> <sequence>`. */
  const writer = (...responses: Observable<CheckpointWriteResult>[]) => {
    const writes: string[] = [];
    const write = (position: Csn) => {
      writes.push(`t=${testScheduler.now()} ${position.sequenceNumber}`);
      const response = responses.shift();
      if (response === undefined) throw new Error('unscripted write');
      return response;
    };
    return { write, writes };
  };
  const ok = (seq: number) => ({ x: { _tag: 'Checkpointed' as const, position: new Csn(String(seq)) } });

  it('writes the newest position once the interval after the first commit has passed', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const input = hot(' -a-b--------c---|', P);
      const subs = '      ^---------------!';
      const expected = '  8ms x 9ms (y|)';
      const { write, writes } = writer(cold('--(x|)', ok(2)), cold('--(x|)', ok(3)));
      expectObservable(input.pipe(checkpointer(write, settings()))).toBe(expected, { x: checkpointed(2), y: checkpointed(3) });
      expectSubscriptions(input.subscriptions).toBe(subs);
      testScheduler.flush();
      expect(writes).to.deep.equal(['t=6 2', 't=16 3'], 'b at the end of the window, c at once on completion');
    });
  });

  it('with firstAtOnce, writes the first position at once, then in windows as before', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const input = hot(' -a-b--------c---|', P);
      const expected = '  ---x------y-------(z|)';
      const { write, writes } = writer(cold('--(x|)', ok(1)), cold('--(x|)', ok(2)), cold('--(x|)', ok(3)));
      expectObservable(input.pipe(checkpointer(write, settings({ firstAtOnce: true })))).toBe(expected, { x: checkpointed(1), y: checkpointed(2), z: checkpointed(3) });
      testScheduler.flush();
      expect(writes).to.deep.equal(['t=1 1', 't=8 2', 't=16 3'], 'a at once; b at the end of the window opened after that write');
    });
  });

  it('writes at once when maxCommits commits have accumulated since the last write', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const input = hot(' -a-b-c--d-e-f-----|', P);
      const expected = '  -------x------y---|';
      const { write, writes } = writer(cold('--(x|)', ok(3)), cold('--(x|)', ok(6)));
      expectObservable(input.pipe(checkpointer(write, settings({ intervalMillis: 10, maxCommits: 3 })))).toBe(expected, { x: checkpointed(3), y: checkpointed(6) });
      testScheduler.flush();
      expect(writes).to.deep.equal(['t=5 3', 't=12 6']);
    });
  });

  it('waits backoffMillis after a throttled write, then writes the newest position', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const input = hot(' -a--------b-----', P);
      const expected = '  8ms f 8ms x';
      const { write, writes } = writer(cold('--#', {}, throttled), cold('--(x|)', ok(2)));
      expectObservable(input.pipe(checkpointer(write, settings()))).toBe(expected, { f: failed(1), x: checkpointed(2) });
      testScheduler.flush();
      expect(writes).to.deep.equal(['t=6 1', 't=15 2']);
    });
  });

  it('backs off after any lease-store fault, not only throttling', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const fault = new LeaseStoreError('UpdateItem', 'InternalServerError', 'boom', { retryable: true });
      const input = hot(' -a----', P);
      const expected = '  8ms f 8ms x';
      const { write } = writer(cold('--#', {}, fault), cold('--(x|)', ok(1)));
      expectObservable(input.pipe(checkpointer(write, settings()))).toBe(expected, {
        f: { _tag: 'CheckpointFailed', position: new Csn('1'), error: fault },
        x: checkpointed(1),
      });
    });
  });

  it('never writes the same position twice, nor a lower one', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const input = hot(' -c-a---------c--|', P);
      const expected = '  8ms x 7ms |';
      const { write, writes } = writer(cold('--(x|)', ok(3)));
      expectObservable(input.pipe(checkpointer(write, settings()))).toBe(expected, { x: checkpointed(3) });
      testScheduler.flush();
      expect(writes).to.deep.equal(['t=6 3']);
    });
  });

  it('writes nothing while nothing is committed', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const input = hot<CommitProgress>(' ----------|');
      const { write, writes } = writer();
      expectObservable(input.pipe(checkpointer(write, settings()))).toBe('----------|');
      testScheduler.flush();
      expect(writes).to.deep.equal([]);
    });
  });

  it('on completion, lets a write in flight finish and then writes the newest position at once', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const input = hot(' -a---b|', P);
      const expected = '  6ms x 2ms (y|)';
      const { write, writes } = writer(cold('---(x|)', ok(1)), cold('---(x|)', ok(2)));
      expectObservable(input.pipe(checkpointer(write, settings({ intervalMillis: 2 })))).toBe(expected, { x: checkpointed(1), y: checkpointed(2) });
      testScheduler.flush();
      expect(writes).to.deep.equal(['t=3 1', 't=6 2']);
    });
  });

  it('retries a failed final write after the backoff, within the final timeout', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const input = hot(' -a|', P);
      const expected = '  4ms f 8ms (x|)';
      const { write, writes } = writer(cold('--#', {}, throttled), cold('--(x|)', ok(1)));
      expectObservable(input.pipe(checkpointer(write, settings()))).toBe(expected, { f: failed(1), x: checkpointed(1) });
      testScheduler.flush();
      expect(writes).to.deep.equal(['t=2 1', 't=11 1']);
    });
  });

  it('gives up the final write when finalTimeoutMillis has passed since completion', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const input = hot(' -a|', P);
      const hanging = cold<CheckpointWriteResult>('-');
      const expected = '  12ms |';
      const { write } = writer(hanging);
      expectObservable(input.pipe(checkpointer(write, settings({ finalTimeoutMillis: 10 })))).toBe(expected);
      expectSubscriptions(hanging.subscriptions).toBe('--^---------!');
    });
  });

  it('stops at once, unsubscribing its input, when a write says the lease is lost', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const input = hot(' -a--b-------', P);
      const subs = '      ^-------!';
      const expected = '  --------(l|)';
      const lost = { _tag: 'LeaseLost' as const, shardId: 's' };
      const { write, writes } = writer(cold('--(l|)', { l: lost }));
      expectObservable(input.pipe(checkpointer(write, settings()))).toBe(expected, { l: lost });
      expectSubscriptions(input.subscriptions).toBe(subs);
      testScheduler.flush();
      expect(writes).to.have.length(1);
    });
  });

  it('passes on an error that is not a lease-store fault', () => {
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const bug = new TypeError('bug');
      const input = hot(' -a---', P);
      const { write } = writer(cold('--#', {}, bug));
      expectObservable(input.pipe(checkpointer(write, settings()))).toBe('--------#', undefined, bug);
    });
  });

  it('refuses settings out of range', () => {
    const { write } = writer();
    expect(() => checkpointer(write, settings({ intervalMillis: -1 }))).to.throw(TypeError, /intervalMillis/);
    expect(() => checkpointer(write, settings({ maxCommits: 0 }))).to.throw(TypeError, /maxCommits/);
  });
});
