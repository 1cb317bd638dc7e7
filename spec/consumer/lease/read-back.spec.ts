import { expect } from 'chai';
import { judgeReadBack, type FailedWrite } from '../../../lib/consumer/lease/read-back';
import type { Lease } from '../../../lib/model/lease';

const lease = (counter: number, owner?: string, checkpointOwner?: string): Lease => ({
  leaseKey: 'shardId-000000000000',
  leaseCounter: counter,
  checkpoint: 'TRIM_HORIZON',
  checkpointSubSequenceNumber: 0,
  ownerSwitchesSinceCheckpoint: 0,
  parentShardIds: [],
  ...(owner === undefined ? {} : { leaseOwner: owner }),
  ...(checkpointOwner === undefined ? {} : { checkpointOwner }),
});

const write = (fields: Partial<FailedWrite> = {}): FailedWrite => ({ expectedCounter: 5, uncertain: false, inHandoff: false, ...fields });
const released = (stored: Lease) => stored.leaseOwner === undefined;

describe('judgeReadBack', () => {
  // [what happened, the write, the lease read back, the verdict]
  const table: ReadonlyArray<readonly [string, FailedWrite, Lease | undefined, string]> = [
    ['the lease was deleted', write(), undefined, 'Lost'],
    ['another worker took it (counter and owner moved)', write(), lease(6, 'B'), 'Lost'],
    ['a rewind moved the counter, the owner unchanged, and no write of ours is in doubt', write(), lease(6, 'A'), 'Lost'],
    ['our write in doubt landed: counter + 1, still ours', write({ uncertain: true }), lease(6, 'A'), 'Retry'],
    ['our write in doubt landed and shows done', write({ uncertain: true, done: released }), lease(6), 'Written'],
    ['our write in doubt did not land, and another worker took it', write({ uncertain: true }), lease(7, 'B'), 'Lost'],
    ['someone moved the counter by two', write({ uncertain: true }), lease(7, 'A'), 'Lost'],
    ['a handoff request on our counter', write(), lease(5, 'B', 'A'), 'Handoff'],
    ['a handoff request after our write in doubt landed', write({ uncertain: true }), lease(6, 'B', 'A'), 'Handoff'],
    ['a handoff request naming another holder', write(), lease(5, 'B', 'C'), 'Lost'],
    ['in a handoff: our write in doubt landed', write({ inHandoff: true, uncertain: true }), lease(6, 'B', 'A'), 'Retry'],
    ['in a handoff: the marker still names us on our counter (changed and changed back)', write({ inHandoff: true }), lease(5, 'B', 'A'), 'Retry'],
    ['in a handoff: the worker that asked withdrew', write({ inHandoff: true }), lease(5, 'A'), 'Withdrawn'],
    ['in a handoff: the worker that asked took it over (timed out)', write({ inHandoff: true }), lease(6, 'B'), 'Lost'],
    ['in a handoff: a KCL 2.x worker stole it, leaving the marker', write({ inHandoff: true }), lease(6, 'C', 'A'), 'Lost'],
    ['unchanged and still ours: another change came and went', write(), lease(5, 'A'), 'Retry'],
  ];
  for (const [what, failed, stored, verdict] of table) {
    it(`${what}: ${verdict}`, () => {
      expect(judgeReadBack('A', failed, stored)._tag).to.equal(verdict);
    });
  }

  it('hands on the lease read back with every verdict but Lost', () => {
    const stored = lease(6, 'A');
    expect(judgeReadBack('A', write({ uncertain: true }), stored)).to.deep.equal({ _tag: 'Retry', lease: stored });
  });
});
