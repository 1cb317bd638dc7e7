import { expect } from 'chai';
import { formatRecordJson, formatRecordText, printableText, recordFormatter } from '../../lib/cli/record-format';
import { consumerEvent } from '../../lib/model/consumer-event';
import { CompoundSequenceNumber } from '../../lib/model/sequence-number';

const SEQUENCE = '49590338271490256608559692538361571095921575989136588898';

function event(payload: Uint8Array, extra: { explicitHashKey?: string; sub?: number } = {}) {
  return consumerEvent({
    shardId: 'shardId-000000000001',
    partitionKey: 'key-7',
    ...(extra.explicitHashKey === undefined ? {} : { explicitHashKey: extra.explicitHashKey }),
    sequenceNumber: new CompoundSequenceNumber(SEQUENCE, extra.sub ?? 0),
    payload,
    arrivalTime: new Date('2024-05-01T12:00:00.000Z'),
  });
}

describe('cli/record-format', () => {
  it('printableText accepts UTF-8 text with tabs, refuses other control characters and bad UTF-8', () => {
    expect(printableText(Buffer.from('héllo\tworld'))).to.equal('héllo\tworld');
    expect(printableText(Buffer.from('two\nlines'))).to.equal(undefined);
    expect(printableText(Uint8Array.of(0xff, 0xfe))).to.equal(undefined);
    expect(printableText(Uint8Array.of(0x41, 0x00))).to.equal(undefined);
  });

  it('formats a text record as one line, with the sub-sequence number', () => {
    expect(formatRecordText(event(Buffer.from('{"seq":3}'), { sub: 2 }))).to.equal(`shardId-000000000001  ${SEQUENCE}/2  key-7  {"seq":3}`);
  });

  it('shows a binary payload in base64, of exactly the view it is given', () => {
    const whole = Uint8Array.of(9, 0x00, 0x01, 0xff, 9);
    expect(formatRecordText(event(whole.subarray(1, 4)))).to.equal(`shardId-000000000001  ${SEQUENCE}/0  key-7  base64:AAH/`);
  });

  it('formats a record as JSON, with data or dataBase64 and the explicit hash key when present', () => {
    expect(JSON.parse(formatRecordJson(event(Buffer.from('hi'), { explicitHashKey: '42', sub: 1 })))).to.deep.equal({
      shardId: 'shardId-000000000001',
      sequenceNumber: SEQUENCE,
      subSequenceNumber: 1,
      partitionKey: 'key-7',
      explicitHashKey: '42',
      arrivalTime: '2024-05-01T12:00:00.000Z',
      data: 'hi',
    });
    expect(JSON.parse(formatRecordJson(event(Uint8Array.of(0, 1))))).to.include({ dataBase64: 'AAE=' }).and.not.have.property('data');
  });

  it('recordFormatter picks the format', () => {
    const e = event(Buffer.from('x'));
    expect(recordFormatter('json')(e)).to.equal(formatRecordJson(e));
    expect(recordFormatter('text')(e)).to.equal(formatRecordText(e));
  });
});
