/**
 * Which worker reads which shard, as the workers report it, and the failover after a worker is
 * killed: how long until the others have taken every shard it held, and whether they have read
 * those shards again to the tip (redelivering what it had not checkpointed).
 * @packageDocumentation
 */

/** Shards read per worker, from `acquired` and `ended` reports. */
export class LeaseHoldings {
  private readonly holder = new Map<string, string>();

  acquired(workerId: string, shardId: string): void {
    this.holder.set(shardId, workerId);
  }

  ended(workerId: string, shardId: string): void {
    // Another worker may have reported taking it over before this report arrived.
    if (this.holder.get(shardId) === workerId) this.holder.delete(shardId);
  }

  /** The worker is gone: nothing is read on its behalf any more. */
  gone(workerId: string): void {
    for (const [shardId, holder] of this.holder) if (holder === workerId) this.holder.delete(shardId);
  }

  /** The shards `workerId` reads, sorted. */
  heldBy(workerId: string): string[] {
    return [...this.holder]
      .filter(([, holder]) => holder === workerId)
      .map(([shardId]) => shardId)
      .sort();
  }

  /** Shards read by anyone. */
  get held(): number {
    return this.holder.size;
  }
}

/** The takeover of a killed worker's shards. */
export class Failover {
  /** The worker now reading each of the victim's shards. */
  private readonly takers = new Map<string, string>();
  /** The victim's shards their taker has not yet read to the tip. */
  private readonly unread: Set<string>;
  private takenAt: number | undefined;

  /**
   * @param victim the killed worker
   * @param shards the shards it read when killed
   * @param killedAt when it was killed (`Date.now()`)
   */
  constructor(
    readonly victim: string,
    readonly shards: readonly string[],
    readonly killedAt: number,
  ) {
    this.unread = new Set(shards);
  }

  /** `workerId` took `shardId` at `at`; counts when it is one of the victim's, taken by another worker. */
  acquired(workerId: string, shardId: string, at: number): void {
    if (workerId === this.victim || !this.shards.includes(shardId)) return;
    this.takers.set(shardId, workerId);
    this.unread.add(shardId);
    if (this.takenAt === undefined && this.taken) this.takenAt = at;
  }

  /** `workerId` has read `shardId` up to the tip of the stream. */
  caughtUp(workerId: string, shardId: string): void {
    if (this.takers.get(shardId) === workerId) this.unread.delete(shardId);
  }

  /** Every shard of the victim has been taken by another worker (at once when it held none). */
  get taken(): boolean {
    return this.takers.size === this.shards.length;
  }

  /** Taken, and each read again up to the tip by its taker. */
  get done(): boolean {
    return this.taken && this.unread.size === 0;
  }

  /** From the kill until the last of its shards was taken; undefined until then, or when it held none. */
  get millis(): number | undefined {
    return this.takenAt === undefined ? undefined : this.takenAt - this.killedAt;
  }
}
