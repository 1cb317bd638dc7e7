import { expect } from 'chai';
import { from, toArray } from 'rxjs';
import { recordsAfter, skipCheckpointed } from '../../../lib/consumer/deaggregate/skip-checkpointed';
import { CompoundSequenceNumber as Csn } from '../../../lib/model/sequence-number';

describe('skipCheckpointed', () => {
  const at = (seq: string, sub: number) => ({ sequenceNumber: new Csn(seq, sub) });
  // An aggregate of 12 user records at "7": sub-sequences 10 and 11 sort after 2 only numerically.
  const records = [at('6', 0), ...Array.from({ length: 12 }, (_, i) => at('7', i)), at('12', 0)];
  const names = (rs: readonly { sequenceNumber: Csn }[]) => rs.map((r) => r.sequenceNumber.toString());

  it('keeps the user records after a checkpoint inside an aggregate', () => {
    expect(names(recordsAfter(records, new Csn('7', 2)))).to.deep.equal([...Array.from({ length: 9 }, (_, i) => `7/${i + 3}`), '12/0']);
  });

  it('drops the checkpointed record itself', () => {
    expect(names(recordsAfter(records, new Csn('12', 0)))).to.deep.equal([]);
    expect(names(recordsAfter(records, new Csn('6', 0)))[0]).to.equal('7/0');
  });

  it('keeps everything after a sentinel', () => {
    expect(recordsAfter(records, Csn.TRIM_HORIZON)).to.have.length(records.length);
  });

  it('does the same as an operator', (done) => {
    from(records)
      .pipe(skipCheckpointed(new Csn('7', 10)), toArray())
      .subscribe((kept) => {
        expect(names(kept)).to.deep.equal(['7/11', '12/0']);
        done();
      });
  });
});
