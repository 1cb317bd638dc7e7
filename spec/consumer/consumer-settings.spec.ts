/**
 * consumerSettings must map every configuration key the coordinator and the pipelines use, and
 * refuse out-of-range options when the consumer is created.
 */
import { expect } from 'chai';
import { consumerConf } from '../../lib/config/consumer-config';
import { decodeKinesisConfig } from '../../lib/config/kinesis-config';
import { consumerSettings } from '../../lib/consumer/consumer-settings';

const conf = consumerConf(
  decodeKinesisConfig({
    'application-name': 'shop',
    consumer: {
      'stream-name': 'orders',
      kcl: {
        workerId: 'w-1',
        failoverTimeMillis: 4000,
        maxLeasesForWorker: 7,
        maxLeasesToStealAtOneTime: 2,
        gracefulLeaseHandoffTimeoutMillis: 12000,
        shardSyncIntervalMillis: 30000,
        cleanupLeasesUponShardCompletion: false,
        parentShardPollIntervalMillis: 900,
        skipShardSyncAtStartupIfLeasesExist: true,
        initialPositionInStream: 'LATEST',
        maxRecords: 250,
        idleTimeBetweenReadsInMillis: 300,
        taskBackoffTimeMillis: 700,
      },
      checkpointer: { intervalMillis: 1500, backoffMillis: 600 },
      worker: { shutdownTimeoutSeconds: 9 },
    },
  }),
  'consumer',
);

describe('consumerSettings', () => {
  it('maps the configuration onto the lease coordinator and the shard pipelines', () => {
    const { streamName, lease, pipeline } = consumerSettings(conf);
    expect(streamName).to.equal('orders');
    expect(lease).to.deep.equal({
      tableName: 'shop-orders',
      streamName: 'orders',
      workerId: 'w-1',
      failoverTimeMillis: 4000,
      shardSyncIntervalMillis: 30000,
      maxLeasesForWorker: 7,
      maxLeasesToStealAtOneTime: 2,
      gracefulLeaseHandoffTimeoutMillis: 12000,
      initialPosition: { type: 'LATEST' },
      cleanupLeasesUponShardCompletion: false,
      parentShardPollIntervalMillis: 900,
      skipShardSyncAtStartupIfLeasesExist: true,
    });
    expect(pipeline).to.deep.equal({
      initialPosition: { type: 'LATEST' },
      maxRecords: 250,
      idleTimeBetweenReadsMillis: 300,
      backoff: { initialMillis: 700, maxMillis: 10_000 },
      checkpoint: { intervalMillis: 1500, backoffMillis: 600 },
      shutdownTimeoutMillis: 9000,
    });
  });

  it('passes the options without a configuration key', () => {
    const { pipeline, calls } = consumerSettings(conf, { maxUncommitted: 0, checkpointAfterCommits: 100, callTimeouts: { readMillis: 45_000 } });
    expect(pipeline.maxUncommitted).to.equal(0);
    expect(pipeline.checkpoint.maxCommits).to.equal(100);
    expect(calls).to.deep.equal({ requestMillis: 1308, readMillis: 45_000, setUpMillis: 60_000 });
  });

  it('derives the call timeouts from the failover time', () => {
    // failover 4000: renew interval 4000 / 3 − 25 = 1308; reads at least 10 s.
    expect(consumerSettings(conf).calls).to.deep.equal({ requestMillis: 1308, readMillis: 10_000, setUpMillis: 60_000 });
  });

  it('refuses out-of-range options, naming them', () => {
    expect(() => consumerSettings(conf, { maxUncommitted: 1.5 })).to.throw(TypeError, /maxUncommitted must be a non-negative integer, got 1.5/);
    expect(() => consumerSettings(conf, { checkpointAfterCommits: -1 })).to.throw(TypeError, /checkpointAfterCommits must be a positive integer, got -1/);
    expect(() => consumerSettings(conf, { callTimeouts: { requestMillis: 0 } })).to.throw(TypeError, /callTimeouts.requestMillis must be a positive number of milliseconds, got 0/);
  });
});
