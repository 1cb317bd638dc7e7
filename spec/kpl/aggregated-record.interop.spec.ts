import { expect } from 'chai';
import fc from 'fast-check';
import { decodeAggregatedRecord, encodeAggregatedRecord, MAX_HASH_KEY } from '../../lib/kpl';
import type { UserRecord } from '../../lib/kpl';
import { aggAggregate, aggDeaggregate } from './aws-kinesis-agg';
import { KPL_AGGREGATES } from './kpl-vectors';

const SEQUENCE_NUMBER = '49581544954143914480256700934210366840104395343224897586';

/**
 * Records aws-kinesis-agg handles correctly. Its quirks, which the generators steer around:
 * - an empty partition key or explicit hash key counts as missing;
 * - its key tables are plain objects, so keys that look like array indices ("0", "42") are
 *   reordered ahead of the others while the records keep the old indices, and "__proto__" is lost;
 * - on decode, a record without an explicit hash key index reads as index 0 (protobufjs's default),
 *   so it reports a key for it whenever the table is not empty.
 */
const ARRAY_INDEX = /^(0|[1-9][0-9]*)$/;
const safeObjectKey = (key: string): boolean => key !== '__proto__' && (!ARRAY_INDEX.test(key) || BigInt(key) >= 2n ** 32n - 1n);
const partitionKeyArb = fc.oneof(fc.constantFrom('a', 'é', '🦀'), fc.string({ unit: 'binary', minLength: 1, maxLength: 30 })).filter(safeObjectKey);
const explicitHashKeyArb = fc.bigInt({ min: 2n ** 32n, max: MAX_HASH_KEY }).map(String);
const recordsArb: fc.Arbitrary<UserRecord[]> = fc.boolean().chain((withEhk) =>
  fc.array(
    fc.record({
      partitionKey: partitionKeyArb,
      data: fc.uint8Array({ maxLength: 200 }),
      ...(withEhk ? { explicitHashKey: explicitHashKeyArb } : {}),
    }),
    { minLength: 1, maxLength: 20 },
  ),
);

function plain(records: readonly UserRecord[] | undefined): unknown {
  return records?.map((r) => ({ ...r, data: Buffer.from(r.data).toString('base64') }));
}

describe('aggregated-record interop with aws-kinesis-agg', () => {
  it('aws-kinesis-agg deaggregates what we encode to the same user records', () => {
    fc.assert(
      fc.property(recordsArb, (records) => {
        const deaggregated = aggDeaggregate({ Data: encodeAggregatedRecord(records), PartitionKey: 'a', SequenceNumber: SEQUENCE_NUMBER });
        expect(deaggregated.map((r) => [r.PartitionKey, r.ExplicitPartitionKey, r.Data, r.SubSequenceNumber])).to.deep.equal(
          records.map((r, i) => [r.partitionKey, r.explicitHashKey, Buffer.from(r.data).toString('base64'), i]),
        );
      }),
    );
  });

  it('we decode what aws-kinesis-agg aggregates', () => {
    fc.assert(
      fc.property(recordsArb, (records) => {
        const encoded = aggAggregate(records.map((r) => ({ ...r, data: Buffer.from(r.data) })));
        expect(encoded).to.have.length(1);
        expect(plain(decodeAggregatedRecord(encoded[0]!.data))).to.deep.equal(plain(records));
      }),
    );
  });

  it('encodes the same bytes as aws-kinesis-agg (protobufjs) for the same records', () => {
    fc.assert(
      fc.property(recordsArb, (records) => {
        const theirs = aggAggregate(records.map((r) => ({ ...r, data: Buffer.from(r.data) })));
        expect(Buffer.from(encodeAggregatedRecord(records)).toString('hex')).to.equal(theirs[0]!.data.toString('hex'));
      }),
    );
  });

  for (const vector of KPL_AGGREGATES) {
    it(`agrees with aws-kinesis-agg on the ${vector.name}`, () => {
      const theirs = aggDeaggregate({ Data: vector.aggregate, PartitionKey: 'a', SequenceNumber: SEQUENCE_NUMBER });
      const ours = decodeAggregatedRecord(vector.aggregate)!;
      expect(ours.map((r) => [r.partitionKey, r.explicitHashKey, Buffer.from(r.data).toString('base64')])).to.deep.equal(
        theirs.map((r) => [r.PartitionKey, r.ExplicitPartitionKey, r.Data]),
      );
    });
  }
});
