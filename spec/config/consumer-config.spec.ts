import { expect } from 'chai';
import * as path from 'node:path';
import { ConsumerSection } from '../../lib/config/consumer-codec';
import { DEFAULT_CONSUMER_SECTION, consumerConf, type ConsumerConf } from '../../lib/config/consumer-config';
import { decodeKinesisConfig } from '../../lib/config/kinesis-config';
import { configErrorOf, issuesOf } from './helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FIXTURE = path.join(__dirname, 'fixtures', 'application.json');

/** The consumer `name` of a `kinesis` object. */
function conf(kinesis: Record<string, unknown>, name = 'my-consumer'): ConsumerConf {
  return consumerConf(decodeKinesisConfig(kinesis), name);
}

/** A consumer with only a stream name, i.e. every default. */
const defaults = (): ConsumerConf => conf({ 'my-consumer': { 'stream-name': 'the-stream' } });

/** One `kcl` key: a non-default value, and where it lands in the typed conf (none when ignored). */
interface KclCase {
  readonly value: unknown;
  readonly read?: (c: ConsumerConf) => unknown;
  /** What `read` yields for `value`, when it is not `value` itself. */
  readonly expected?: unknown;
}

const KCL_CASES: Readonly<Record<string, KclCase>> = {
  AWSCredentialsProvider: { value: 'com.amazonaws.auth.EnvironmentVariableCredentialsProvider, ProfileCredentialsProvider' },
  AWSCredentialsProviderDynamoDB: { value: 'EnvironmentVariableCredentialsProvider' },
  AWSCredentialsProviderCloudWatch: { value: 'InstanceProfileCredentialsProvider' },
  workerId: { value: 'worker-7', read: (c) => c.workerId },
  initialPositionInStream: { value: 'AT_TIMESTAMP', read: (c) => c.initialPosition.type },
  timestampAtInitialPositionInStream: {
    value: '2020-02-12T10:00:00Z',
    read: (c) => (c.initialPosition.type === 'AT_TIMESTAMP' ? c.initialPosition.timestamp.toISOString() : undefined),
    expected: '2020-02-12T10:00:00.000Z',
  },
  maxRecords: { value: 500, read: (c) => c.polling.maxRecords },
  idleTimeBetweenReadsInMillis: { value: 200, read: (c) => c.polling.idleTimeBetweenReadsMillis },
  retrievalMode: { value: 'FANOUT', read: (c) => c.fanOut !== undefined, expected: true },
  consumerName: { value: 'my-efo-consumer', read: (c) => c.fanOut?.consumerName },
  failoverTimeMillis: { value: 1000, read: (c) => c.leases.failoverTimeMillis },
  shardSyncIntervalMillis: { value: 1001, read: (c) => c.shardSync.intervalMillis },
  shardSyncStrategyType: { value: 'PERIODIC', read: (c) => c.shardSync.strategy },
  cleanupLeasesUponShardCompletion: { value: false, read: (c) => c.shardSync.cleanupLeasesUponShardCompletion },
  validateSequenceNumberBeforeCheckpointing: { value: false, read: (c) => c.checkpointer.validateSequenceNumber },
  regionName: { value: 'eu-west-1', read: (c) => c.aws.region },
  kinesisEndpoint: { value: 'http://127.0.0.1:4567', read: (c) => c.aws.kinesisEndpoint },
  dynamoDBEndpoint: { value: 'dynamodb.local:8000', read: (c) => c.aws.dynamoDBEndpoint, expected: 'https://dynamodb.local:8000' },
  callProcessRecordsEvenForEmptyRecordList: { value: true, read: (c) => c.polling.deliverEmptyBatches },
  parentShardPollIntervalMillis: { value: 1002, read: (c) => c.shardSync.parentShardPollIntervalMillis },
  taskBackoffTimeMillis: { value: 501, read: (c) => c.worker.taskBackoffMillis },
  metricsBufferTimeMillis: { value: 1 },
  metricsMaxQueueSize: { value: 2 },
  metricsLevel: { value: 'NONE' },
  metricsEnabledDimensions: { value: 'Operation' },
  maxLeaseRenewalThreads: { value: 5 },
  maxLeasesForWorker: { value: 7, read: (c) => c.leases.maxLeasesForWorker },
  maxLeasesToStealAtOneTime: { value: 2, read: (c) => c.leases.maxLeasesToStealAtOneTime },
  gracefulLeaseHandoffTimeoutMillis: { value: 5000, read: (c) => c.leases.gracefulHandoffTimeoutMillis },
  initialLeaseTableReadCapacity: { value: 11, read: (c) => c.leases.initialReadCapacity },
  initialLeaseTableWriteCapacity: { value: 12, read: (c) => c.leases.initialWriteCapacity },
  skipShardSyncAtStartupIfLeasesExist: { value: true, read: (c) => c.shardSync.skipAtStartupIfLeasesExist },
  userAgent: { value: 'my-agent', read: (c) => c.aws.userAgent },
  tableName: { value: 'my-leases', read: (c) => c.leaseTableName },
  timeoutInSeconds: { value: 9 },
  shutdownGraceMillis: { value: 5001, read: (c) => c.worker.shutdownGraceMillis },
  retryGetRecordsInSeconds: { value: 3, read: (c) => c.polling.getRecordsRetry?.afterMillis, expected: 3000 },
  maxGetRecordsThreadPool: { value: 4, read: (c) => c.polling.getRecordsRetry?.maxConcurrent },
  dataFetchingStrategy: { value: 'DEFAULT', read: (c) => c.polling.prefetch.enabled, expected: false },
  maxPendingProcessRecordsInput: { value: 4, read: (c) => c.polling.prefetch.maxPendingBatches },
  maxCacheByteSize: { value: 1024, read: (c) => c.polling.prefetch.maxBytes },
  maxRecordsCount: { value: 300, read: (c) => c.polling.prefetch.maxRecords },
  idleMillisBetweenCalls: { value: 1501, read: (c) => c.polling.prefetch.idleMillisBetweenCalls },
  logWarningForTaskAfterMillis: { value: 60000, read: (c) => c.worker.logWarningForTaskAfterMillis },
  ignoreUnexpectedChildShards: { value: true, read: (c) => c.shardSync.ignoreUnexpectedChildShards },
  listShardsBackoffTimeInMillis: { value: 1502, read: (c) => c.shardSync.listShardsBackoffMillis },
  maxListShardsRetryAttempts: { value: 51, read: (c) => c.shardSync.maxListShardsRetryAttempts },
};

