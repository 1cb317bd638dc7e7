/** Leases for tests: a fresh lease at TRIM_HORIZON, counter 1, with the fields a test cares about. */
import type { Lease } from '../../lib/model/lease';

export function testLease(leaseKey: string, fields: Partial<Lease> = {}): Lease {
  return { leaseKey, leaseCounter: 1, checkpoint: 'TRIM_HORIZON', checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0, parentShardIds: [], ...fields };
}
