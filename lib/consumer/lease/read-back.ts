/**
 * What a failed conditional write to a held lease means, judged from the lease read back after it.
 *
 * A failed condition is not always a lost lease. Another worker may have asked for the lease (a
 * KCL 3.x handoff request sets `checkpointOwner`, which every write of the holder requires to be
 * absent); an earlier write of ours whose outcome is unknown (cancelled, timed out, its answer lost,
 * or retried inside the client) may have landed, moving the counter by one; and a worker that asked
 * for the lease may have withdrawn its request. Only the stored lease tells these apart.
 * @packageDocumentation
 */
import type { Lease } from '../../model/lease';

/** The failed write, as the coordinator sent it. */
export interface FailedWrite {
  /** The counter the write was conditional on. */
  readonly expectedCounter: number;
  /** An earlier write to this lease, or this one, may have been applied without our knowing. */
  readonly uncertain: boolean;
  /** The lease was in a handoff when the write was sent (`checkpointOwner` named this worker). */
  readonly inHandoff: boolean;
  /** Whether a stored lease shows this very write applied (for writes whose effect is visible). */
  readonly done?: (stored: Lease) => boolean;
}

/** What to do about a failed write. */
export type ReadBackVerdict =
  /** This write was applied after all: its answer was lost. */
  | { readonly _tag: 'Written'; readonly lease: Lease }
  /** Another worker asked for the lease: enter the handoff and write again, fenced by `checkpointOwner`. */
  | { readonly _tag: 'Handoff'; readonly lease: Lease }
  /** The worker that asked withdrew its request: hold the lease as before and write again. */
  | { readonly _tag: 'Withdrawn'; readonly lease: Lease }
  /** An earlier write of ours landed unseen and the lease is still ours: write again on top of it. */
  | { readonly _tag: 'Retry'; readonly lease: Lease }
  /** Someone else has the lease, or it is gone. */
  | { readonly _tag: 'Lost' };

const LOST: ReadBackVerdict = { _tag: 'Lost' };

/**
 * Judges a failed write of `workerId` from the lease read back after it (`undefined`: deleted).
 * Pure; tested as a table.
 */
export function judgeReadBack(workerId: string, write: FailedWrite, stored: Lease | undefined): ReadBackVerdict {
  if (stored === undefined) return LOST;
  const { expectedCounter, uncertain, inHandoff } = write;
  // Our own write landed unseen: the counter moved by exactly the one step it makes. Without an
  // uncertain write, a counter that moved means another writer (a take, or a rewind of the
  // checkpoint, which makes the owner take the lease afresh).
  const ours = uncertain && stored.leaseCounter === expectedCounter + 1;
  if (ours && write.done?.(stored) === true) return { _tag: 'Written', lease: stored };
  if (!ours && stored.leaseCounter !== expectedCounter) return LOST;
  const mine = stored.leaseOwner === workerId && stored.checkpointOwner === undefined;
  if (inHandoff) {
    if (stored.checkpointOwner === workerId) return { _tag: 'Retry', lease: stored };
    return mine ? { _tag: 'Withdrawn', lease: stored } : LOST;
  }
  if (stored.checkpointOwner === workerId) return { _tag: 'Handoff', lease: stored };
  return mine ? { _tag: 'Retry', lease: stored } : LOST;
}