describe('config/consumer-config', () => {
  describe('consumerConf must', () => {
    it('read a full consumer section (seed ConsumerConfSpec)', () => {
      const c = conf(
        {
          'application-name': 'TestSpec',
          'my-consumer': {
            'stream-name': 'some-other-stream',
            akka: { dispatcher: 'kinesis.akka.default-dispatcher' },
            worker: { batchTimeoutSeconds: 1234, gracefulShutdownHook: false, shutdownTimeoutSeconds: 2 },
            checkpointer: { backoffMillis: 4321 },
          },
        },
        'my-consumer',
      );
      expect(c.streamName).to.equal('some-other-stream');
      expect(c.applicationName).to.equal('TestSpec');
      expect(c.leaseTableName).to.equal('TestSpec-some-other-stream');
      expect(c.worker).to.include({
        batchTimeoutMillis: 1234_000,
        failedMessageRetries: 1,
        failureTolerancePercentage: 0.25,
        gracefulShutdownHook: false,
        shutdownTimeoutMillis: 2000,
      });
      expect(c.checkpointer).to.include({ backoffMillis: 4321, intervalMillis: 2000, notificationDelayMillis: 1000 });
    });

    it('apply every kcl key it knows (the seed checked every KCL setter by reflection)', () => {
      expect(Object.keys(KCL_CASES).sort()).to.deep.equal(Object.keys(ConsumerSection.props.kcl.props).sort());
      const kcl = Object.fromEntries(Object.entries(KCL_CASES).map(([key, { value }]) => [key, value]));
      const c = conf({ 'my-consumer': { 'stream-name': 's', kcl } });
      const d = defaults();
      for (const [key, { value, read, expected = value }] of Object.entries(KCL_CASES)) {
        if (read === undefined) continue;
        expect(read(c), key).to.deep.equal(expected);
        expect(read(d), `${key} must differ from its default for this test to mean anything`).to.not.deep.equal(expected);
      }
    });

    it('read with enhanced fan-out as the KCL application name unless kcl.consumerName says otherwise', () => {
      const fanOut = (kcl: Record<string, unknown>) => conf({ 'application-name': 'app', 'my-consumer': { 'stream-name': 's', kcl } }).fanOut;
      expect(fanOut({})).to.equal(undefined);
      expect(fanOut({ retrievalMode: 'POLLING', consumerName: 'ignored' })).to.equal(undefined);
      expect(fanOut({ retrievalMode: 'FANOUT' })).to.deep.equal({ consumerName: 'app-s' });
      expect(fanOut({ retrievalMode: 'FANOUT', consumerName: 'c' })).to.deep.equal({ consumerName: 'c' });
      const issues = issuesOf(() => fanOut({ retrievalMode: 'PUSH', consumerName: '' }));
      expect(issues.map((issue) => issue.split(':')[0]).sort()).to.deep.equal(['kinesis.my-consumer.kcl.consumerName', 'kinesis.my-consumer.kcl.retrievalMode']);
    });

    it('default every key as the seed and the KCL do', () => {
      const { workerId, ...rest } = defaults();
      expect(workerId).to.match(UUID);
      expect(rest).to.deep.equal({
        applicationName: 'KinesisProducer',
        streamName: 'the-stream',
        leaseTableName: 'KinesisProducer-the-stream',
        initialPosition: { type: 'TRIM_HORIZON' },
        worker: {
          batchTimeoutMillis: 10_000,
          failedMessageRetries: 1,
          failureTolerancePercentage: 0.25,
          gracefulShutdownHook: true,
          shutdownTimeoutMillis: 25_000,
          shutdownGraceMillis: 5000,
          taskBackoffMillis: 500,
        },
        checkpointer: { backoffMillis: 3000, intervalMillis: 2000, notificationDelayMillis: 1000, validateSequenceNumber: true },
        polling: {
          maxRecords: 10_000,
          idleTimeBetweenReadsMillis: 1000,
          deliverEmptyBatches: false,
          prefetch: { enabled: true, maxPendingBatches: 3, maxBytes: 8 * 1024 * 1024, maxRecords: 30_000, idleMillisBetweenCalls: 1500 },
        },
        leases: {
          failoverTimeMillis: 10_000,
          maxLeasesForWorker: 2 ** 31 - 1,
          maxLeasesToStealAtOneTime: 1,
          gracefulHandoffTimeoutMillis: 30_000,
          initialReadCapacity: 10,
          initialWriteCapacity: 10,
        },
        shardSync: {
          intervalMillis: 60_000,
          strategy: 'SHARD_END',
          skipAtStartupIfLeasesExist: false,
          cleanupLeasesUponShardCompletion: true,
          ignoreUnexpectedChildShards: false,
          parentShardPollIntervalMillis: 10_000,
          listShardsBackoffMillis: 1500,
          maxListShardsRetryAttempts: 50,
        },
        aws: { userAgent: 'KinesisProducer-the-stream' },
      });
    });

    it('export the built-in defaults, seed-keyed and frozen', () => {
      expect(DEFAULT_CONSUMER_SECTION['stream-name']).to.equal(undefined);
      expect(DEFAULT_CONSUMER_SECTION.worker).to.deep.equal({
        batchTimeoutSeconds: 10,
        failedMessageRetries: 1,
        failureTolerancePercentage: 0.25,
        gracefulShutdownHook: true,
        shutdownTimeoutSeconds: 25,
      });
      expect(DEFAULT_CONSUMER_SECTION.kcl).to.include({ initialPositionInStream: 'TRIM_HORIZON', maxRecords: 10000, dataFetchingStrategy: 'PREFETCH_CACHED' });
      expect(Object.isFrozen(DEFAULT_CONSUMER_SECTION.kcl)).to.equal(true);
    });

    it('read several consumers from one JSON file (seed KinesisConsumerSpec)', () => {
      const config = decodeKinesisConfig(FIXTURE);
      const first = consumerConf(config, 'testConsumer-1');
      expect(first.leaseTableName).to.equal('TableName');
      expect(first.streamName).to.equal('test-kinesis-reliability');
      expect(first.aws).to.deep.equal({
        region: 'us-east-1',
        kinesisEndpoint: 'https://custom-kinesis.example.com',
        dynamoDBEndpoint: 'https://custom-dynamodb.example.com',
        userAgent: 'TestSpec-test-kinesis-reliability',
      });
      expect(first.shardSync.skipAtStartupIfLeasesExist).to.equal(true);

      const second = consumerConf(config, 'testConsumer-2');
      expect(second.leaseTableName).to.equal('TestSpec-some-other-stream');
      expect(second.worker).to.include({ batchTimeoutMillis: 10_000, failedMessageRetries: 3, failureTolerancePercentage: 0.25 });
      expect(second.checkpointer).to.include({ backoffMillis: 111, intervalMillis: 2000, notificationDelayMillis: 1000 });
      expect(second.aws.region).to.equal('us-east-2');
    });

    it('merge the section over default-consumer key by key, keeping untouched nested defaults', () => {
      const c = conf({
        'default-consumer': { worker: { failedMessageRetries: 5 }, kcl: { maxRecords: 500, regionName: 'eu-west-1' } },
        'my-consumer': { 'stream-name': 's', worker: { batchTimeoutSeconds: 3 }, kcl: { idleTimeBetweenReadsInMillis: 250 } },
      });
      expect(c.worker).to.include({ batchTimeoutMillis: 3000, failedMessageRetries: 5, shutdownTimeoutMillis: 25_000 });
      expect(c.polling).to.include({ maxRecords: 500, idleTimeBetweenReadsMillis: 250 });
      expect(c.aws.region).to.equal('eu-west-1');
      expect(c.checkpointer.backoffMillis).to.equal(3000);
    });

    it('restore the built-in default where the section sets null over default-consumer', () => {
      const c = conf({
        'default-consumer': { kcl: { regionName: 'eu-west-1', maxRecords: 500 } },
        'my-consumer': { 'stream-name': 's', kcl: { regionName: null, maxRecords: null } },
      });
      expect(c.aws.region).to.equal(undefined);
      expect(c.polling.maxRecords).to.equal(10_000);
    });

    it('take a stream-name from default-consumer when the section has none', () => {
      expect(conf({ 'default-consumer': { 'stream-name': 'shared' }, 'my-consumer': {} }).streamName).to.equal('shared');
    });

    it('accept numeric strings and boolean words, as HOCON files often hold', () => {
      const c = conf({
        'my-consumer': {
          'stream-name': 's',
          worker: { batchTimeoutSeconds: '4', failureTolerancePercentage: '20', gracefulShutdownHook: 'off' },
          kcl: { maxRecords: '100', cleanupLeasesUponShardCompletion: 'false' },
        },
      });
      expect(c.worker).to.include({ batchTimeoutMillis: 4000, failureTolerancePercentage: 20, gracefulShutdownHook: false });
      expect(c.polling.maxRecords).to.equal(100);
      expect(c.shardSync.cleanupLeasesUponShardCompletion).to.equal(false);
    });

    it('generate a fresh UUID workerId per call when absent or blank, and keep a given one', () => {
      const config = decodeKinesisConfig({ a: { 'stream-name': 's' }, b: { 'stream-name': 's', kcl: { workerId: ' ' } } });
      const ids = [consumerConf(config, 'a').workerId, consumerConf(config, 'a').workerId, consumerConf(config, 'b').workerId];
      for (const id of ids) expect(id).to.match(UUID);
      expect(new Set(ids).size).to.equal(3);
      expect(conf({ 'my-consumer': { 'stream-name': 's', kcl: { workerId: 'host-1' } } }).workerId).to.equal('host-1');
    });

    it('read AT_TIMESTAMP with an ISO date or epoch seconds (the KCL unit) or milliseconds', () => {
      const at = (timestampAtInitialPositionInStream: unknown) =>
        conf({ 'my-consumer': { 'stream-name': 's', kcl: { initialPositionInStream: 'AT_TIMESTAMP', timestampAtInitialPositionInStream } } })
          .initialPosition;
      const expected = { type: 'AT_TIMESTAMP', timestamp: new Date('2018-05-25T16:57:52.000Z') };
      expect(at('2018-05-25T16:57:52Z')).to.deep.equal(expected);
      expect(at(1527267472)).to.deep.equal(expected);
      expect(at(1527267472000)).to.deep.equal(expected);
      expect(conf({ 'my-consumer': { 'stream-name': 's', kcl: { initialPositionInStream: 'LATEST' } } }).initialPosition).to.deep.equal({
        type: 'LATEST',
      });
    });

    it('use kcl.tableName over <application-name>-<stream-name>', () => {
      const c = conf({ 'application-name': 'app', 'my-consumer': { 'stream-name': 's', kcl: { tableName: 'leases_v2' } } });
      expect(c.leaseTableName).to.equal('leases_v2');
      expect(c.aws.userAgent).to.equal('app-s');
    });

    it('return a frozen conf', () => {
      const c = defaults();
      expect(Object.isFrozen(c)).to.equal(true);
      expect(Object.isFrozen(c.polling.prefetch)).to.equal(true);
    });
  });

  describe('consumerConf must reject', () => {
    it('a missing section, naming it and the likely intended one', () => {
      const config = decodeKinesisConfig({ 'my-consumer': { 'stream-name': 's' } });
      expect(issuesOf(() => consumerConf(config, 'my-consumr'))).to.deep.equal([
        'kinesis.my-consumr: missing consumer section; did you mean "my-consumer"?',
      ]);
      expect(issuesOf(() => consumerConf(config, 'other'))).to.deep.equal(['kinesis.other: missing consumer section; there are "my-consumer"']);
    });

    it('a reserved key as a section name', () => {
      const config = decodeKinesisConfig({ 'my-consumer': { 'stream-name': 's' } });
      expect(issuesOf(() => consumerConf(config, 'default-consumer'))).to.deep.equal([
        'kinesis.default-consumer: is a reserved key, not a consumer section',
      ]);
    });

    it('a missing or empty stream-name', () => {
      expect(issuesOf(() => conf({ 'my-consumer': { worker: { failedMessageRetries: 2 } } }))).to.deep.equal([
        'kinesis.my-consumer.stream-name: required: a non-empty stream name',
      ]);
      expect(issuesOf(() => conf({ 'my-consumer': { 'stream-name': '' } }))).to.deep.equal([
        'kinesis.my-consumer.stream-name: expected a stream name (1-128 of a-z A-Z 0-9 _ . -), got ""',
      ]);
    });

    it('a failure tolerance outside 0..100 percent', () => {
      for (const tolerance of [-1, 100.5]) {
        expect(issuesOf(() => conf({ 'my-consumer': { 'stream-name': 's', worker: { failureTolerancePercentage: tolerance } } }))).to.deep.equal([
          `kinesis.my-consumer.worker.failureTolerancePercentage: expected a number in 0..100 (percent), got ${tolerance}`,
        ]);
      }
    });

    it('AT_TIMESTAMP without a timestamp', () => {
      expect(issuesOf(() => conf({ 'my-consumer': { 'stream-name': 's', kcl: { initialPositionInStream: 'AT_TIMESTAMP' } } }))).to.deep.equal([
        'kinesis.my-consumer.kcl.timestampAtInitialPositionInStream: required when initialPositionInStream is "AT_TIMESTAMP"',
      ]);
    });

    it('initial positions the KCL 1.x does not support here', () => {
      expect(issuesOf(() => conf({ 'my-consumer': { 'stream-name': 's', kcl: { initialPositionInStream: 'AT_SEQUENCE_NUMBER' } } }))).to.deep.equal([
        'kinesis.my-consumer.kcl.initialPositionInStream: expected one of "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP", got "AT_SEQUENCE_NUMBER"',
      ]);
    });

    it('one of retryGetRecordsInSeconds / maxGetRecordsThreadPool without the other', () => {
      expect(issuesOf(() => conf({ 'my-consumer': { 'stream-name': 's', kcl: { retryGetRecordsInSeconds: 2 } } }))).to.deep.equal([
        'kinesis.my-consumer.kcl.maxGetRecordsThreadPool: required when retryGetRecordsInSeconds is set',
      ]);
    });

    it('a default lease table name DynamoDB would refuse, suggesting kcl.tableName', () => {
      expect(issuesOf(() => conf({ 'application-name': 'My App', 'my-consumer': { 'stream-name': 's' } }))).to.deep.equal([
        'kinesis.my-consumer.kcl.tableName: the default lease table name "My App-s" (<application-name>-<stream-name>) is not ' +
          'a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -); set kcl.tableName or change kinesis.application-name',
      ]);
      expect(conf({ 'application-name': 'My App', 'my-consumer': { 'stream-name': 's', kcl: { tableName: 'ok-table' } } }).leaseTableName).to.equal(
        'ok-table',
      );
    });

    it('kcl keys in the wrong case (the seed accepted either case of the first letter)', () => {
      expect(issuesOf(() => conf({ 'my-consumer': { 'stream-name': 's', kcl: { KinesisEndpoint: 'x', TableName: 't' } } }))).to.deep.equal([
        'kinesis.my-consumer.kcl.KinesisEndpoint: unknown key (keys are case-sensitive); did you mean "kinesisEndpoint"?',
        'kinesis.my-consumer.kcl.TableName: unknown key (keys are case-sensitive); did you mean "tableName"?',
      ]);
    });

    it('kcl keys the seed overwrote silently', () => {
      expect(issuesOf(() => conf({ 'my-consumer': { 'stream-name': 's', kcl: { streamName: 'other' } } }))).to.deep.equal([
        'kinesis.my-consumer.kcl.streamName: not settable in kcl: the stream is the section\'s "stream-name"',
      ]);
    });

    it('custom JVM credential provider classes', () => {
      const error = configErrorOf(() => conf({ 'my-consumer': { 'stream-name': 's', kcl: { AWSCredentialsProvider: 'com.x.TestCredentials|foo|bar' } } }));
      expect(error.issues).to.have.length(1);
      expect(error.issues[0]?.path).to.equal('kinesis.my-consumer.kcl.AWSCredentialsProvider');
      expect(error.issues[0]?.message).to.contain('pass credentials or clients in deps instead');
    });

    it('a producer section', () => {
      const config = decodeKinesisConfig({ p: { 'stream-name': 's', kpl: { Region: 'us-east-1' } } });
      expect(issuesOf(() => consumerConf(config, 'p'))).to.deep.equal(['kinesis.p.kpl: a producer key: this section is read as a consumer']);
    });

    it('times a Node timer cannot hold', () => {
      expect(issuesOf(() => conf({ 'my-consumer': { 'stream-name': 's', kcl: { failoverTimeMillis: 2 ** 31 } } }))).to.deep.equal([
        'kinesis.my-consumer.kcl.failoverTimeMillis: expected an integer in 100..2147483647 (milliseconds), got 2147483648',
      ]);
    });
  });
});
