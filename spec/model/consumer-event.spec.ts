import { expect } from 'chai';
import fc from 'fast-check';
import { consumerEvent } from '../../lib/model/consumer-event';
import { CompoundSequenceNumber } from '../../lib/model/sequence-number';

const base = {
  shardId: 'shardId-000000000000',
  partitionKey: 'pk',
  sequenceNumber: new CompoundSequenceNumber('1'),
  arrivalTime: new Date(0),
};

describe('ConsumerEvent', () => {
  it('payloadAsString round-trips any string through UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const event = consumerEvent({ ...base, payload: new TextEncoder().encode(text) });
        expect(event.payloadAsString()).to.equal(text);
      }),
    );
  });

  it('payloadAsString decodes exactly the bytes of a view, not the whole backing buffer', () => {
    const backing = new TextEncoder().encode('xxhelloyy');
    const event = consumerEvent({ ...base, payload: backing.subarray(2, 7) });
    expect(event.payloadAsString()).to.equal('hello');
  });

  it('payloadAsString honours another encoding', () => {
    const event = consumerEvent({ ...base, payload: Uint8Array.of(0xe9) });
    expect(event.payloadAsString('latin1')).to.equal('é');
  });

  it('has an explicitHashKey only when given one', () => {
    const without = consumerEvent({ ...base, payload: Uint8Array.of(1) });
    expect('explicitHashKey' in without).to.equal(false);
    expect(Object.keys(without)).to.deep.equal(['shardId', 'partitionKey', 'sequenceNumber', 'payload', 'arrivalTime']);
    const withKey = consumerEvent({ ...base, explicitHashKey: '12', payload: Uint8Array.of(1) });
    expect(withKey.explicitHashKey).to.equal('12');
    expect(withKey.sequenceNumber).to.equal(base.sequenceNumber);
    expect(withKey.arrivalTime).to.equal(base.arrivalTime);
  });
});
