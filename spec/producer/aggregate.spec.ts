import { expect } from 'chai';
import { decodeAggregatedRecord, hashKeyOf } from '../../lib/kpl';
import { MAX_KINESIS_RECORD_BYTES, packNow, singleContainer } from '../../lib/producer/aggregate';
import { PendingRecord } from '../../lib/producer/pending-record';
import { validateEvent } from '../../lib/producer/validate';

const record = (key: string, bytes = 10, explicitHashKey?: string) =>
  validateEvent({ partitionKey: key, payload: new Uint8Array(bytes).fill(7), ...(explicitHashKey === undefined ? {} : { explicitHashKey }) }, { maxUserRecordSize: 2 * 1024 * 1024 }, key) as PendingRecord;

describe('packNow', () => {
  describe('must', () => {
    const limits = { enabled: true, maxCount: 1000, maxSize: 51200 };

    it('pack records of one shard into one KPL aggregate with partition key "a" and the first record’s hash key', () => {
      const records = ['x', 'y', 'z'].map((k) => record(k));
      const [c, ...rest] = packNow(records, () => 'S', limits);
      expect(rest).to.deep.equal([]);
      expect(c!.records).to.deep.equal(records);
      expect(c!.entry.partitionKey).to.equal('a');
      expect(c!.entry.explicitHashKey).to.equal(hashKeyOf('x').toString());
      expect(decodeAggregatedRecord(c!.entry.data)!.map((u) => u.partitionKey)).to.deep.equal(['x', 'y', 'z']);
      expect(c!.size).to.equal(c!.entry.data.length + 1);
    });

    it('never mix shards in one aggregate', () => {
      const records = ['p', 'q', 'r', 's'].map((k) => record(k));
      const containers = packNow(records, (r) => (r.hashKey === records[1]!.hashKey || r.hashKey === records[3]!.hashKey ? 'B' : 'A'), limits);
      expect(containers.map((c) => [c.shardId, c.records.map((r) => r.partitionKey).join('')])).to.deep.equal([
        ['A', 'pr'],
        ['B', 'qs'],
      ]);
    });

    it('send a lone record raw, with its own partition key and its hash key made explicit', () => {
      const [c] = packNow([record('solo')], () => 'S', limits);
      expect(decodeAggregatedRecord(c!.entry.data)).to.equal(undefined);
      expect(c!.entry).to.deep.include({ partitionKey: 'solo', explicitHashKey: hashKeyOf('solo').toString() });
      expect(c!.size).to.equal(10 + 4);
    });

    it('split at AggregationMaxCount and before AggregationMaxSize, by exact size', () => {
      const records = Array.from({ length: 10 }, (_, i) => record(`k${i}`, 100));
      expect(packNow(records, () => 'S', { ...limits, maxCount: 4 }).map((c) => c.records.length)).to.deep.equal([4, 4, 2]);
      const bySize = packNow(records, () => 'S', { ...limits, maxSize: 400 });
      expect(bySize.every((c) => c.entry.data.length <= 400)).to.equal(true);
      expect(bySize.map((c) => c.records.length).reduce((a, b) => a + b)).to.equal(10);
      expect(bySize[0]!.records.length).to.equal(3);
    });

    it('send a record larger than AggregationMaxSize alone, and keep every Kinesis record within 1 MiB', () => {
      const records = [record('a', 10), record('big', 600), record('b', 10)];
      expect(packNow(records, () => 'S', { ...limits, maxSize: 500 }).map((c) => c.records.map((r) => r.partitionKey))).to.deep.equal([['a'], ['big'], ['b']]);
      const large = [record('m', 600 * 1024), record('n', 600 * 1024)];
      const containers = packNow(large, () => 'S', { ...limits, maxSize: MAX_KINESIS_RECORD_BYTES });
      expect(containers).to.have.length(2);
    });

    it('send every record alone when aggregation is disabled', () => {
      const containers = packNow([record('a'), record('b')], () => 'S', { ...limits, enabled: false });
      expect(containers.map((c) => c.entry.partitionKey)).to.deep.equal(['a', 'b']);
    });

    it('keep explicit hash keys in the aggregate', () => {
      const [c] = packNow([record('a', 5, '5'), record('b', 5, '6')], () => 'S', limits);
      expect(decodeAggregatedRecord(c!.entry.data)!.map((u) => u.explicitHashKey)).to.deep.equal(['5', '6']);
      expect(c!.entry.explicitHashKey).to.equal('5');
    });
  });
});

describe('singleContainer', () => {
  it('must count the partition key’s UTF-8 bytes in its size', () => {
    expect(singleContainer(record('é'), 'S').size).to.equal(10 + 2);
  });
});
