import { expect } from 'chai';
import * as path from 'node:path';
import { MAX_TIMER_MILLIS } from '../../lib/config/codecs';
import { decodeKinesisConfig } from '../../lib/config/kinesis-config';
import { ProducerSection } from '../../lib/config/producer-codec';
import { DEFAULT_PRODUCER_SECTION, producerConf, type ProducerConf } from '../../lib/config/producer-config';
import { issuesOf } from './helpers';

const FIXTURE = path.join(__dirname, 'fixtures', 'application.json');

/** The producer `name` of a `kinesis` object. */
function conf(kinesis: Record<string, unknown>, name = 'my-producer'): ProducerConf {
  return producerConf(decodeKinesisConfig(kinesis), name);
}

/** A producer section with these `kpl` keys. */
const withKpl = (kpl: Record<string, unknown>): ProducerConf => conf({ 'my-producer': { 'stream-name': 's', kpl } });

/** One `kpl` key: a non-default value, and where it lands in the typed conf (none when ignored). */
interface KplCase {
  readonly value: unknown;
  readonly read?: (c: ProducerConf) => unknown;
  readonly expected?: unknown;
}

const KPL_CASES: Readonly<Record<string, KplCase>> = {
  AggregationEnabled: { value: false, read: (c) => c.aggregation.enabled },
  AggregationMaxCount: { value: 100, read: (c) => c.aggregation.maxCount },
  AggregationMaxSize: { value: 1024, read: (c) => c.aggregation.maxSize },
  CollectionMaxCount: { value: 100, read: (c) => c.collection.maxCount },
  CollectionMaxSize: { value: 60000, read: (c) => c.collection.maxSize },
  ConnectTimeout: { value: 7000, read: (c) => c.connectTimeoutMillis },
  CredentialsRefreshDelay: { value: 6000 },
  CloudwatchEndpoint: { value: 'monitoring.local' },
  CloudwatchPort: { value: 4582 },
  EnableCoreDumps: { value: true },
  FailIfThrottled: { value: true, read: (c) => c.failIfThrottled },
  KinesisEndpoint: { value: 'localhost', read: (c) => c.aws.kinesisEndpoint, expected: 'https://localhost:4568' },
  KinesisPort: { value: 4568, read: (c) => c.aws.kinesisEndpoint, expected: 'https://localhost:4568' },
  LogLevel: { value: 'error', read: (c) => c.logLevel },
  MaxConnections: { value: 10, read: (c) => c.maxConnections },
  MinConnections: { value: 2, read: (c) => c.minConnections },
  MetricsGranularity: { value: 'stream' },
  MetricsLevel: { value: 'none' },
  MetricsNamespace: { value: 'ns' },
  MetricsUploadDelay: { value: 1000 },
  NativeExecutable: { value: 'kinesis_producer' },
  TempDirectory: { value: 'kpl-tmp' },
  RateLimit: { value: 50, read: (c) => c.rateLimitPercent },
  RecordMaxBufferedTime: { value: 250, read: (c) => c.recordMaxBufferedTimeMillis },
  RecordTtl: { value: 60000, read: (c) => c.recordTtlMillis },
  Region: { value: 'eu-central-1', read: (c) => c.aws.region },
  RequestTimeout: { value: 10000, read: (c) => c.requestTimeoutMillis },
  VerifyCertificate: { value: false, read: (c) => c.aws.verifyCertificate },
  ThreadingModel: { value: 'POOLED' },
  ThreadPoolSize: { value: 8 },
  MaxUserRecordSize: { value: 2097152, read: (c) => c.maxUserRecordSize },
};

