import { expect } from 'chai';
import { CompoundSequenceNumber } from '../../lib/model/sequence-number';
import { parseSequenceNumber, Sequencer, shardOrdinalOf } from '../../lib/testing/sequence-numbers';

describe('sequence numbers must', () => {
  it('be 56-digit decimals, increasing across shards, that the model can compare', () => {
    const sequencer = new Sequencer();
    const issued = [3, 0, 3, 12, 0].map((ordinal) => sequencer.next(ordinal));
    for (const n of issued) expect(String(n)).to.match(/^\d{56}$/);
    issued.slice(1).forEach((n, i) => expect(n > (issued[i] as bigint)).to.equal(true));
    const positions = issued.map((n) => new CompoundSequenceNumber(String(n)));
    positions.slice(1).forEach((p, i) => expect(p.isAfter(positions[i] as CompoundSequenceNumber)).to.equal(true));
  });

  it('carry the shard ordinal, and recognise only numbers of this form', () => {
    const sequencer = new Sequencer();
    expect(shardOrdinalOf(sequencer.next(7))).to.equal(7);
    expect(shardOrdinalOf(sequencer.next(0))).to.equal(0);
    expect(shardOrdinalOf(12n)).to.equal(undefined);
    expect(shardOrdinalOf(BigInt(`5${'0'.repeat(55)}`))).to.equal(undefined);
  });

  it('parse decimal text only', () => {
    expect(parseSequenceNumber('0042')).to.equal(42n);
    for (const bad of ['', '-1', '1e5', 'abc', '1'.repeat(129)]) expect(parseSequenceNumber(bad), bad).to.equal(undefined);
  });
});
