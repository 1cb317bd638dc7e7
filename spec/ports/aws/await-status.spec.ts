import { expect } from 'chai';
import { defer, of, throwError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { awaitStatus } from '../../../lib/ports/aws/await-status';

describe('awaitStatus', function () {
  let testScheduler: TestScheduler;

  beforeEach(function () {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /** Answers each subscription with the next status, repeating the last one. */
  function statuses(...answers: string[]): { status$: Observable<string>; polls: () => number } {
    let polls = 0;
    const status$ = defer(() => of(answers[Math.min(polls++, answers.length - 1)]!));
    return { status$, polls: () => polls };
  }

  const timedOut = new Error('timed out');

  it('polls with doubling pauses, capped, and emits once when the status is ready', function () {
    testScheduler.run(({ expectObservable }) => {
      const { status$, polls } = statuses('CREATING', 'CREATING', 'CREATING', 'CREATING', 'ACTIVE');
      const polling = { scheduler: testScheduler, initialDelayMillis: 10, maxDelayMillis: 25, timeoutMillis: 1_000 };
      // Polls at 0, 10, 30 (after 20), 55 (after the cap of 25), 80.
      expectObservable(awaitStatus(status$, (s) => s === 'ACTIVE', polling, () => timedOut)).toBe('80ms (a|)', { a: undefined });
      testScheduler.flush();
      expect(polls()).to.equal(5);
    });
  });

  it('completes at once when the first status is ready', function () {
    testScheduler.run(({ expectObservable }) => {
      const { status$ } = statuses('ACTIVE');
      const polling = { scheduler: testScheduler, initialDelayMillis: 10, maxDelayMillis: 25, timeoutMillis: 1_000 };
      expectObservable(awaitStatus(status$, (s) => s === 'ACTIVE', polling, () => timedOut)).toBe('(a|)', { a: undefined });
    });
  });

  it('fails with the timeout error when the status never becomes ready', function () {
    testScheduler.run(({ expectObservable }) => {
      const { status$ } = statuses('CREATING');
      const polling = { scheduler: testScheduler, initialDelayMillis: 10, maxDelayMillis: 25, timeoutMillis: 100 };
      expectObservable(awaitStatus(status$, (s) => s === 'ACTIVE', polling, () => timedOut)).toBe('100ms #', undefined, timedOut);
    });
  });

  it('passes on an error of the status call', function () {
    testScheduler.run(({ expectObservable }) => {
      const failure = new Error('describe failed');
      const polling = { scheduler: testScheduler, initialDelayMillis: 10, maxDelayMillis: 25, timeoutMillis: 100 };
      expectObservable(awaitStatus(throwError(() => failure), () => true, polling, () => timedOut)).toBe('#', undefined, failure);
    });
  });
});
