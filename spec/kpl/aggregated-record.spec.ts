import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { decodeAggregatedRecord, encodeAggregatedRecord, MAX_HASH_KEY } from '../../lib/kpl';
import type { UserRecord } from '../../lib/kpl';
import { KPL_AGGREGATES, NON_AGGREGATED, SHARED_KEYS } from './kpl-vectors';
import { bytesField, frame, MAGIC, protobufOf, tag, varint, varintField } from './protobuf-bytes';

/** Plain objects with data as arrays, so chai compares content and tells which record differs. */
function plain(records: readonly UserRecord[] | undefined): unknown {
  return records?.map((r) => ({ ...r, data: [...r.data] }));
}

const record = (partitionKey: string, data: string, explicitHashKey?: string): UserRecord => ({
  partitionKey,
  ...(explicitHashKey === undefined ? {} : { explicitHashKey }),
  data: new Uint8Array(Buffer.from(data)),
});

// A minimal valid Record and table, to build variations on.
const PK_ENTRY = bytesField(1, 'pk');
const RECORD_FIELDS = [...varintField(1, 0), ...bytesField(3, 'hello')];
const RECORD = bytesField(3, RECORD_FIELDS);

/** Arbitrary user records: full-Unicode keys drawn from a small pool (so keys repeat), optional EHKs, any data. */
const userRecordArb: fc.Arbitrary<UserRecord> = fc.record(
  {
    partitionKey: fc.oneof(fc.constantFrom('a', 'é', '🦀', 'shared'), fc.string({ unit: 'binary', maxLength: 40 })),
    explicitHashKey: fc.oneof(fc.constantFrom('0', '7'), fc.bigInt({ min: 0n, max: MAX_HASH_KEY }).map(String)),
    data: fc.uint8Array({ maxLength: 300 }),
  },
  { requiredKeys: ['partitionKey', 'data'] },
);

