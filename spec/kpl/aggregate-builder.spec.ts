import { expect } from 'chai';
import fc from 'fast-check';
import { AGGREGATE_PARTITION_KEY, AggregateBuilder, decodeAggregatedRecord, hashKeyOf, MAX_HASH_KEY } from '../../lib/kpl';
import type { UserRecord } from '../../lib/kpl';
import { InvalidRecordError } from '../../lib/model/errors';
import { NO_EHKS, WITH_EHKS } from './kpl-vectors';

const record = (partitionKey: string, size: number, explicitHashKey?: string): UserRecord => ({
  partitionKey,
  ...(explicitHashKey === undefined ? {} : { explicitHashKey }),
  data: new Uint8Array(size).fill(size & 0xff),
});

/** Comparable form; a lone surrogate in a key travels as U+FFFD, as with any UTF-8 encoder. */
function plain(records: readonly UserRecord[] | undefined): unknown {
  return records?.map((r) => ({ ...r, partitionKey: Buffer.from(r.partitionKey).toString(), data: [...r.data] }));
}

function builderWith(records: readonly UserRecord[]): AggregateBuilder {
  const builder = new AggregateBuilder();
  for (const r of records) builder.add(r);
  return builder;
}

// Sizes next to varint boundaries (127/128, 16383/16384), so length prefixes change width.
const dataSize = fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constantFrom(110, 122, 123, 124, 125, 126, 127, 128, 16370, 16376, 16383, 16384));
const userRecordArb: fc.Arbitrary<UserRecord> = fc.record(
  {
    partitionKey: fc.oneof(
      fc.constantFrom('a', 'b', 'é', '🦀', '\ud800', 'x'.repeat(126), 'x'.repeat(127), 'x'.repeat(128)),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.string({ unit: 'binary-ascii', maxLength: 20 }),
    ),
    explicitHashKey: fc.oneof(fc.constantFrom('1', '2'), fc.bigInt({ min: 0n, max: MAX_HASH_KEY }).map(String)),
    data: dataSize.map((n) => new Uint8Array(n)),
  },
  { requiredKeys: ['partitionKey', 'data'] },
);