describe('config/producer-config', () => {
  describe('producerConf must', () => {
    it('read a producer section from a JSON file (seed ProducerConfSpec)', () => {
      const c = producerConf(decodeKinesisConfig(FIXTURE), 'testProducer');
      expect(c.streamName).to.equal('core-test-kinesis-producer');
      expect(c.maxOutstandingRequests).to.equal(50000);
      expect(c.throttlingRetryMillis).to.equal(100);
      expect(c.aggregation.enabled).to.equal(false);
      expect(c.aws.region).to.equal('us-east-1');
    });

    it('apply every kpl key it knows (the seed checked every KPL setter by reflection)', () => {
      expect(Object.keys(KPL_CASES).sort()).to.deep.equal(Object.keys(ProducerSection.props.kpl.props).sort());
      const kpl = Object.fromEntries(Object.entries(KPL_CASES).map(([key, { value }]) => [key, value]));
      const c = withKpl(kpl);
      const d = withKpl({});
      for (const [key, { value, read, expected = value }] of Object.entries(KPL_CASES)) {
        if (read === undefined) continue;
        expect(read(c), key).to.deep.equal(expected);
        expect(read(d), `${key} must differ from its default for this test to mean anything`).to.not.deep.equal(expected);
      }
    });

    it('default every key as the KPL does, and bound records in flight at 1000 as the seed sink did', () => {
      expect(withKpl({})).to.deep.equal({
        streamName: 's',
        maxOutstandingRequests: 1000,
        throttlingRetryMillis: 100,
        aggregation: { enabled: true, maxCount: 4294967295, maxSize: 51200 },
        collection: { maxCount: 500, maxSize: 5242880 },
        rateLimitPercent: 150,
        recordMaxBufferedTimeMillis: 100,
        recordTtlMillis: 30000,
        failIfThrottled: false,
        requestTimeoutMillis: 6000,
        connectTimeoutMillis: 6000,
        maxConnections: 24,
        minConnections: 1,
        maxUserRecordSize: 1048576,
        logLevel: 'info',
        aws: { verifyCertificate: true },
      });
    });

    it('export the built-in defaults, seed-keyed and frozen', () => {
      expect(DEFAULT_PRODUCER_SECTION.akka).to.deep.equal({
        dispatcher: 'kinesis.akka.default-dispatcher',
        'max-outstanding-requests': 1000,
        'throttling-retry-millis': 100,
      });
      expect(DEFAULT_PRODUCER_SECTION.kpl).to.include({ AggregationMaxSize: 51200, CollectionMaxCount: 500, RecordTtl: 30000 });
      expect(Object.isFrozen(DEFAULT_PRODUCER_SECTION.kpl)).to.equal(true);
    });

    it('merge the section over default-producer key by key', () => {
      const c = conf({
        'default-producer': { kpl: { Region: 'eu-west-1', RateLimit: 80 }, akka: { 'max-outstanding-requests': 10 } },
        'my-producer': { 'stream-name': 's', kpl: { RateLimit: 90 } },
      });
      expect(c.aws.region).to.equal('eu-west-1');
      expect(c.rateLimitPercent).to.equal(90);
      expect(c.maxOutstandingRequests).to.equal(10);
      expect(c.throttlingRetryMillis).to.equal(100);
    });

    it("clamp Java's Long.MAX_VALUE settings to what JavaScript can count and time", () => {
      const c = withKpl({ AggregationMaxCount: '9223372036854775807', RateLimit: 2 ** 63 - 1, RecordTtl: '9223372036854775807' });
      expect(c.aggregation.maxCount).to.equal(Number.MAX_SAFE_INTEGER);
      expect(c.rateLimitPercent).to.equal(Number.MAX_SAFE_INTEGER);
      expect(c.recordTtlMillis).to.equal(MAX_TIMER_MILLIS);
    });

    it('keep an explicit URL endpoint and add a non-443 KinesisPort when it names none', () => {
      expect(withKpl({ KinesisEndpoint: 'http://127.0.0.1:4567' }).aws.kinesisEndpoint).to.equal('http://127.0.0.1:4567');
      expect(withKpl({ KinesisEndpoint: 'http://127.0.0.1', KinesisPort: 4567 }).aws.kinesisEndpoint).to.equal('http://127.0.0.1:4567');
      expect(withKpl({ KinesisEndpoint: 'http://127.0.0.1:1234', KinesisPort: 4567 }).aws.kinesisEndpoint).to.equal('http://127.0.0.1:1234');
      expect(withKpl({ KinesisEndpoint: 'kinesis.example.com' }).aws.kinesisEndpoint).to.equal('https://kinesis.example.com');
    });
  });

  describe('producerConf must reject', () => {
    it('values outside the KPL ranges, narrowed to the Kinesis limits, all at once', () => {
      expect(issuesOf(() => withKpl({ CollectionMaxCount: 501, CollectionMaxSize: 5242881, AggregationMaxSize: 63, RequestTimeout: 99 }))).to.deep.equal([
        'kinesis.my-producer.kpl.AggregationMaxSize: expected an integer in 64..1048576 (bytes), got 63',
        'kinesis.my-producer.kpl.CollectionMaxCount: expected an integer in 1..500, got 501',
        'kinesis.my-producer.kpl.CollectionMaxSize: expected an integer in 52224..5242880 (bytes), got 5242881',
        'kinesis.my-producer.kpl.RequestTimeout: expected an integer in 100..600000 (milliseconds), got 99',
      ]);
    });

    it('a value above Long.MAX_VALUE', () => {
      expect(issuesOf(() => withKpl({ AggregationMaxCount: '9223372036854775808' }))).to.deep.equal([
        'kinesis.my-producer.kpl.AggregationMaxCount: expected an integer in 1..9223372036854775807, got "9223372036854775808"',
      ]);
    });

    it('MinConnections above MaxConnections', () => {
      expect(issuesOf(() => withKpl({ MinConnections: 8, MaxConnections: 4 }))).to.deep.equal([
        'kinesis.my-producer.kpl.MinConnections: must not exceed MaxConnections (4), got 8',
      ]);
    });

    it('kpl keys in the wrong case, or unknown', () => {
      expect(issuesOf(() => withKpl({ region: 'us-east-1', AggregationMaxCnt: 3 }))).to.deep.equal([
        'kinesis.my-producer.kpl.region: unknown key (keys are case-sensitive); did you mean "Region"?',
        'kinesis.my-producer.kpl.AggregationMaxCnt: unknown key; did you mean "AggregationMaxCount"?',
      ]);
    });

    it('a missing or empty stream-name', () => {
      expect(issuesOf(() => conf({ 'my-producer': { kpl: {} } }))).to.deep.equal(['kinesis.my-producer.stream-name: required: a non-empty stream name']);
      expect(issuesOf(() => conf({ 'my-producer': { 'stream-name': 'bad name', kpl: {} } }))).to.deep.equal([
        'kinesis.my-producer.stream-name: expected a stream name (1-128 of a-z A-Z 0-9 _ . -), got "bad name"',
      ]);
    });

    it('a consumer section', () => {
      const config = decodeKinesisConfig({ c: { 'stream-name': 's', worker: { failedMessageRetries: 2 } } });
      expect(issuesOf(() => producerConf(config, 'c'))).to.deep.equal(['kinesis.c.worker: a consumer key: this section is read as a producer']);
    });

    it('a missing section', () => {
      const config = decodeKinesisConfig({});
      expect(issuesOf(() => producerConf(config, 'p'))).to.deep.equal(['kinesis.p: missing producer section; there are none']);
    });
  });
});
