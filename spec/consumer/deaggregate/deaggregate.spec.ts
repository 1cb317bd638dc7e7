import { expect } from 'chai';
import fc from 'fast-check';
import { deaggregate, type DeaggregationDiagnostic } from '../../../lib/consumer/deaggregate/deaggregate';
import { encodeAggregatedRecord } from '../../../lib/kpl/aggregated-record';
import { MAX_HASH_KEY, hashKeyOf } from '../../../lib/kpl/hash-key';
import type { HashKeyRange, KinesisRecord } from '../../../lib/ports/kinesis-port';
import { NON_AGGREGATED, NO_EHKS, WITH_EHKS } from '../../kpl/kpl-vectors';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
const arrival = new Date('2024-05-01T12:00:00Z');
const record = (sequenceNumber: string, data: Uint8Array, partitionKey = 'pk'): KinesisRecord => ({
  sequenceNumber,
  partitionKey,
  data,
  approximateArrivalTimestamp: arrival,
});
const HALF = (MAX_HASH_KEY + 1n) / 2n;
const LOWER: HashKeyRange = { startingHashKey: 0n, endingHashKey: HALF - 1n };
const UPPER: HashKeyRange = { startingHashKey: HALF, endingHashKey: MAX_HASH_KEY };
const shard = (hashKeyRange?: HashKeyRange) => ({ shardId: 'shardId-000000000000', ...(hashKeyRange === undefined ? {} : { hashKeyRange }) });

