/**
 * Which events of one batch are acknowledged, and what the batch comes to when its time runs out.
 * Pure bookkeeping, one instance per batch attempt chain.
 *
 * Fixed from the seed (seed-spec §2.3, §2.4, §8): only acknowledgements of events in the batch
 * count (the seed counted any ESN, so a late answer from the previous batch could complete the
 * next one); positions compare as numbers, not strings.
 * @packageDocumentation
 */
import type { CompoundSequenceNumber } from '../../model/sequence-number';
import type { Ack } from './event-processor';

/** What an acknowledgement did to the batch. */
export type AckOutcome =
  /** It acknowledged events of the batch for the first time. */
  | 'acknowledged'
  /** Those events were already acknowledged: the first answer stands. */
  | 'duplicate'
  /** No event of the batch has that position. */
  | 'foreign';

/** The outcome of a batch whose last attempt timed out. */
export type Verdict<E> =
  /** Few enough events are unacknowledged: they are skipped, and the batch completes. */
  | { readonly _tag: 'WithinTolerance'; readonly skipped: readonly E[] }
  /** Too many: the batch fails with these events, in batch order. */
  | { readonly _tag: 'BeyondTolerance'; readonly failed: readonly E[] };

/**
 * How many events of a batch of `batchSize` may stay unacknowledged: floor(percent / 100 × size).
 * The seed's default, 0.25 (percent), lets a batch of 400 leave one event unacknowledged.
 * @throws TypeError when `percent` is not within 0..100 or `batchSize` is not a non-negative integer
 */
export function allowedFailures(percent: number, batchSize: number): number {
  if (!(typeof percent === 'number' && percent >= 0 && percent <= 100)) {
    throw new TypeError(`failureTolerancePercentage must be a percentage within 0..100, got ${percent}`);
  }
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 0)) {
    throw new TypeError(`batch size must be a non-negative integer, got ${batchSize}`);
  }
  // The product is exact for any percentage written with a few decimals, up to a rounding error
  // far below one event; the epsilon keeps 0.57 × 100 / 100 from flooring to 0.
  return Math.floor((percent * batchSize) / 100 + 1e-9);
}

/** The identity of a position, with numbers in canonical form (`"007"` is `"7"`). */
function keyOf(position: CompoundSequenceNumber): string {
  return position.isSentinel ? position.sequenceNumber : `${BigInt(position.sequenceNumber)}/${position.subSequenceNumber}`;
}

/** The acknowledgements of one batch. */
export class BatchProgress<E extends { readonly sequenceNumber: CompoundSequenceNumber }> {
  /** Batch indexes by position; events that share a position (never, from a shard) share an answer. */
  private readonly indexes = new Map<string, number[]>();
  private readonly acknowledged: boolean[];
  private pending: number;

  constructor(readonly events: readonly E[]) {
    this.acknowledged = events.map(() => false);
    events.forEach((event, index) => {
      const key = keyOf(event.sequenceNumber);
      const same = this.indexes.get(key);
      if (same === undefined) this.indexes.set(key, [index]);
      else same.push(index);
    });
    this.pending = this.indexes.size;
  }

  /** Distinct positions in the batch: the batch size the tolerance applies to. */
  get size(): number {
    return this.indexes.size;
  }

  /** True once every position of the batch is acknowledged (at once for an empty batch). */
  get done(): boolean {
    return this.pending === 0;
  }

  /**
   * Records an acknowledgement.
   * @returns what it did, and the events it acknowledged (in batch order; empty unless `acknowledged`)
   */
  acknowledge(ack: Ack): { readonly outcome: AckOutcome; readonly events: readonly E[] } {
    const same = this.indexes.get(keyOf(ack.sequenceNumber));
    if (same === undefined) return { outcome: 'foreign', events: [] };
    if (this.acknowledged[same[0]!] === true) return { outcome: 'duplicate', events: [] };
    for (const index of same) this.acknowledged[index] = true;
    this.pending -= 1;
    return { outcome: 'acknowledged', events: same.map((index) => this.events[index]!) };
  }

  /** True when the event at `position` is acknowledged. */
  isAcknowledged(position: CompoundSequenceNumber): boolean {
    const same = this.indexes.get(keyOf(position));
    return same !== undefined && this.acknowledged[same[0]!] === true;
  }

  /** The events not acknowledged yet, in batch order. */
  unacknowledged(): E[] {
    return this.events.filter((_, index) => !this.acknowledged[index]);
  }

  /**
   * What the batch comes to after its last attempt: the unacknowledged events are skipped when
   * there are at most {@link allowedFailures} of them, otherwise the batch fails.
   */
  verdict(failureTolerancePercentage: number): Verdict<E> {
    const unacknowledged = this.unacknowledged();
    return this.pending <= allowedFailures(failureTolerancePercentage, this.size)
      ? { _tag: 'WithinTolerance', skipped: unacknowledged }
      : { _tag: 'BeyondTolerance', failed: unacknowledged };
  }
}