describe('AggregateBuilder', () => {
  it('starts empty', () => {
    const builder = new AggregateBuilder();
    expect([builder.count, builder.size, builder.records.length, builder.hashKey]).to.deep.equal([0, 0, 0, undefined]);
    expect(() => builder.build()).to.throw(RangeError, /at least one/);
  });

  it('sends a single record as it is, with its own partition key and its hash key as EHK', () => {
    const only = record('abc', 10);
    const builder = builderWith([only]);
    expect(builder.size).to.equal(10);
    const entry = builder.build();
    expect(entry.data).to.equal(only.data);
    expect(entry.partitionKey).to.equal('abc');
    expect(entry.explicitHashKey).to.equal('191415658344158766168031473277922803570');
  });

  it('routes a single record by its explicit hash key, written in canonical decimal', () => {
    expect(builderWith([record('abc', 1, '007')]).build().explicitHashKey).to.equal('7');
  });

  it('aggregates two or more records under partition key "a", routed by the first record', () => {
    const records = [record('first', 3), record('second', 4, '99')];
    const entry = builderWith(records).build();
    expect(entry.partitionKey).to.equal(AGGREGATE_PARTITION_KEY).and.to.equal('a');
    expect(entry.explicitHashKey).to.equal(hashKeyOf('first').toString());
    expect(plain(decodeAggregatedRecord(entry.data))).to.deep.equal(plain(records));
  });

  for (const vector of [WITH_EHKS, NO_EHKS]) {
    it(`builds the KPL's own Kinesis record for the ${vector.name}`, () => {
      const builder = builderWith(vector.userRecords);
      const entry = builder.build();
      const first = vector.userRecords[0]!;
      expect(Buffer.from(entry.data).equals(vector.aggregate)).to.equal(true);
      expect(entry.partitionKey).to.equal('a');
      expect(entry.explicitHashKey).to.equal(first.explicitHashKey ?? hashKeyOf(first.partitionKey).toString());
      expect(builder.size).to.equal(vector.aggregate.length);
    });
  }

  it('knows the exact size of what it builds, before and after every record', () => {
    fc.assert(
      fc.property(fc.array(userRecordArb, { minLength: 1, maxLength: 40 }), (records) => {
        const builder = new AggregateBuilder();
        for (const r of records) {
          const predicted = builder.sizeIfAdded(r);
          builder.add(r);
          expect(builder.size).to.equal(predicted);
          expect(builder.build().data.length).to.equal(builder.size);
        }
        expect(builder.count).to.equal(records.length);
        if (records.length > 1) expect(plain(decodeAggregatedRecord(builder.build().data))).to.deep.equal(plain(records));
      }),
    );
  });

  it('counts the index varints growing past 127 distinct keys', () => {
    const records = Array.from({ length: 300 }, (_, i) => record(`k${i % 200}`, i % 3, i % 2 === 0 ? String(i % 150) : undefined));
    const builder = new AggregateBuilder();
    for (const r of records) {
      expect(builder.sizeIfAdded(r)).to.equal((builder.add(r), builder.size));
    }
    const entry = builder.build();
    expect(entry.data.length).to.equal(builder.size);
    expect(plain(decodeAggregatedRecord(entry.data))).to.deep.equal(plain(records));
  });

  describe('tryAdd', () => {
    it('adds while the aggregate stays within the limit, and leaves the builder as it was when not', () => {
      fc.assert(
        fc.property(fc.array(userRecordArb, { minLength: 2, maxLength: 40 }), fc.integer({ min: 0, max: 20000 }), (records, maxSize) => {
          const builder = new AggregateBuilder();
          const taken: UserRecord[] = [];
          for (const r of records) {
            const before = builder.size;
            const expectedFit = builder.count === 0 || builder.sizeIfAdded(r) <= maxSize;
            expect(builder.tryAdd(r, maxSize)).to.equal(expectedFit);
            if (expectedFit) taken.push(r);
            else expect(builder.size).to.equal(before);
          }
          expect(builder.count).to.equal(taken.length);
          const entry = builder.build();
          expect(entry.data.length).to.equal(builder.size);
          if (taken.length > 1) {
            expect(entry.data.length).to.be.at.most(maxSize);
            expect(plain(decodeAggregatedRecord(entry.data))).to.deep.equal(plain(taken));
          }
        }),
      );
    });

    it('always takes the first record, however large, so it can go out alone', () => {
      const builder = new AggregateBuilder();
      expect(builder.tryAdd(record('big', 1000), 10)).to.equal(true);
      expect(builder.tryAdd(record('next', 1), 10)).to.equal(false);
      expect(builder.count).to.equal(1);
    });
  });

  it('refuses a malformed explicit hash key without changing anything', () => {
    const builder = builderWith([record('p', 5)]);
    expect(() => builder.add(record('q', 5, 'not a number'))).to.throw(InvalidRecordError);
    expect(() => builder.tryAdd(record('q', 5, '-1'), 1000)).to.throw(InvalidRecordError);
    expect(() => new AggregateBuilder().add(record('q', 5, '1e3'))).to.throw(InvalidRecordError);
    expect([builder.count, builder.size]).to.deep.equal([1, 5]);
    builder.add(record('r', 2));
    expect(plain(decodeAggregatedRecord(builder.build().data))).to.deep.equal(plain([record('p', 5), record('r', 2)]));
  });

  it('leaves what it built untouched when records are added afterwards', () => {
    const builder = builderWith([record('one', 1), record('two', 2)]);
    const first = builder.build().data;
    const snapshot = Buffer.from(first).toString('hex');
    builder.add(record('three', 300));
    const second = builder.build().data;
    expect(Buffer.from(first).toString('hex')).to.equal(snapshot);
    expect(plain(decodeAggregatedRecord(second))).to.deep.equal(plain([record('one', 1), record('two', 2), record('three', 300)]));
  });

  it('exposes the routing hash key of the first record', () => {
    const builder = builderWith([record('abc', 1), record('zzz', 1, '5')]);
    expect(builder.hashKey).to.equal(hashKeyOf('abc'));
  });

  it('can be cleared and reused, without disturbing records handed out before', () => {
    const builder = builderWith([record('one', 1), record('two', 2)]);
    const first = builder.build();
    const firstRecords = builder.records;
    builder.clear();
    expect([builder.count, builder.size, builder.hashKey]).to.deep.equal([0, 0, undefined]);
    const again = [record('two', 3), record('three', 4, '8'), record('two', 5)];
    for (const r of again) builder.add(r);
    expect(plain(decodeAggregatedRecord(builder.build().data))).to.deep.equal(plain(again));
    expect(builder.build().explicitHashKey).to.equal(hashKeyOf('two').toString());
    expect(firstRecords).to.have.length(2);
    expect(plain(decodeAggregatedRecord(first.data))).to.deep.equal(plain([record('one', 1), record('two', 2)]));
  });
});
