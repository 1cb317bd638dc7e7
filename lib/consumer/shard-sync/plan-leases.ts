/**
 * Which leases shard sync creates, from what ListShards returned and the leases that exist: the
 * KCL's `HierarchicalShardSyncer` (kcl-kpl-spec §4.4), simplified where its extra cases cannot
 * arise here.
 *
 * **Empty table** (no lease at all: a new application). The caller lists the shards with the filter
 * that matches the initial position ({@link shardFilterFor}): the open shards for LATEST, every
 * retained shard for TRIM_HORIZON, the shards open at the time for AT_TIMESTAMP. Every listed shard
 * gets a lease. A shard none of whose parents is listed starts at the initial position; a shard with
 * a listed parent descends from a shard that will be read, so it starts at TRIM_HORIZON (AT_TIMESTAMP
 * when that is the initial position) and waits for its parents (`shard-readiness`). For LATEST only
 * open shards are planned, even if the listing was not filtered.
 *
 * **Non-empty table.** The listing is unfiltered. Only open shards without a lease matter (a closed
 * shard without a lease is one nobody was going to read, or one whose finished lease was cleaned
 * up — recreating it would read it again):
 * - if it descends from a shard that has a lease, it and every lease-less shard on the way up to
 *   that leased ancestor get a lease at TRIM_HORIZON (AT_TIMESTAMP when that is the initial
 *   position), each waiting for its parents. The KCL creates only the level just below the leased
 *   ancestor and leaves the rest to shard end; creating the whole chain at once is equivalent,
 *   because each lease waits for its parents, and it needs no second pass;
 * - otherwise it starts at the initial position (its parents, if any, will never be read).
 *
 * The KCL's check that throws when a child's parent is still open ("inconsistent" listing) is left
 * out: readiness makes such a child wait for that parent anyway.
 *
 * Leases come out parents first (then by starting sequence number), and a child must not be
 * created before its parents: a reader that saw a child before its parent's lease existed would
 * take the missing parent for a finished one. {@link creationWaves} groups them into waves that
 * may each be created all at once.
 * @packageDocumentation
 */
import type { InitialPosition } from '../../config/consumer-config';
import type { Lease } from '../../model/lease';
import type { CheckpointSentinel } from '../../model/sequence-number';
import type { HashKeyRange, Shard, ShardFilter } from '../../ports/kinesis-port';

/** The ListShards filter for a sync of an empty table (the KCL's `EmptyLeaseTableSynchronizer`). */
export function shardFilterFor(initial: InitialPosition): ShardFilter {
  switch (initial.type) {
    case 'LATEST':
      return { type: 'AT_LATEST' };
    case 'TRIM_HORIZON':
      return { type: 'AT_TRIM_HORIZON' };
    case 'AT_TIMESTAMP':
      return { type: 'AT_TIMESTAMP', timestamp: initial.timestamp };
  }
}

/** The checkpoint of a lease that descends from a shard that is (or will be) read. */
export function descendantCheckpoint(initial: InitialPosition): CheckpointSentinel {
  return initial.type === 'AT_TIMESTAMP' ? 'AT_TIMESTAMP' : 'TRIM_HORIZON';
}

/** A new, unowned lease as the KCL creates it (`leaseCounter` 0, no owner). */
export function newLease(shardId: string, checkpoint: CheckpointSentinel, parentShardIds: readonly string[], range: HashKeyRange | undefined): Lease {
  return {
    leaseKey: shardId,
    leaseCounter: 0,
    checkpoint,
    checkpointSubSequenceNumber: 0,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [...parentShardIds],
    ...(range === undefined
      ? {}
      : { startingHashKey: range.startingHashKey.toString(), endingHashKey: range.endingHashKey.toString() }),
  };
}

/** What a plan is made from. */
export interface LeasePlanInput {
  /** ListShards: filtered with {@link shardFilterFor} when `leases` is empty, unfiltered otherwise. */
  readonly shards: readonly Shard[];
  /** Every lease of the table. */
  readonly leases: readonly Pick<Lease, 'leaseKey'>[];
  readonly initialPosition: InitialPosition;
}

/**
 * The leases to create, parents first.
 * @returns new leases (counter 0, no owner), in the order they must be created
 */
