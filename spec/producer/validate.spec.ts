import { expect } from 'chai';
import { hashKeyOf } from '../../lib/kpl';
import { InvalidRecordError } from '../../lib/model/errors';
import type { SendFailed } from '../../lib/model/send-result';
import { PendingRecord } from '../../lib/producer/pending-record';
import { hashKeyDecimalOf } from '../../lib/producer/hash-key';
import { MessageIds, validateEvent } from '../../lib/producer/validate';

const options = { maxUserRecordSize: 100 };
const hex = (value: bigint) => value.toString(16).padStart(32, '0');

function reasonOf(result: PendingRecord | SendFailed): InvalidRecordError {
  if (result instanceof PendingRecord) throw new Error('expected a failure');
  return result.reason as InvalidRecordError;
}

describe('validateEvent', () => {
  describe('must', () => {
    it('hash the partition key as Kinesis does (MD5, big-endian), shown as 32 hex digits', () => {
      for (const key of ['a', 'abc', '78feb12a-dba0-45ca-a91e-bb1f2f1819b4', 'ünïcødé', 'k'.repeat(256)]) {
        const r = validateEvent({ partitionKey: key, payload: '' }, { maxUserRecordSize: 1000 }, 'id') as PendingRecord;
        expect(BigInt(`0x${r.hashKey}`)).to.equal(hashKeyOf(key));
        expect(r.hashKey).to.have.length(32);
      }
      const abc = validateEvent({ partitionKey: 'abc', payload: '' }, options, 'id') as PendingRecord;
      expect(hashKeyDecimalOf(abc)).to.equal('191415658344158766168031473277922803570');
    });

    it('turn a valid event into a record with its bytes and hash key', () => {
      const event = { partitionKey: 'k', payload: 'héllo' };
      const record = validateEvent(event, options, 'id-1');
      expect(record).to.be.instanceOf(PendingRecord);
      const r = record as PendingRecord;
      expect([r.event, r.messageId, r.partitionKey, Buffer.from(r.data).toString('utf8'), r.hashKey, r.explicitHashKey]).to.deep.equal([
        event,
        'id-1',
        'k',
        'héllo',
        hex(hashKeyOf('k')),
        undefined,
      ]);
    });

    it('route by the explicit hash key, keeping it as given', () => {
      const r = validateEvent({ partitionKey: 'k', payload: 'x', explicitHashKey: '007' }, options, 'id') as PendingRecord;
      expect(r.hashKey).to.equal(hex(7n));
      expect(r.explicitHashKey).to.equal('007');
    });

    it('reject each kind of bad input with a message naming it', () => {
      const cases: [unknown, string, string][] = [
        [{ partitionKey: '', payload: 'x' }, 'partitionKey', 'must not be empty'],
        [{ partitionKey: 'x'.repeat(257), payload: 'x' }, 'partitionKey', 'at most 256 characters, got 257'],
        [{ partitionKey: 42, payload: 'x' }, 'partitionKey', 'must be a string, got number'],
        [{ partitionKey: 'a\uDC00', payload: 'x' }, 'partitionKey', 'lone surrogate'],
        [{ partitionKey: 'k', payload: new Uint8Array(100) }, 'data', 'data plus partition key must be at most 100 bytes (MaxUserRecordSize), got 100 + 1'],
        [{ partitionKey: 'é', payload: 'x'.repeat(99) }, 'data', 'got 99 + 2'],
        [{ partitionKey: 'k', payload: 12 }, 'data', 'Uint8Array or a string, got number'],
        [{ partitionKey: 'k', payload: 'x', explicitHashKey: '-1' }, 'explicitHashKey', 'between 0 and 2^128-1, got "-1"'],
        [{ partitionKey: 'k', payload: 'x', explicitHashKey: '1e3' }, 'explicitHashKey', 'got "1e3"'],
        [null, 'data', 'must be an object, got null'],
      ];
      for (const [event, field, message] of cases) {
        const reason = reasonOf(validateEvent(event as never, options, 'id'));
        expect(reason, JSON.stringify(event)).to.be.instanceOf(InvalidRecordError);
        expect(reason.field).to.equal(field);
        expect(reason.message).to.contain(message);
      }
    });

    it('accept the limits themselves: 256 characters, MaxUserRecordSize bytes of data and partition key, 2^128 − 1', () => {
      expect(validateEvent({ partitionKey: 'x'.repeat(256), payload: '' }, { maxUserRecordSize: 256 }, 'id')).to.be.instanceOf(PendingRecord);
      expect(validateEvent({ partitionKey: 'k', payload: new Uint8Array(99) }, options, 'id')).to.be.instanceOf(PendingRecord);
      expect(validateEvent({ partitionKey: 'é', payload: 'x'.repeat(98) }, options, 'id')).to.be.instanceOf(PendingRecord);
      expect(validateEvent({ partitionKey: 'k', payload: '', explicitHashKey: ((1n << 128n) - 1n).toString() }, options, 'id')).to.be.instanceOf(PendingRecord);
      expect(validateEvent({ partitionKey: '😀 ok', payload: '' }, options, 'id')).to.be.instanceOf(PendingRecord);
    });
  });
});

describe('MessageIds', () => {
  it('must give ids unique within and across producers, the same text for the same number', () => {
    const a = new MessageIds();
    const b = new MessageIds();
    const first = a.take();
    const ids = [a.idOf(first), a.next(), b.next(), b.next()];
    expect(new Set(ids).size).to.equal(4);
    expect(a.idOf(first)).to.equal(ids[0]);
  });
});
