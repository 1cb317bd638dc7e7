import { expect } from 'chai';
import { interval, take, type SchedulerAction } from 'rxjs';
import * as sinon from 'sinon';
import { nextTurnScheduler } from '../../lib/producer/next-turn-scheduler';

describe('nextTurnScheduler', function () {
  let clock: sinon.SinonFakeTimers;

  beforeEach(function () {
    clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'] });
  });

  afterEach(function () {
    clock.restore();
  });

  it('runs a 0 ms action on the next immediate, not synchronously nor on a microtask', async function () {
    const immediates = sinon.spy(globalThis, 'setImmediate');
    const timeouts = sinon.spy(globalThis, 'setTimeout');
    try {
      const runs: number[] = [];
      nextTurnScheduler.schedule(() => runs.push(Date.now()), 0);
      expect(runs).to.deep.equal([]);
      await Promise.resolve();
      expect(runs).to.deep.equal([]);
      expect(immediates.callCount, 'immediates').to.equal(1);
      expect(timeouts.callCount, 'timeouts').to.equal(0);
      clock.tick(0);
      expect(runs).to.deep.equal([1_000_000]);
    } finally {
      timeouts.restore();
      immediates.restore();
    }
  });

  it('takes an absent delay as 0 ms', function () {
    const runs: string[] = [];
    nextTurnScheduler.schedule(() => runs.push('action'));
    expect(runs).to.deep.equal([]);
    clock.tick(0);
    expect(runs).to.deep.equal(['action']);
  });

  it('runs a 0 ms action before a 1 ms timer set earlier', function () {
    const order: string[] = [];
    setTimeout(() => order.push('timer'), 1);
    nextTurnScheduler.schedule(() => order.push('action'), 0);
    clock.tick(1);
    expect(order).to.deep.equal(['action', 'timer']);
  });

  it('runs a 1 ms action on a timer, not on the next immediate', function () {
    const runs: number[] = [];
    nextTurnScheduler.schedule(() => runs.push(Date.now() - 1_000_000), 1);
    clock.tick(0);
    expect(runs).to.deep.equal([]);
    clock.tick(1);
    expect(runs).to.deep.equal([1]);
  });

  it('runs a 5 ms action at 5 ms, not 4, with its state', function () {
    const runs: Array<[number, string | undefined]> = [];
    nextTurnScheduler.schedule<string>(function (state) {
      runs.push([Date.now() - 1_000_000, state]);
    }, 5, 'payload');
    clock.tick(4);
    expect(runs).to.deep.equal([]);
    clock.tick(1);
    expect(runs).to.deep.equal([[5, 'payload']]);
    clock.tick(100);
    expect(runs).to.have.length(1);
  });

  it('reschedules a next-turn action from inside the work, with the new state and delay', function () {
    const runs: Array<[number, number]> = [];
    nextTurnScheduler.schedule<number>(function (this: SchedulerAction<number>, count = 0) {
      runs.push([Date.now() - 1_000_000, count]);
      if (count < 3) this.schedule(count + 1, count < 2 ? 10 : 0);
    }, 0);
    clock.tick(0);
    expect(runs).to.deep.equal([[0, 0]]);
    clock.tick(20);
    expect(runs).to.deep.equal([
      [0, 0],
      [10, 1],
      [20, 2],
    ]);
    clock.runAll();
    expect(runs.map(([, count]) => count)).to.deep.equal([0, 1, 2, 3]);
    // The fake clock puts an immediate set while it ticks 1 ms on, where Node runs it on the next turn.
    expect(runs[3]![0] - 20, 'the 0 ms rerun').to.be.at.most(1);
    expect(clock.countTimers(), 'nothing left pending').to.equal(0);
  });

  it('never runs an action unsubscribed before it is due, and leaves no timer behind', function () {
    const runs: string[] = [];
    nextTurnScheduler.schedule(() => runs.push('immediate'), 0).unsubscribe();
    nextTurnScheduler.schedule(() => runs.push('timeout'), 5).unsubscribe();
    expect(clock.countTimers()).to.equal(0);
    clock.tick(1_000);
    expect(runs).to.deep.equal([]);
  });

  it('stops rescheduling once the work unsubscribes itself', function () {
    let runs = 0;
    const action = nextTurnScheduler.schedule(function (this: SchedulerAction<undefined>) {
      runs++;
      if (runs === 2) this.unsubscribe();
      else this.schedule(undefined, 1);
    }, 1) as SchedulerAction<undefined>;
    clock.tick(100);
    expect(runs).to.equal(2);
    expect(action.closed).to.equal(true);
    expect(action.schedule(undefined, 1), 'a closed action stays closed').to.equal(action);
    clock.tick(100);
    expect(runs).to.equal(2);
  });

  it('replaces a pending run when rescheduled from outside, running once', function () {
    const runs: Array<[number, string | undefined]> = [];
    const action = nextTurnScheduler.schedule<string>((state) => runs.push([Date.now() - 1_000_000, state]), 5, 'first') as SchedulerAction<string>;
    action.schedule('second', 0);
    action.schedule('third', 8);
    expect(clock.countTimers(), 'one pending run').to.equal(1);
    clock.tick(7);
    expect(runs).to.deep.equal([]);
    clock.tick(1);
    expect(runs).to.deep.equal([[8, 'third']]);
    clock.tick(1_000);
    expect(runs).to.have.length(1);
  });

  it('replaces a pending immediate with a timer', function () {
    const runs: number[] = [];
    const action = nextTurnScheduler.schedule(() => runs.push(Date.now() - 1_000_000), 0) as SchedulerAction<unknown>;
    action.schedule(undefined, 5);
    clock.tick(4);
    expect(runs).to.deep.equal([]);
    clock.tick(1);
    expect(runs).to.deep.equal([5]);
    clock.tick(1_000);
    expect(runs).to.deep.equal([5]);
  });

  it('tells the time of Date.now', function () {
    expect(nextTurnScheduler.now()).to.equal(1_000_000);
    clock.tick(1_234);
    expect(nextTurnScheduler.now()).to.equal(1_001_234);
    clock.setSystemTime(5_000_000);
    expect(nextTurnScheduler.now()).to.equal(5_000_000);
  });

  it('drives RxJS operators: interval(5) emits at 5, 10 and 15 ms', function () {
    const seen: Array<[number, number]> = [];
    let completedAt: number | undefined;
    interval(5, nextTurnScheduler)
      .pipe(take(3))
      .subscribe({ next: (n) => seen.push([n, Date.now() - 1_000_000]), complete: () => (completedAt = Date.now() - 1_000_000) });
    clock.tick(14);
    expect(seen).to.deep.equal([
      [0, 5],
      [1, 10],
    ]);
    clock.tick(1);
    expect(seen).to.deep.equal([
      [0, 5],
      [1, 10],
      [2, 15],
    ]);
    expect(completedAt).to.equal(15);
    expect(clock.countTimers()).to.equal(0);
  });
});
