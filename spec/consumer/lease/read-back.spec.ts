import { expect } from 'chai';
import { judgeReadBack, type FailedWrite } from '../../../lib/consumer/lease/read-back';
import type { Lease } from '../../../lib/model/lease';
import { testLease } from '../../support/leases';

const lease = (counter: number, owner?: string, checkpointOwner?: string): Lease =>
  testLease('shardId-000000000000', {
    leaseCounter: counter,
    ...(owner === undefined ? {} : { leaseOwner: owner }),
    ...(checkpointOwner === undefined ? {} : { checkpointOwner }),
  });

const HELD = lease(5, 'A');
const IN_HANDOFF = lease(5, 'B', 'A');
const IN_DOUBT = { checkpoint: 'TRIM_HORIZON' };

/** A failed write of worker A on counter 5; by default nothing in doubt, not in a handoff. */
const write = (fields: Partial<FailedWrite> = {}): FailedWrite => ({ expectedCounter: 5, inDoubt: undefined, inHandoff: false, known: HELD, ...fields });
const released = (stored: Lease) => stored.leaseOwner === undefined;
const handedOver = (stored: Lease) => stored.checkpointOwner === undefined && stored.leaseOwner !== 'A';
const inHandoff = (fields: Partial<FailedWrite> = {}) => write({ inHandoff: true, known: IN_HANDOFF, ...fields });

describe('judgeReadBack', () => {
  // [what happened, the write, the lease read back, the verdict]
  const table: ReadonlyArray<readonly [string, FailedWrite, Lease | undefined, string]> = [
    ['the lease was deleted', write(), undefined, 'Lost'],
    ['another worker took it (counter and owner moved)', write(), lease(6, 'B'), 'Lost'],
    ['a rewind moved the counter, the owner unchanged, and no write of ours is in doubt', write(), lease(6, 'A'), 'Lost'],
    ['a rewind moved the counter and the checkpoint while a write of ours is in doubt', write({ inDoubt: IN_DOUBT }), { ...lease(6, 'A'), checkpoint: 'LATEST' }, 'Lost'],
    ['our write in doubt landed: counter + 1, still ours', write({ inDoubt: IN_DOUBT }), lease(6, 'A'), 'Retry'],
    ['our checkpoint in doubt landed: counter + 1, its checkpoint', write({ inDoubt: { checkpoint: '123' } }), { ...lease(6, 'A'), checkpoint: '123' }, 'Retry'],
    ['our release in doubt landed and shows done', write({ inDoubt: IN_DOUBT, done: released }), lease(6), 'Written'],
    ['our write in doubt did not land, and another worker took it', write({ inDoubt: IN_DOUBT }), lease(6, 'B'), 'Lost'],
    ['someone moved the counter by two', write({ inDoubt: IN_DOUBT }), lease(7, 'A'), 'Lost'],
    ['a handoff request on our counter', write(), lease(5, 'B', 'A'), 'Handoff'],
    ['a handoff request after our write in doubt landed', write({ inDoubt: IN_DOUBT }), lease(6, 'B', 'A'), 'Handoff'],
    ['a handoff request naming another holder', write(), lease(5, 'B', 'C'), 'Lost'],
    ['in a handoff: our write in doubt landed', inHandoff({ inDoubt: IN_DOUBT }), lease(6, 'B', 'A'), 'Retry'],
    ['in a handoff: our completion in doubt landed', inHandoff({ inDoubt: IN_DOUBT, done: handedOver }), lease(6, 'B'), 'Written'],
    ['in a handoff: the marker still names us on our counter (changed and changed back)', inHandoff(), lease(5, 'B', 'A'), 'Retry'],
    ['in a handoff: the worker that asked withdrew', inHandoff(), lease(5, 'A'), 'Withdrawn'],
    ['in a handoff: the worker that asked withdrew after our write in doubt landed; not a completed handoff', inHandoff({ inDoubt: IN_DOUBT, done: handedOver }), lease(6, 'A'), 'Withdrawn'],
    ['in a handoff: the worker that asked took it over (timed out)', inHandoff(), lease(6, 'B'), 'Lost'],
    ['in a handoff: a KCL 2.x worker stole it, leaving the marker', inHandoff(), lease(6, 'C', 'A'), 'Lost'],
    ['in a handoff with a write in doubt: a KCL 2.x worker stole it, leaving the marker', inHandoff({ inDoubt: IN_DOUBT }), lease(6, 'C', 'A'), 'Lost'],
    ['unchanged and still ours: another change came and went', write(), lease(5, 'A'), 'Retry'],
  ];
  for (const [what, failed, stored, verdict] of table) {
    it(`${what}: ${verdict}`, () => {
      expect(judgeReadBack('A', failed, stored)._tag).to.equal(verdict);
    });
  }

  it('hands on the lease read back with every verdict but Lost', () => {
    const stored = lease(6, 'A');
    expect(judgeReadBack('A', write({ inDoubt: IN_DOUBT }), stored)).to.deep.equal({ _tag: 'Retry', lease: stored });
  });
});
