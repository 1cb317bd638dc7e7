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

/** The failed write, as the coordinator sent it, and what the coordinator knew of the lease. */
export interface FailedWrite {
  /** The counter the write was conditional on. */
  readonly expectedCounter: number;
  /**
   * An earlier write to this lease, or this one, whose outcome is unknown (it timed out or lost
   * its answer, or the client sent it twice): the checkpoint it would leave (the lease's own when
   * it sets none). `undefined` when every write so far is known to have landed or not.
   */
  readonly inDoubt: { readonly checkpoint: string } | undefined;
  /** The lease was in a handoff when the write was sent (`checkpointOwner` named this worker). */
  readonly inHandoff: boolean;
  /** The lease as this worker last wrote or read it. */
  readonly known: Lease;
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
  const { expectedCounter, inDoubt, inHandoff, known } = write;
  // The counter moved by exactly the one step a write of ours in doubt makes, leaving a checkpoint
  // that write could have left. Any other move is another writer's: a take, a KCL 2.x steal, or a
  // rewind of the checkpoint (which makes the owner take the lease afresh).
  const stepOfOurs =
    inDoubt !== undefined && stored.leaseCounter === expectedCounter + 1 && (stored.checkpoint === known.checkpoint || stored.checkpoint === inDoubt.checkpoint);
  const unmoved = stored.leaseCounter === expectedCounter;
  if (!(stepOfOurs || unmoved)) return LOST;
  // Our own write also left the owner as we knew it (or removed it, as a release or shard end does).
  const ownerAsKnown = stored.leaseOwner === known.leaseOwner || stored.leaseOwner === undefined;
  if (stepOfOurs && ownerAsKnown && write.done?.(stored) === true) return { _tag: 'Written', lease: stored };
  const mine = stored.leaseOwner === workerId && stored.checkpointOwner === undefined;
  if (inHandoff) {
    // Still the handoff we knew; a KCL 2.x steal would have replaced the owner and kept the marker.
    if (stored.checkpointOwner === workerId) return stored.leaseOwner === known.leaseOwner ? { _tag: 'Retry', lease: stored } : LOST;
    return mine ? { _tag: 'Withdrawn', lease: stored } : LOST;
  }
  // A request names the thief as owner: it came on our counter, or after our write in doubt.
  if (stored.checkpointOwner === workerId) return { _tag: 'Handoff', lease: stored };
  return mine && (unmoved || ownerAsKnown) ? { _tag: 'Retry', lease: stored } : LOST;
}
