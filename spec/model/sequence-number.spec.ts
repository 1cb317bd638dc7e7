import { expect } from 'chai';
import fc from 'fast-check';
import { CompoundSequenceNumber as Csn } from '../../lib/model/sequence-number';

describe('CompoundSequenceNumber', () => {
  it('compares sequence numbers as integers, not strings', () => {
    expect(new Csn('9').isBefore(new Csn('10'))).to.equal(true);
    expect(new Csn('110').isAfter(new Csn('12'))).to.equal(true);
  });

  it('compares sub-sequence numbers numerically: ("1",10) is after ("1",2)', () => {
    // The seed compared "1"+"10" = "110" with "1"+"2" = "12" as strings and got this backwards.
    expect(new Csn('1', 10).isAfter(new Csn('1', 2))).to.equal(true);
  });

  it('orders by sequence number first, then sub-sequence', () => {
    const sorted = [new Csn('5', 0), new Csn('4', 3), new Csn('4', 1), new Csn('49581544954143914480256700934210366840104395343224897586', 0)]
      .sort(Csn.compare)
      .map(String);
    expect(sorted).to.deep.equal(['4/1', '4/3', '5/0', '49581544954143914480256700934210366840104395343224897586/0']);
  });

  it('orders the sentinels as the KCL: AT_TIMESTAMP < TRIM_HORIZON < LATEST < any record < SHARD_END', () => {
    const record = new Csn('0', 0);
    const order = [Csn.AT_TIMESTAMP, Csn.TRIM_HORIZON, Csn.LATEST, record, new Csn('99999999999999999999999999', 7), Csn.SHARD_END];
    for (let i = 0; i + 1 < order.length; i++) {
      expect(order[i]!.isBefore(order[i + 1]!), `${order[i]} < ${order[i + 1]}`).to.equal(true);
    }
    expect(Csn.SHARD_END.equals(new Csn('SHARD_END'))).to.equal(true);
  });

  it('agrees with (BigInt, sub) tuple ordering for arbitrary values', () => {
    const csn = fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 40n }), fc.nat({ max: 100000 }));
    fc.assert(
      fc.property(csn, csn, ([s1, n1], [s2, n2]) => {
        const expected = s1 === s2 ? Math.sign(n1 - n2) : s1 < s2 ? -1 : 1;
        expect(Math.sign(new Csn(s1.toString(), n1).compare(new Csn(s2.toString(), n2)))).to.equal(expected);
      }),
    );
  });

  it('rejects malformed input with a TypeError naming the value', () => {
    expect(() => new Csn('12a')).to.throw(TypeError, /"12a"/);
    expect(() => new Csn('12', -1)).to.throw(TypeError, /subSequenceNumber/);
    expect(() => new Csn('12', 1.5)).to.throw(TypeError, /subSequenceNumber/);
  });

  it('max picks the later position', () => {
    expect(String(Csn.max(new Csn('3', 1), new Csn('3', 2)))).to.equal('3/2');
  });

  describe('withSubSequence', () => {
    it('is the same position as constructing it from the parts', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 10n ** 60n }), fc.nat({ max: 100000 }), fc.nat({ max: 100000 }), (s, n, m) => {
          const derived = new Csn(s.toString(), n).withSubSequence(m);
          expect(derived.sequenceNumber).to.equal(s.toString());
          expect(derived.subSequenceNumber).to.equal(m);
          expect(derived.toString()).to.equal(`${s}/${m}`);
          expect(derived.compare(new Csn(s.toString(), m))).to.equal(0);
          expect(Math.sign(derived.compare(new Csn((s + 1n).toString(), 0)))).to.equal(-1);
        }),
      );
    });

    it('refuses a bad sub-sequence number, and the next construction still validates', () => {
      const parent = new Csn('42');
      for (const bad of [-1, 1.5, Number.NaN]) {
        expect(() => parent.withSubSequence(bad), String(bad)).to.throw(TypeError, /subSequenceNumber/);
        expect(() => new Csn('not a number', 1)).to.throw(TypeError, /not a sequence number/);
      }
    });

    it('refuses sentinels, which have no sub-sequences', () => {
      expect(() => Csn.TRIM_HORIZON.withSubSequence(1)).to.throw(TypeError, /sentinel/);
      expect(() => Csn.SHARD_END.withSubSequence(2)).to.throw(TypeError, /sentinel/);
    });
  });
});
