import { expect } from 'chai';
import * as path from 'node:path';
import { consumerConf } from '../../lib/config/consumer-config';
import { DEFAULT_APPLICATION_NAME, decodeKinesisConfig } from '../../lib/config/kinesis-config';
import { producerConf } from '../../lib/config/producer-config';
import { configErrorOf, issuesOf } from './helpers';

const fixture = (name: string): string => path.join(__dirname, 'fixtures', name);

describe('config/kinesis-config', () => {
  describe('decodeKinesisConfig must', () => {
    it('accept the wrapped { kinesis } form and the inner object alike', () => {
      const inner = { 'application-name': 'app', c: { 'stream-name': 's' } };
      const wrapped = decodeKinesisConfig({ kinesis: inner });
      const bare = decodeKinesisConfig(inner);
      expect(wrapped.applicationName).to.equal('app');
      expect(wrapped.sectionNames).to.deep.equal(['c']);
      expect(wrapped.source).to.deep.equal(bare.source);
      expect(consumerConf(wrapped, 'c').leaseTableName).to.equal(consumerConf(bare, 'c').leaseTableName);
    });

    it('read a JSON file, ignoring the rest of the application config around kinesis', () => {
      const config = decodeKinesisConfig(fixture('application.json'));
      expect(config.applicationName).to.equal('TestSpec');
      expect(config.sectionNames).to.deep.equal(['testConsumer-1', 'testConsumer-2', 'testProducer']);
      expect(config.source).to.not.have.property('http');
    });

    it('default application-name to the seed\'s "KinesisProducer"', () => {
      const config = decodeKinesisConfig({ c: { 'stream-name': 'orders' } });
      expect(config.applicationName).to.equal(DEFAULT_APPLICATION_NAME).and.to.equal('KinesisProducer');
      expect(consumerConf(config, 'c').leaseTableName).to.equal('KinesisProducer-orders');
    });

    it('accept Akka dispatcher definitions and ignore them', () => {
      const config = decodeKinesisConfig({ akka: { 'default-dispatcher': { type: 'Dispatcher', throughput: 50 } } });
      expect(config.sectionNames).to.deep.equal([]);
    });

    it('let a section with only shared keys serve as consumer and producer', () => {
      const config = decodeKinesisConfig({ both: { 'stream-name': 's', akka: { dispatcher: null } } });
      expect(consumerConf(config, 'both').streamName).to.equal('s');
      expect(producerConf(config, 'both').streamName).to.equal('s');
    });

    it('keep a frozen copy, unaffected by later changes to the input', () => {
      const input = { c: { 'stream-name': 's', kcl: { maxRecords: 5 } } };
      const config = decodeKinesisConfig(input);
      input.c.kcl.maxRecords = 7;
      expect(consumerConf(config, 'c').polling.maxRecords).to.equal(5);
      expect(Object.isFrozen(config.source)).to.equal(true);
      expect(Object.isFrozen(config.sectionNames)).to.equal(true);
    });
  });

  describe('decodeKinesisConfig must reject', () => {
    it('every bad path at once, in one ConfigError', () => {
      const error = configErrorOf(() =>
        decodeKinesisConfig({
          kinesis: {
            'my-consumer': { 'stream-name': 's', worker: { batchTimeoutSeconds: 'ten' }, kcl: { maxRecords: 0 } },
            'my-producer': { 'stream-name': 's', kpl: { CollectionMaxCount: 1000 } },
          },
        }),
      );
      expect(error.issues).to.deep.equal([
        { path: 'kinesis.my-consumer.worker.batchTimeoutSeconds', message: 'expected an integer in 1..2147483 (seconds), got "ten"' },
        { path: 'kinesis.my-consumer.kcl.maxRecords', message: 'expected an integer in 1..10000, got 0' },
        { path: 'kinesis.my-producer.kpl.CollectionMaxCount', message: 'expected an integer in 1..500, got 1000' },
      ]);
      expect(error.message).to.equal(
        'Invalid configuration (3 problems):\n' +
          '  - kinesis.my-consumer.worker.batchTimeoutSeconds: expected an integer in 1..2147483 (seconds), got "ten"\n' +
          '  - kinesis.my-consumer.kcl.maxRecords: expected an integer in 1..10000, got 0\n' +
          '  - kinesis.my-producer.kpl.CollectionMaxCount: expected an integer in 1..500, got 1000',
      );
    });

    it('a bad default once, where it was written, not once per section', () => {
      expect(
        issuesOf(() =>
          decodeKinesisConfig({
            'default-consumer': { checkpointer: { intervalMillis: -5 } },
            a: { 'stream-name': 'a' },
            b: { 'stream-name': 'b', worker: {} },
          }),
        ),
      ).to.deep.equal(['kinesis.default-consumer.checkpointer.intervalMillis: expected an integer in 0..2147483647 (milliseconds), got -5']);
    });

    it('unknown keys, with a suggestion, at every level', () => {
      expect(
        issuesOf(() =>
          decodeKinesisConfig({
            'aplication-name': 'x',
            c: { 'stream-name': 's', wroker: {}, checkpointer: { intervalMilis: 5 }, kcl: { Maxrecords: 5 } },
          }),
        ),
      ).to.deep.equal([
        'kinesis.aplication-name: unknown key; did you mean "application-name"?',
        'kinesis.c.wroker: unknown key; did you mean "worker"?',
        'kinesis.c.checkpointer.intervalMilis: unknown key; did you mean "intervalMillis"?',
        'kinesis.c.kcl.Maxrecords: unknown key (keys are case-sensitive); did you mean "maxRecords"?',
      ]);
    });

    it('a section that is not an object', () => {
      expect(issuesOf(() => decodeKinesisConfig({ orders: 'orders-stream' }))).to.deep.equal([
        'kinesis.orders: expected a consumer or producer section (an object), got "orders-stream"',
      ]);
    });

    it('a misspelt default section, hinting at the reserved name', () => {
      expect(issuesOf(() => decodeKinesisConfig({ 'default-consumers': { kcl: { maxRecords: 5 } } }))).to.deep.equal([
        'kinesis.default-consumers.stream-name: required: a non-empty stream name (or did you mean this section to be "default-consumer"?)',
      ]);
    });

    it('a section mixing consumer and producer keys, still checking both halves', () => {
      expect(issuesOf(() => decodeKinesisConfig({ c: { 'stream-name': 's', kcl: { maxRecords: 'all' }, kpl: { Region: '' } } }))).to.deep.equal([
        'kinesis.c: mixes consumer keys (kcl) and producer keys (kpl); a section is either a consumer or a producer',
        'kinesis.c.kcl.maxRecords: expected an integer in 1..10000, got "all"',
        'kinesis.c.kpl.Region: expected a non-empty string, got ""',
      ]);
    });

    it('a blank application-name, and an akka entry that is not an object', () => {
      expect(issuesOf(() => decodeKinesisConfig({ 'application-name': ' ', akka: 'x' }))).to.deep.equal([
        'kinesis.application-name: expected a non-empty string, got " "',
        'kinesis.akka: expected an object of Akka dispatcher settings (ignored), got "x"',
      ]);
    });

    it('input that is neither an object nor a file path', () => {
      expect(issuesOf(() => decodeKinesisConfig(42))).to.deep.equal(['kinesis: expected an object or the path of a JSON file, got 42']);
      expect(issuesOf(() => decodeKinesisConfig(null))).to.deep.equal(['kinesis: expected an object or the path of a JSON file, got null']);
      expect(issuesOf(() => decodeKinesisConfig({ kinesis: [] }))).to.deep.equal(['kinesis: expected an object, got an array']);
    });

    it('a file that cannot be read or is not JSON, naming the file', () => {
      const missing = fixture('does-not-exist.json');
      const [unreadable] = configErrorOf(() => decodeKinesisConfig(missing)).issues;
      expect(unreadable?.path).to.equal(missing);
      expect(unreadable?.message).to.match(/^cannot read the file: ENOENT/);
      const [invalid] = configErrorOf(() => decodeKinesisConfig(fixture('invalid.json'))).issues;
      expect(invalid?.path).to.equal(fixture('invalid.json'));
      expect(invalid?.message).to.match(/^not valid JSON: /);
    });
  });
});
