import { expect } from 'chai';
import { ConfigError } from '../../../lib/model/errors';
import { defaultTakeIntervalMillis, resolveLeaseSettings, type LeaseCoordinatorSettings } from '../../../lib/consumer/lease/lease-settings';

const VALID: LeaseCoordinatorSettings = {
  tableName: 'app-stream',
  streamName: 'stream',
  workerId: 'w1',
  failoverTimeMillis: 10_000,
  shardSyncIntervalMillis: 60_000,
  maxLeasesForWorker: 2 ** 31 - 1,
  maxLeasesToStealAtOneTime: 1,
  initialPosition: { type: 'LATEST' },
  cleanupLeasesUponShardCompletion: true,
  parentShardPollIntervalMillis: 10_000,
};

function issuesOf(settings: unknown): string[] {
  try {
    resolveLeaseSettings(settings as LeaseCoordinatorSettings);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => i.path);
  }
  throw new Error('no ConfigError');
}

describe('resolveLeaseSettings must', () => {
  it('derive the KCL periods and fill in the defaults', () => {
    const resolved = resolveLeaseSettings(VALID);
    expect(resolved.epsilonMillis).to.equal(25);
    expect(resolved.renewIntervalMillis).to.equal(3308);
    expect(resolved.takeIntervalMillis).to.equal(2000);
    expect(resolved.contendedTakeIntervalMillis).to.equal(500);
    expect(resolved.confirmTakeIntervalMillis).to.equal(1000);
    expect(resolved.storeBackoffMillis).to.equal(200);
    expect(resolved.gracefulLeaseHandoffTimeoutMillis, 'the KCL 3.x default').to.equal(30_000);
  });

  it('keep what it is given', () => {
    const resolved = resolveLeaseSettings({
      ...VALID,
      epsilonMillis: 0,
      takeIntervalMillis: 700,
      storeBackoffMillis: 50,
      failoverTimeMillis: 1000,
      gracefulLeaseHandoffTimeoutMillis: 4000,
    });
    expect(resolved.gracefulLeaseHandoffTimeoutMillis).to.equal(4000);
    expect(resolved.renewIntervalMillis).to.equal(333);
    expect(resolved.takeIntervalMillis).to.equal(700);
    expect(resolved.contendedTakeIntervalMillis).to.equal(175);
    expect(resolved.confirmTakeIntervalMillis).to.equal(350);
    expect(resolved.storeBackoffMillis).to.equal(50);
  });

  it('scale the default take interval with the failover time', () => {
    expect(defaultTakeIntervalMillis(10_000)).to.equal(2000);
    expect(defaultTakeIntervalMillis(1000)).to.equal(200);
    expect(defaultTakeIntervalMillis(2)).to.equal(1);
  });

  it('report every bad setting at once', () => {
    expect(
      issuesOf({
        ...VALID,
        tableName: '',
        workerId: undefined,
        failoverTimeMillis: -1,
        maxLeasesForWorker: 0,
        maxLeasesToStealAtOneTime: 1.5,
        shardSyncIntervalMillis: 0,
        parentShardPollIntervalMillis: Number.NaN,
        cleanupLeasesUponShardCompletion: 'yes',
        initialPosition: { type: 'AT_SEQUENCE_NUMBER' },
      }),
    ).to.deep.equal([
      'tableName',
      'workerId',
      'failoverTimeMillis',
      'shardSyncIntervalMillis',
      'parentShardPollIntervalMillis',
      'maxLeasesForWorker',
      'maxLeasesToStealAtOneTime',
      'cleanupLeasesUponShardCompletion',
      'initialPosition',
    ]);
  });

  it('check a take interval that is given', () => {
    expect(issuesOf({ ...VALID, takeIntervalMillis: 0 })).to.deep.equal(['takeIntervalMillis']);
    expect(issuesOf({ ...VALID, storeBackoffMillis: -5 })).to.deep.equal(['storeBackoffMillis']);
    expect(issuesOf({ ...VALID, gracefulLeaseHandoffTimeoutMillis: 0 })).to.deep.equal(['gracefulLeaseHandoffTimeoutMillis']);
  });

  it('refuse a failover time that leaves no renew interval', () => {
    expect(issuesOf({ ...VALID, failoverTimeMillis: 75 })).to.deep.equal(['failoverTimeMillis']);
    expect(issuesOf({ ...VALID, epsilonMillis: -1 })).to.deep.equal(['epsilonMillis']);
  });

  it('require a valid timestamp with AT_TIMESTAMP', () => {
    expect(issuesOf({ ...VALID, initialPosition: { type: 'AT_TIMESTAMP', timestamp: new Date(Number.NaN) } })).to.deep.equal(['initialPosition.timestamp']);
    expect(resolveLeaseSettings({ ...VALID, initialPosition: { type: 'AT_TIMESTAMP', timestamp: new Date(0) } }).initialPosition.type).to.equal('AT_TIMESTAMP');
  });

  it('accept 0 for maxLeasesToStealAtOneTime (never steal)', () => {
    expect(resolveLeaseSettings({ ...VALID, maxLeasesToStealAtOneTime: 0 }).maxLeasesToStealAtOneTime).to.equal(0);
  });
});
