/**
 * callTimeouts must derive each limit from the lease timing (requests: the renew interval, at
 * least 1 s; reads: the failover time, from 10 s to 30 s; set-up: 60 s), take the overrides given,
 * and refuse limits that are not positive numbers of milliseconds.
 */
import { expect } from 'chai';
import { callTimeouts } from '../../lib/consumer/call-timeouts';

describe('callTimeouts', () => {
  it('gives requests the renew interval and reads the failover time, with the KCL defaults', () => {
    expect(callTimeouts({ failoverTimeMillis: 10_000, renewIntervalMillis: 3308 })).to.deep.equal({ requestMillis: 3308, readMillis: 10_000, setUpMillis: 60_000 });
  });

  it('keeps requests at 1 s and reads at 10 s at least, and reads at 30 s at most', () => {
    expect(callTimeouts({ failoverTimeMillis: 1500, renewIntervalMillis: 475 })).to.deep.equal({ requestMillis: 1000, readMillis: 10_000, setUpMillis: 60_000 });
    expect(callTimeouts({ failoverTimeMillis: 20_000, renewIntervalMillis: 6641 })).to.include({ requestMillis: 6641, readMillis: 20_000 });
    expect(callTimeouts({ failoverTimeMillis: 120_000, renewIntervalMillis: 39_975 })).to.include({ requestMillis: 39_975, readMillis: 30_000 });
  });

  it('takes the overrides given, each on its own', () => {
    expect(callTimeouts({ failoverTimeMillis: 10_000, renewIntervalMillis: 3308 }, { requestMillis: 8000, setUpMillis: 1000 })).to.deep.equal({
      requestMillis: 8000,
      readMillis: 10_000,
      setUpMillis: 1000,
    });
  });

  it('refuses an override that is not a positive number of milliseconds, naming it', () => {
    const timing = { failoverTimeMillis: 10_000, renewIntervalMillis: 3308 };
    expect(() => callTimeouts(timing, { readMillis: -1 })).to.throw(TypeError, 'consume$: callTimeouts.readMillis must be a positive number of milliseconds, got -1');
    expect(() => callTimeouts(timing, { setUpMillis: Number.POSITIVE_INFINITY })).to.throw(TypeError, /callTimeouts.setUpMillis/);
    expect(() => callTimeouts(timing, { requestMillis: '5' as unknown as number })).to.throw(TypeError, /callTimeouts.requestMillis/);
  });
});