export function planLeases(input: LeasePlanInput): Lease[] {
  const shards = new Map(input.shards.map((s) => [s.shardId, s]));
  const leased = new Set(input.leases.map((l) => l.leaseKey));
  const chosen = input.leases.length === 0 ? planForEmptyTable(input) : planForExistingTable(input, shards, leased);
  const parentsOf = (shard: Shard): string[] => parentIds(shard).filter((id) => shards.has(id) || leased.has(id) || chosen.has(id));
  const created = [...chosen].map(([shardId, checkpoint]) => {
    const shard = shards.get(shardId) as Shard;
    return { shard, lease: newLease(shardId, checkpoint, parentsOf(shard), shard.hashKeyRange) };
  });
  return parentsFirst(created).map((c) => c.lease);
}

function planForEmptyTable(input: LeasePlanInput): Map<string, CheckpointSentinel> {
  const initial = input.initialPosition;
  const listed = input.initialPosition.type === 'LATEST' ? input.shards.filter(isOpen) : input.shards;
  const wanted = new Set(listed.map((s) => s.shardId));
  const plan = new Map<string, CheckpointSentinel>();
  for (const shard of listed) {
    const descends = parentIds(shard).some((id) => wanted.has(id));
    plan.set(shard.shardId, descends ? descendantCheckpoint(initial) : initial.type);
  }
  return plan;
}

function planForExistingTable(input: LeasePlanInput, shards: ReadonlyMap<string, Shard>, leased: ReadonlySet<string>): Map<string, CheckpointSentinel> {
  const plan = new Map<string, CheckpointSentinel>();
  const descendant = descendantCheckpoint(input.initialPosition);
  // Memo of "does this lease-less shard lead up to a leased one", per shard id.
  const leadsToLease = new Map<string, boolean>();
  const walk = (shardId: string, path: ReadonlySet<string>): boolean => {
    const known = leadsToLease.get(shardId);
    if (known !== undefined) return known;
    const shard = shards.get(shardId);
    if (shard === undefined || path.has(shardId)) return false;
    const inPath = new Set(path).add(shardId);
    let found = false;
    for (const parentId of parentIds(shard)) {
      // Every parent is visited, so each lease-less shard on a way up to a lease is planned.
      const viaParent = leased.has(parentId) || walk(parentId, inPath);
      found = found || viaParent;
    }
    leadsToLease.set(shardId, found);
    if (found && !leased.has(shardId)) plan.set(shardId, descendant);
    return found;
  };
  for (const shard of input.shards) {
    if (!isOpen(shard) || leased.has(shard.shardId)) continue;
    if (!walk(shard.shardId, new Set())) plan.set(shard.shardId, input.initialPosition.type);
  }
  return plan;
}

function isOpen(shard: Shard): boolean {
  return shard.endingSequenceNumber === undefined;
}

function parentIds(shard: Shard): string[] {
  return [shard.parentShardId, shard.adjacentParentShardId].filter((id): id is string => id !== undefined);
}

/** Orders leases so each comes after its parents, and otherwise by starting sequence number. */
function parentsFirst<T extends { readonly shard: Shard; readonly lease: Lease }>(items: readonly T[]): T[] {
  const bySequence = [...items].sort((a, b) => compareDecimal(a.shard.startingSequenceNumber, b.shard.startingSequenceNumber));
  const pending = new Map(bySequence.map((item) => [item.lease.leaseKey, item]));
  const ordered: T[] = [];
  const visit = (item: T, path: ReadonlySet<string>): void => {
    if (!pending.has(item.lease.leaseKey) || path.has(item.lease.leaseKey)) return;
    const inPath = new Set(path).add(item.lease.leaseKey);
    for (const parentId of item.lease.parentShardIds) {
      const parent = pending.get(parentId);
      if (parent !== undefined) visit(parent, inPath);
    }
    pending.delete(item.lease.leaseKey);
    ordered.push(item);
  };
  for (const item of bySequence) visit(item, new Set());
  return ordered;
}

/** Compares two decimal strings as numbers; a string that is not decimal sorts last. */
function compareDecimal(a: string, b: string): number {
  const x = /^\d+$/.test(a) ? BigInt(a) : undefined;
  const y = /^\d+$/.test(b) ? BigInt(b) : undefined;
  if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Splits leases (parents first, as {@link planLeases} gives them) into waves: no lease of a wave
 * has a parent in the same or a later wave, so each wave can be created all at once once the
 * waves before it exist. A fresh stream is one wave.
 */
export function creationWaves(leases: readonly Lease[]): Lease[][] {
  const waveOf = new Map<string, number>();
  const waves: Lease[][] = [];
  for (const lease of leases) {
    const wave = Math.max(-1, ...lease.parentShardIds.map((id) => waveOf.get(id) ?? -1)) + 1;
    waveOf.set(lease.leaseKey, wave);
    (waves[wave] ??= []).push(lease);
  }
  return waves;
}
