/**
 * monotonicScheduler must read the monotonic clock, which a step of the wall clock leaves alone,
 * and run its work after the delay given, as asyncScheduler does, across such a step.
 */
import { expect } from 'chai';
import { timer } from 'rxjs';
import * as sinon from 'sinon';
import { monotonicScheduler } from '../../lib/consumer/monotonic-scheduler';

describe('monotonicScheduler', () => {
  let clock: sinon.SinonFakeTimers;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2025-10-26T00:59:00Z') });
  });

  afterEach(() => clock.restore());

  it('tells the time of performance.now(), not moved by a step of the wall clock', () => {
    const start = monotonicScheduler.now();
    expect(start).to.equal(performance.now());
    clock.tick(250);
    clock.setSystemTime(Date.now() - 3_600_000);
    expect(monotonicScheduler.now() - start).to.equal(250);
    clock.setSystemTime(Date.now() + 7_200_000);
    clock.tick(50);
    expect(monotonicScheduler.now() - start).to.equal(300);
  });

  it('runs work after its delay, across a step of the wall clock', () => {
    const fired: number[] = [];
    const start = monotonicScheduler.now();
    timer(1000, 1000, monotonicScheduler).subscribe(() => fired.push(monotonicScheduler.now() - start));
    clock.tick(500);
    clock.setSystemTime(Date.now() - 3_600_000);
    clock.tick(2600);
    expect(fired).to.deep.equal([1000, 2000, 3000]);
  });
});
