import { expect } from 'chai';
import { hashKeyOf } from '../../lib/kpl';
import { InvalidRecordError } from '../../lib/model/errors';
import type { SendFailed } from '../../lib/model/send-result';
import { PendingRecord } from '../../lib/producer/pending-record';
import { hashKeyDecimal, hashKeyHex, messageIds, toHashKeyHex, validateEvent } from '../../lib/producer/validate';

const options = { maxUserRecordSize: 100 };

function reasonOf(result: PendingRecord | SendFailed): InvalidRecordError {
  if (result instanceof PendingRecord) throw new Error('expected a failure');
  return result.reason as InvalidRecordError;
}

describe('validateEvent', () => {
  describe('must', () => {
    it('hash the partition key as Kinesis does (MD5, big-endian), as 32 hex digits', () => {
      for (const key of ['a', 'abc', '78feb12a-dba0-45ca-a91e-bb1f2f1819b4', 'ünïcødé']) {
        expect(BigInt(`0x${hashKeyHex(key)}`)).to.equal(hashKeyOf(key));
        expect(hashKeyHex(key)).to.have.length(32);
      }
      expect(hashKeyDecimal(hashKeyHex('abc'))).to.equal('191415658344158766168031473277922803570');
    });

    it('keep hex hash keys in numeric order when compared as strings', () => {
      const values = [0n, 1n, 255n, 256n, 1n << 64n, (1n << 128n) - 1n];
      const hex = values.map(toHashKeyHex);
      expect([...hex].sort()).to.deep.equal(hex);
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
        hashKeyHex('k'),
        undefined,
      ]);
    });

    it('route by the explicit hash key, keeping it as given', () => {
      const r = validateEvent({ partitionKey: 'k', payload: 'x', explicitHashKey: '007' }, options, 'id') as PendingRecord;
      expect(r.hashKey).to.equal(toHashKeyHex(7n));
      expect(r.explicitHashKey).to.equal('007');
    });

    it('reject each kind of bad input with a message naming it', () => {
      const cases: [unknown, string, string][] = [
        [{ partitionKey: '', payload: 'x' }, 'partitionKey', 'must not be empty'],
        [{ partitionKey: 'x'.repeat(257), payload: 'x' }, 'partitionKey', 'at most 256 characters, got 257'],
        [{ partitionKey: 42, payload: 'x' }, 'partitionKey', 'must be a string, got number'],
        [{ partitionKey: 'a\uDC00', payload: 'x' }, 'partitionKey', 'lone surrogate'],
        [{ partitionKey: 'k', payload: new Uint8Array(101) }, 'data', 'at most 100 bytes (MaxUserRecordSize), got 101'],
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

    it('accept the limits themselves: 256 characters, MaxUserRecordSize bytes, 2^128 − 1', () => {
      expect(validateEvent({ partitionKey: 'x'.repeat(256), payload: new Uint8Array(100) }, options, 'id')).to.be.instanceOf(PendingRecord);
      expect(validateEvent({ partitionKey: 'k', payload: '', explicitHashKey: ((1n << 128n) - 1n).toString() }, options, 'id')).to.be.instanceOf(PendingRecord);
      expect(validateEvent({ partitionKey: '😀 ok', payload: '' }, options, 'id')).to.be.instanceOf(PendingRecord);
    });
  });
});

describe('messageIds', () => {
  it('must give ids unique within and across producers', () => {
    const a = messageIds();
    const b = messageIds();
    const ids = [a(), a(), b(), b()];
    expect(new Set(ids).size).to.equal(4);
  });
});