describe('deaggregate', () => {
  it('explodes a real KPL aggregate into its user records, numbered from 0, sharing sequence number and arrival time', () => {
    const events = deaggregate([record('100', WITH_EHKS.aggregate, 'a')], shard());
    expect(events.map((e) => e.sequenceNumber.toString())).to.deep.equal(['100/0', '100/1', '100/2', '100/3']);
    expect(events.map((e) => e.partitionKey)).to.deep.equal(WITH_EHKS.userRecords.map((u) => u.partitionKey));
    expect(events.map((e) => e.explicitHashKey)).to.deep.equal(WITH_EHKS.userRecords.map((u) => u.explicitHashKey));
    expect(events.map((e) => e.payloadAsString())).to.deep.equal(WITH_EHKS.userRecords.map((u) => text(u.data)));
    expect(events.every((e) => e.arrivalTime === arrival && e.shardId === 'shardId-000000000000')).to.equal(true);
  });

  it('restarts sub-sequence numbers at 0 for every Kinesis record', () => {
    const events = deaggregate([record('100', NO_EHKS.aggregate), record('101', WITH_EHKS.aggregate)], shard());
    expect(events.map((e) => e.sequenceNumber.toString())).to.deep.equal([
      ...NO_EHKS.userRecords.map((_, i) => `100/${i}`),
      ...WITH_EHKS.userRecords.map((_, i) => `101/${i}`),
    ]);
    expect(events.some((e) => e.explicitHashKey !== undefined && e.sequenceNumber.sequenceNumber === '100')).to.equal(false);
  });

  it('passes a plain record through whole, with sub-sequence 0 and the Kinesis partition key', () => {
    const [event, ...rest] = deaggregate([record('7', NON_AGGREGATED.data, 'plain-key')], shard());
    expect(rest).to.deep.equal([]);
    expect(event!.sequenceNumber.toString()).to.equal('7/0');
    expect(event!.partitionKey).to.equal('plain-key');
    expect(event!.explicitHashKey).to.equal(undefined);
    expect(event!.payloadAsString()).to.equal(NON_AGGREGATED.text);
  });

  it('passes an aggregate with a bad checksum through as one plain record (the KCL does not fail)', () => {
    const corrupt = WITH_EHKS.aggregate.slice();
    corrupt[corrupt.length - 1] = corrupt[corrupt.length - 1]! ^ 0xff;
    const events = deaggregate([record('9', corrupt)], shard(LOWER));
    expect(events).to.have.length(1);
    expect(events[0]!.sequenceNumber.toString()).to.equal('9/0');
    expect(Buffer.from(events[0]!.payload).equals(Buffer.from(corrupt))).to.equal(true);
  });

  it('does not range-filter plain records, as the KCL does not', () => {
    // "x" hashes into one half only; a plain record there is still delivered on the other half.
    const other = hashKeyOf('x') < HALF ? UPPER : LOWER;
    expect(deaggregate([record('1', new Uint8Array([1, 2, 3]), 'x')], shard(other))).to.have.length(1);
  });

  it('delivers every user record of an aggregate that strays outside the shard, and reports it once with the count', () => {
    // The real aggregate's explicit hash keys span both halves of the key space.
    const hashKeys = WITH_EHKS.userRecords.map((u) => BigInt(u.explicitHashKey!));
    const seen: DeaggregationDiagnostic[] = [];
    const plain = record('2', new Uint8Array([9]));
    for (const range of [LOWER, UPPER]) {
      seen.length = 0;
      const events = deaggregate([record('1', WITH_EHKS.aggregate), plain], shard(range), (d) => seen.push(d));
      expect(events.map((e) => e.sequenceNumber.toString())).to.deep.equal(['1/0', '1/1', '1/2', '1/3', '2/0']);
      expect(events.slice(0, 4).map((e) => e.payloadAsString())).to.deep.equal(WITH_EHKS.userRecords.map((u) => text(u.data)));
      const outside = hashKeys.map((h, sub) => ({ h, sub })).filter(({ h }) => h < range.startingHashKey || h > range.endingHashKey);
      expect(outside.length, 'some inside, some outside').to.be.within(1, 3);
      expect(seen).to.deep.equal([
        {
          _tag: 'AggregateOutOfRange',
          shardId: 'shardId-000000000000',
          sequenceNumber: '1',
          subSequenceNumber: outside[0]!.sub,
          hashKey: outside[0]!.h,
          outOfRange: outside.length,
          userRecords: 4,
          outcome: 'delivered',
        },
      ]);
    }
  });

  it("with 'drop', drops the whole aggregate as the KCL does, and reports it with the count", () => {
    const seen: DeaggregationDiagnostic[] = [];
    const plain = record('2', new Uint8Array([9]));
    for (const range of [LOWER, UPPER]) {
      seen.length = 0;
      const events = deaggregate([record('1', WITH_EHKS.aggregate), plain], shard(range), (d) => seen.push(d), 'drop');
      expect(events.map((e) => e.sequenceNumber.toString()), 'only the plain record').to.deep.equal(['2/0']);
      const outside = WITH_EHKS.userRecords.filter((u) => BigInt(u.explicitHashKey!) < range.startingHashKey || BigInt(u.explicitHashKey!) > range.endingHashKey);
      expect(seen).to.have.length(1);
      expect(seen[0]).to.deep.include({ _tag: 'AggregateOutOfRange', sequenceNumber: '1', outOfRange: outside.length, userRecords: 4, outcome: 'dropped' });
    }
    expect(deaggregate([record('1', WITH_EHKS.aggregate)], shard({ startingHashKey: 0n, endingHashKey: MAX_HASH_KEY }), undefined, 'drop')).to.have.length(4);
  });

  it('keeps an aggregate whose user records all route inside the shard, without a word', () => {
    const inLower = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9'].filter((k) => hashKeyOf(k) < HALF).slice(0, 3);
    expect(inLower).to.have.length(3);
    const aggregate = encodeAggregatedRecord(inLower.map((k) => ({ partitionKey: k, data: Buffer.from(k) })));
    const seen: DeaggregationDiagnostic[] = [];
    for (const outOfRange of ['deliver', 'drop'] as const) {
      const events = deaggregate([record('5', aggregate)], shard(LOWER), (d) => seen.push(d), outOfRange);
      expect(events.map((e) => e.partitionKey), outOfRange).to.deep.equal(inLower);
    }
    expect(seen).to.deep.equal([]);
    // The same records, plus one explicit hash key at the very top of the key space: dropped on either half with 'drop'.
    const mixed = encodeAggregatedRecord([
      ...inLower.map((k) => ({ partitionKey: k, data: Buffer.from(k) })),
      { partitionKey: 'z', explicitHashKey: MAX_HASH_KEY.toString(), data: Buffer.from('z') },
    ]);
    expect(deaggregate([record('6', mixed)], shard(LOWER), undefined, 'drop')).to.deep.equal([]);
    expect(deaggregate([record('6', mixed)], shard(UPPER), undefined, 'drop')).to.deep.equal([]);
    expect(deaggregate([record('6', mixed)], shard(UPPER)).map((e) => e.payloadAsString())).to.deep.equal([...inLower, 'z']);
  });

  it('delivers user records with an unreadable explicit hash key, and those after them, where the KCL loses them', () => {
    const aggregate = encodeAggregatedRecord([
      { partitionKey: 'a', data: Buffer.from('first') },
      { partitionKey: 'b', explicitHashKey: 'not-a-number', data: Buffer.from('bad') },
      { partitionKey: 'c', data: Buffer.from('after') },
      { partitionKey: 'd', explicitHashKey: (MAX_HASH_KEY + 1n).toString(), data: Buffer.from('too big') },
    ]);
    for (const outOfRange of ['deliver', 'drop'] as const) {
      const seen: DeaggregationDiagnostic[] = [];
      const events = deaggregate([record('3', aggregate)], shard(), (d) => seen.push(d), outOfRange);
      expect(events.map((e) => e.payloadAsString()), outOfRange).to.deep.equal(['first', 'bad', 'after', 'too big']);
      expect(events.map((e) => e.explicitHashKey)).to.deep.equal([undefined, 'not-a-number', undefined, (MAX_HASH_KEY + 1n).toString()]);
      expect(seen).to.deep.equal([
        { _tag: 'UnreadableExplicitHashKey', shardId: 'shardId-000000000000', sequenceNumber: '3', subSequenceNumber: 1, explicitHashKey: 'not-a-number', userRecords: 2 },
      ]);
    }
  });

  it("under 'drop', drops an aggregate that strays even when it has an unreadable explicit hash key, and reports both", () => {
    const outsideLower = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'].find((k) => hashKeyOf(k) >= HALF)!;
    const aggregate = encodeAggregatedRecord([
      { partitionKey: 'b', explicitHashKey: '12x', data: Buffer.from('bad') },
      { partitionKey: outsideLower, data: Buffer.from('stray') },
    ]);
    const seen: DeaggregationDiagnostic[] = [];
    expect(deaggregate([record('4', aggregate)], shard(LOWER), (d) => seen.push(d), 'drop')).to.deep.equal([]);
    expect(seen.map((d) => d._tag)).to.deep.equal(['UnreadableExplicitHashKey', 'AggregateOutOfRange']);
    expect(seen[1]).to.deep.include({ subSequenceNumber: 1, outOfRange: 1, userRecords: 2, outcome: 'dropped' });
  });

  it('returns payloads as views of the record data, not copies', () => {
    const events = deaggregate([record('1', NO_EHKS.aggregate)], shard());
    expect(events[0]!.payload.buffer).to.equal(NO_EHKS.aggregate.buffer);
  });

  it('tells the user records outside the range exactly as comparing each hash key as a bigint would, repeated keys included', () => {
    const key = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 });
    const keys = fc.array(key, { minLength: 1, maxLength: 6 }).chain((distinct) => fc.array(fc.constantFrom(...distinct), { minLength: 1, maxLength: 12 }));
    // Ranges bounded by hash keys of the records themselves, so the edges are hit exactly.
    fc.assert(
      fc.property(keys, fc.nat(), fc.nat(), fc.boolean(), fc.constantFrom('deliver' as const, 'drop' as const), (partitionKeys, i, j, widen, outOfRange) => {
        const hashes = partitionKeys.map(hashKeyOf);
        const [low, end] = [hashes[i % hashes.length]!, hashes[j % hashes.length]!].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) as [bigint, bigint];
        const start = widen && low > 0n ? low - 1n : low;
        const aggregate = encodeAggregatedRecord(partitionKeys.map((k, n) => ({ partitionKey: k, data: Buffer.from(String(n)) })));
        const seen: DeaggregationDiagnostic[] = [];
        const events = deaggregate([record('9', aggregate)], shard({ startingHashKey: start, endingHashKey: end }), (d) => seen.push(d), outOfRange);
        const outside = hashes.filter((h) => h < start || h > end).length;
        const firstOut = hashes.findIndex((h) => h < start || h > end);
        if (outside === 0 || outOfRange === 'deliver') {
          expect(events.map((e) => e.sequenceNumber.toString())).to.deep.equal(partitionKeys.map((_, n) => `9/${n}`));
          expect(events.map((e) => e.partitionKey)).to.deep.equal(partitionKeys);
        } else {
          expect(events).to.deep.equal([]);
        }
        expect(seen).to.deep.equal(
          outside === 0
            ? []
            : [
                {
                  _tag: 'AggregateOutOfRange',
                  shardId: 'shardId-000000000000',
                  sequenceNumber: '9',
                  subSequenceNumber: firstOut,
                  hashKey: hashes[firstOut],
                  outOfRange: outside,
                  userRecords: partitionKeys.length,
                  outcome: outOfRange === 'deliver' ? 'delivered' : 'dropped',
                },
              ],
        );
      }),
    );
  });
});