describe('aggregated-record', () => {
  describe('against records produced by the KPL', () => {
    for (const vector of KPL_AGGREGATES) {
      it(`decodes the ${vector.name}`, () => {
        expect(plain(decodeAggregatedRecord(vector.aggregate))).to.deep.equal(plain(vector.userRecords));
      });

      it(`encodes the user records of the ${vector.name} to the same bytes`, () => {
        expect(Buffer.from(encodeAggregatedRecord(vector.userRecords)).toString('hex')).to.equal(
          Buffer.from(vector.aggregate).toString('hex'),
        );
      });
    }

    it('treats a record the KPL sent unaggregated as not an aggregate', () => {
      expect(decodeAggregatedRecord(NON_AGGREGATED.data)).to.equal(undefined);
      expect(Buffer.from(NON_AGGREGATED.data).toString()).to.equal(NON_AGGREGATED.text);
    });
  });

  describe('encodeAggregatedRecord', () => {
    it('writes magic, protobuf and the MD5 of the protobuf', () => {
      const bytes = encodeAggregatedRecord([record('pk', 'hello'), record('pk', 'world')]);
      expect([...bytes.subarray(0, 4)]).to.deep.equal(MAGIC);
      const md5 = createHash('md5').update(protobufOf(bytes)).digest();
      expect(Buffer.from(bytes.subarray(bytes.length - 16)).equals(md5)).to.equal(true);
    });

    it('writes the tables first, de-duplicated, then each record as index 1, (index 2,) data 3', () => {
      const bytes = encodeAggregatedRecord([record('k', 'x', '5'), record('j', 'y'), record('k', 'z', '5')]);
      const expected = [
        ...bytesField(1, 'k'),
        ...bytesField(1, 'j'),
        ...bytesField(2, '5'),
        ...bytesField(3, [...varintField(1, 0), ...varintField(2, 0), ...bytesField(3, 'x')]),
        ...bytesField(3, [...varintField(1, 1), ...bytesField(3, 'y')]),
        ...bytesField(3, [...varintField(1, 0), ...varintField(2, 0), ...bytesField(3, 'z')]),
      ];
      expect([...protobufOf(bytes)]).to.deep.equal(expected);
    });

    it('always writes the required fields, even a zero index and empty data', () => {
      const bytes = encodeAggregatedRecord([{ partitionKey: 'p', data: new Uint8Array(0) }]);
      expect([...protobufOf(bytes)]).to.deep.equal([...bytesField(1, 'p'), 0x1a, 0x04, 0x08, 0x00, 0x1a, 0x00]);
    });

    it('counts and writes keys in UTF-8', () => {
      const bytes = encodeAggregatedRecord([record('é🦀', 'd')]);
      expect([...protobufOf(bytes).subarray(0, 8)]).to.deep.equal(bytesField(1, 'é🦀'));
    });

    it('writes multi-byte varints for long data and high key indices', () => {
      const records = Array.from({ length: 200 }, (_, i) => record(`key-${i}`, i === 199 ? 'x'.repeat(20000) : 'd'));
      const decoded = decodeAggregatedRecord(encodeAggregatedRecord(records));
      expect(plain(decoded)).to.deep.equal(plain(records));
    });

    it('keeps keys that look like numbers or object properties in their own order', () => {
      const records = [record('1', 'x', '10'), record('0', 'y', '2'), record('__proto__', 'z', '10'), record('1', 'w')];
      const bytes = encodeAggregatedRecord(records);
      expect([...protobufOf(bytes).subarray(0, 24)]).to.deep.equal([
        ...bytesField(1, '1'),
        ...bytesField(1, '0'),
        ...bytesField(1, '__proto__'),
        ...bytesField(2, '10'),
        ...bytesField(2, '2'),
      ]);
      expect(plain(decodeAggregatedRecord(bytes))).to.deep.equal(plain(records));
    });

    it('refuses an empty list: an aggregate needs at least one record', () => {
      expect(() => encodeAggregatedRecord([])).to.throw(RangeError, /at least one/);
    });

    it('round-trips any records through decodeAggregatedRecord', () => {
      fc.assert(
        fc.property(fc.array(userRecordArb, { minLength: 1, maxLength: 30 }), (records) => {
          expect(plain(decodeAggregatedRecord(encodeAggregatedRecord(records)))).to.deep.equal(plain(records));
        }),
      );
    });
  });

  describe('decodeAggregatedRecord', () => {
    it('returns views into the input rather than copies', () => {
      const input = encodeAggregatedRecord([record('a', 'one'), record('b', 'two')]);
      const decoded = decodeAggregatedRecord(input)!;
      expect(decoded[1]!.data.buffer).to.equal(input.buffer);
      expect(Buffer.from(decoded[1]!.data).toString()).to.equal('two');
    });

    it('decodes an aggregate that sits at an offset inside a larger buffer', () => {
      const aggregate = SHARED_KEYS.aggregate;
      const host = new Uint8Array(aggregate.length + 10);
      host.set(aggregate, 7);
      const decoded = decodeAggregatedRecord(host.subarray(7, 7 + aggregate.length));
      expect(plain(decoded)).to.deep.equal(plain(SHARED_KEYS.userRecords));
    });

    it('rejects data too short to be an aggregate (20 bytes or fewer)', () => {
      expect(decodeAggregatedRecord(new Uint8Array(0))).to.equal(undefined);
      expect(decodeAggregatedRecord(Uint8Array.from(MAGIC))).to.equal(undefined);
      expect(decodeAggregatedRecord(frame([]))).to.equal(undefined); // magic + MD5 of nothing: 20 bytes
    });

    it('rejects data without the magic bytes', () => {
      const bytes = frame([...PK_ENTRY, ...RECORD]);
      bytes[3] = 0xc3;
      expect(decodeAggregatedRecord(bytes)).to.equal(undefined);
    });

    it('rejects an aggregate whose MD5 does not match', () => {
      const good = frame([...PK_ENTRY, ...RECORD]);
      expect(decodeAggregatedRecord(good)).to.have.length(1);
      for (const at of [4, good.length - 17, good.length - 1]) {
        const bad = Uint8Array.from(good);
        bad[at]! ^= 0x01;
        expect(decodeAggregatedRecord(bad), `flipped byte ${at}`).to.equal(undefined);
      }
    });

    it('accepts records before tables and fields in any order', () => {
      const reversedRecord = bytesField(3, [...bytesField(3, 'data'), ...varintField(2, 0), ...varintField(1, 1)]);
      const bytes = frame([...reversedRecord, ...bytesField(2, '42'), ...bytesField(1, 'first'), ...bytesField(1, 'second')]);
      expect(plain(decodeAggregatedRecord(bytes))).to.deep.equal(plain([record('second', 'data', '42')]));
    });

    it('resolves indices against table entries that come after the record', () => {
      const recordWith = (pk: number, data: string) => bytesField(3, [...varintField(1, pk), ...bytesField(3, data)]);
      const bytes = frame([...bytesField(1, 'a'), ...recordWith(0, 'x'), ...recordWith(1, 'y'), ...recordWith(0, 'z'), ...bytesField(1, 'b')]);
      expect(plain(decodeAggregatedRecord(bytes))).to.deep.equal(plain([record('a', 'x'), record('b', 'y'), record('a', 'z')]));
    });

    it('skips unknown fields of every wire type, at both levels', () => {
      const unknown = [
        ...varintField(9, 300),
        ...tag(10, 1), 1, 2, 3, 4, 5, 6, 7, 8, // fixed64
        ...bytesField(11, 'ignored'),
        ...tag(12, 3), ...varintField(1, 1), ...bytesField(2, 'nested'), ...tag(12, 4), // group
        ...tag(13, 5), 1, 2, 3, 4, // fixed32
        ...varintField(1, 5), // a known field number with the wrong wire type is an unknown field
      ];
      const bytes = frame([...unknown, ...PK_ENTRY, ...bytesField(3, [...unknown, ...RECORD_FIELDS]), ...unknown]);
      expect(plain(decodeAggregatedRecord(bytes))).to.deep.equal(plain([record('pk', 'hello')]));
    });

    it('skips tags that carry their required key, and rejects tags without one', () => {
      const withTag = (tagFields: number[]) => frame([...PK_ENTRY, ...bytesField(3, [...RECORD_FIELDS, ...bytesField(4, tagFields)])]);
      expect(decodeAggregatedRecord(withTag([...bytesField(1, 'k'), ...bytesField(2, 'v')]))).to.have.length(1);
      expect(decodeAggregatedRecord(withTag(bytesField(2, 'v')))).to.equal(undefined);
    });

    it('takes the last value of a field repeated inside a record, as protobuf does', () => {
      const bytes = frame([...PK_ENTRY, ...bytesField(1, 'pk2'), ...bytesField(3, [...varintField(1, 0), ...varintField(1, 1), ...bytesField(3, 'a'), ...bytesField(3, 'b')])]);
      expect(plain(decodeAggregatedRecord(bytes))).to.deep.equal(plain([record('pk2', 'b')]));
    });

    it('rejects a record without its required partition key index or data', () => {
      expect(decodeAggregatedRecord(frame([...PK_ENTRY, ...bytesField(3, bytesField(3, 'x'))]))).to.equal(undefined);
      expect(decodeAggregatedRecord(frame([...PK_ENTRY, ...bytesField(3, varintField(1, 0))]))).to.equal(undefined);
    });

    it('rejects a key index outside its table', () => {
      expect(decodeAggregatedRecord(frame([...PK_ENTRY, ...bytesField(3, [...varintField(1, 1), ...bytesField(3, 'x')])]))).to.equal(undefined);
      expect(
        decodeAggregatedRecord(frame([...PK_ENTRY, ...bytesField(3, [...varintField(1, 0), ...varintField(2, 0), ...bytesField(3, 'x')])])),
      ).to.equal(undefined);
      expect(
        decodeAggregatedRecord(frame([...PK_ENTRY, ...bytesField(3, [...varintField(1, 2n ** 64n - 1n), ...bytesField(3, 'x')])])),
      ).to.equal(undefined);
    });

    it('rejects malformed protobuf', () => {
      const cases: Record<string, number[]> = {
        'a truncated varint': [...PK_ENTRY, 0x08, 0x80],
        'a varint longer than ten bytes': [...PK_ENTRY, ...tag(9, 0), ...Array<number>(10).fill(0x80), 0x01],
        'a length past the end': [...PK_ENTRY, 0x1a, 0x7f, 0x08, 0x00],
        'a record length past its end inside the message': [...PK_ENTRY, ...bytesField(3, [0x08, 0x00, 0x1a, 0x09, 0x01])],
        'field number zero': [...PK_ENTRY, ...RECORD, 0x00, 0x00],
        'an unmatched end-group': [...PK_ENTRY, ...RECORD, ...tag(12, 4)],
        'an unterminated group': [...PK_ENTRY, ...RECORD, ...tag(12, 3), ...varintField(1, 1)],
        'wire type 6': [...PK_ENTRY, ...RECORD, ...tag(12, 6), 0x00],
        'wire type 7': [...PK_ENTRY, ...RECORD, ...tag(12, 7), 0x00],
        'truncated fixed64': [...PK_ENTRY, ...RECORD, ...tag(12, 1), 1, 2, 3],
        'groups nested deeper than any stack': [...PK_ENTRY, ...RECORD, ...Array.from({ length: 100_000 }, () => tag(12, 3)).flat()],
        'groups nested past the limit': [...PK_ENTRY, ...RECORD, ...Array.from({ length: 101 }, () => tag(12, 3)).flat(), ...Array.from({ length: 101 }, () => tag(12, 4)).flat()],
      };
      for (const [name, protobuf] of Object.entries(cases)) {
        expect(decodeAggregatedRecord(frame(protobuf)), name).to.equal(undefined);
      }
    });

    it('accepts groups nested within the limit', () => {
      const nested = [...Array.from({ length: 99 }, () => tag(12, 3)).flat(), ...Array.from({ length: 99 }, () => tag(12, 4)).flat()];
      expect(decodeAggregatedRecord(frame([...PK_ENTRY, ...RECORD, ...nested]))).to.have.length(1);
    });

    it('decodes a valid aggregate that holds no records to an empty list', () => {
      expect(decodeAggregatedRecord(frame([...PK_ENTRY, ...bytesField(11, 'only an unknown field')]))).to.deep.equal([]);
    });

    it('replaces malformed UTF-8 in keys with U+FFFD, as protobuf-java does for proto2 strings', () => {
      const bytes = frame([...bytesField(1, [0x61, 0xff]), ...RECORD]);
      expect(decodeAggregatedRecord(bytes)?.[0]?.partitionKey).to.equal('a\ufffd');
    });

    it('never throws on arbitrary bytes, with or without magic and checksum', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, framed) => {
          const decoded = decodeAggregatedRecord(framed ? frame(bytes) : bytes);
          if (framed) expect(decoded === undefined || Array.isArray(decoded)).to.equal(true);
          else if (bytes.length < 4 || bytes.subarray(0, 4).some((b, i) => b !== MAGIC[i])) expect(decoded).to.equal(undefined);
        }),
        { numRuns: 2000 },
      );
    });

    it('never throws on corrupted aggregates whose checksum still matches, and keeps views in bounds', () => {
      const seeds = fc.array(userRecordArb, { minLength: 1, maxLength: 6 }).map((records) => protobufOf(encodeAggregatedRecord(records)));
      const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.constantFrom('flip', 'drop', 'insert')), {
        minLength: 1,
        maxLength: 4,
      });
      fc.assert(
        fc.property(seeds, mutation, fc.uint8Array({ maxLength: 3 }), (protobuf, mutations, extra) => {
          const bytes = [...protobuf];
          for (const [position, bit, kind] of mutations) {
            const at = bytes.length === 0 ? 0 : position % bytes.length;
            if (kind === 'flip' && bytes.length > 0) bytes[at]! ^= 1 << bit;
            if (kind === 'drop') bytes.splice(at, 1);
            if (kind === 'insert') bytes.splice(at, 0, ...extra);
          }
          const input = frame(bytes);
          const decoded = decodeAggregatedRecord(input);
          for (const user of decoded ?? []) {
            expect(user.partitionKey).to.be.a('string');
            expect(user.data.buffer).to.equal(input.buffer);
            expect(user.data.byteOffset + user.data.length).to.be.at.most(input.byteOffset + input.length - 16);
          }
        }),
        { numRuns: 3000 },
      );
    });

    it('rejects every aggregate whose trailer does not match its protobuf', () => {
      fc.assert(
        fc.property(fc.array(userRecordArb, { minLength: 1, maxLength: 6 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (records, position, bit) => {
          const bytes = Uint8Array.from(encodeAggregatedRecord(records));
          const at = 4 + (position % (bytes.length - 4));
          bytes[at]! ^= 1 << bit;
          expect(decodeAggregatedRecord(bytes)).to.equal(undefined);
        }),
      );
    });
  });
});

// Keep the helpers honest: they are what the decoder tests are built from.
describe('protobuf-bytes test helper', () => {
  it('encodes varints as protobuf does', () => {
    expect(varint(0)).to.deep.equal([0]);
    expect(varint(300)).to.deep.equal([0xac, 0x02]);
    expect(varint(2n ** 64n - 1n)).to.deep.equal([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});
