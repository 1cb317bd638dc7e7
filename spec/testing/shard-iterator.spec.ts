import { expect } from 'chai';
import { decodeShardIterator, encodeShardIterator, type IteratorState } from '../../lib/testing/shard-iterator';

describe('shard iterators must', () => {
  const state: IteratorState = { streamName: 'orders', incarnation: 3, shardId: 'shardId-000000000001', position: 42, issuedAtMillis: 1_700_000_000_000 };

  it('decode to what was encoded', () => {
    expect(decodeShardIterator(encodeShardIterator(state))).to.deep.equal(state);
  });

  it('be opaque strings', () => {
    const text = encodeShardIterator(state);
    expect(text).not.to.contain('orders');
    expect(text).not.to.contain('shardId');
  });

  it('refuse anything this fake did not issue', () => {
    const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');
    for (const bad of ['', 'garbage!', b64({ a: 1 }), b64(['s', 1, 'x', 'not a number', 0]), b64(['s', 1.5, 'x', 0, 0]), b64(['s', 1, 'x', 0])]) {
      expect(decodeShardIterator(bad), bad).to.equal(undefined);
    }
  });
});
