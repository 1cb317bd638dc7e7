/**
 * A shard lease as the KCL stores it in DynamoDB, so a KCL application can be moved onto this
 * library and back. The counter is a fencing token: every write is conditional on it.
 * @packageDocumentation
 */

/** One lease item. Attribute names are the KCL's. */
export interface Lease {
  /** The shard id. */
  readonly leaseKey: string;
  /** The worker holding the lease; absent when nobody does. */
  readonly leaseOwner?: string;
  readonly leaseCounter: number;
  /** A sequence number, or TRIM_HORIZON / LATEST / AT_TIMESTAMP / SHARD_END. */
  readonly checkpoint: string;
  readonly checkpointSubSequenceNumber: number;
  readonly ownerSwitchesSinceCheckpoint: number;
  /** Stored as the SS attribute `parentShardId`; omitted when empty. */
  readonly parentShardIds: readonly string[];
  /** Stored as the SS attribute `childShardIds` once the shard has ended. */
  readonly childShardIds?: readonly string[];
  /** Decimal strings of the shard's hash range, when known. */
  readonly startingHashKey?: string;
  readonly endingHashKey?: string;
  readonly pendingCheckpoint?: string;
  readonly pendingCheckpointSubSequenceNumber?: number;
  /** KCL 3.x handoff marker: the old owner that must checkpoint. */
  readonly checkpointOwner?: string;
}

/** Attributes a conditional lease update may set. */
export type LeaseChanges = Partial<
  Pick<
    Lease,
    | 'leaseOwner'
    | 'checkpoint'
    | 'checkpointSubSequenceNumber'
    | 'ownerSwitchesSinceCheckpoint'
    | 'childShardIds'
    | 'startingHashKey'
    | 'endingHashKey'
    | 'pendingCheckpoint'
    | 'pendingCheckpointSubSequenceNumber'
    | 'checkpointOwner'
  >
>;

/** Attributes a conditional lease update may remove. */
export type RemovableLeaseAttribute = 'leaseOwner' | 'checkpointOwner' | 'pendingCheckpoint' | 'pendingCheckpointSubSequenceNumber';
