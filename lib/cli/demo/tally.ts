/**
 * The demo's ledger of events: which ones Kinesis acknowledged, which ones each worker consumed and
 * how often. From it come the report's distinct, duplicate and lost counts.
 * @packageDocumentation
 */
import { forEachIndex } from './index-runs';

/** What the ledger says. */
export interface ConsumptionSummary {
  /** Events the demo set out to produce. */
  readonly events: number;
  /** Events Kinesis acknowledged (`SendSuccessful`). */
  readonly sent: number;
  /** Events the producer gave up on (`SendFailed`). */
  readonly sendFailed: number;
  /** Deliveries reported by the workers, repeats included. */
  readonly deliveries: number;
  /** Different events delivered. */
  readonly distinct: number;
  /** Deliveries of an event already delivered (at-least-once: after a failover, events after the last checkpoint come again). */
  readonly duplicates: number;
  /** Acknowledged events never delivered. */
  readonly lost: number;
  /** Delivered events not acknowledged (a failed send that was stored after all) or with no demo index. */
  readonly unexpected: number;
  /** Deliveries per worker. */
  readonly byWorker: Readonly<Record<string, number>>;
}

/** Counts per event index. Deliveries beyond 255 of one event are still counted in the totals. */
export class ConsumptionTally {
  private readonly acknowledged: Uint8Array;
  private readonly delivered: Uint8Array;
  private sentCount = 0;
  private failedCount = 0;
  private deliveryCount = 0;
  private distinctCount = 0;
  private sentAndDelivered = 0;
  private foreignCount = 0;
  private readonly perWorker = new Map<string, number>();

  /** @param events the number of events the demo produces, indexes 0 … events − 1 */
  constructor(readonly events: number) {
    this.acknowledged = new Uint8Array(events);
    this.delivered = new Uint8Array(events);
  }

  /** Kinesis acknowledged event `index`. */
  sent(index: number): void {
    if (!this.inRange(index) || this.acknowledged[index] !== 0) return;
    this.acknowledged[index] = 1;
    this.sentCount += 1;
    if (this.delivered[index] !== 0) this.sentAndDelivered += 1;
  }

  /** The producer gave up on event `index`. */
  sendFailed(index: number): void {
    if (this.inRange(index)) this.failedCount += 1;
  }

  /** `workerId` consumed the events of `runs` (see `index-runs.ts`) and `foreign` events without an index. */
  consumed(workerId: string, runs: readonly number[], foreign = 0): void {
    let count = foreign;
    this.foreignCount += foreign;
    forEachIndex(runs, (index) => {
      count += 1;
      if (!this.inRange(index)) {
        this.foreignCount += 1;
        return;
      }
      const times = this.delivered[index]!;
      if (times === 0) {
        this.distinctCount += 1;
        if (this.acknowledged[index] !== 0) this.sentAndDelivered += 1;
      }
      if (times < 255) this.delivered[index] = times + 1;
    });
    this.deliveryCount += count;
    this.perWorker.set(workerId, (this.perWorker.get(workerId) ?? 0) + count);
  }

  /** Events acknowledged so far. */
  get sentSoFar(): number {
    return this.sentCount;
  }

  /** Different events delivered so far. */
  get distinct(): number {
    return this.distinctCount;
  }

  /** Deliveries so far, by worker. */
  deliveriesOf(workerId: string): number {
    return this.perWorker.get(workerId) ?? 0;
  }

  /** Every event acknowledged so far has been delivered. */
  get allSentDelivered(): boolean {
    return this.sentAndDelivered === this.sentCount;
  }

  summary(): ConsumptionSummary {
    let unexpected = this.foreignCount;
    for (let i = 0; i < this.events; i++) if (this.delivered[i] !== 0 && this.acknowledged[i] === 0) unexpected += 1;
    return {
      events: this.events,
      sent: this.sentCount,
      sendFailed: this.failedCount,
      deliveries: this.deliveryCount,
      distinct: this.distinctCount,
      duplicates: this.deliveryCount - this.foreignCount - this.distinctCount,
      lost: this.sentCount - this.sentAndDelivered,
      unexpected,
      byWorker: Object.fromEntries(this.perWorker),
    };
  }

  private inRange(index: number): boolean {
    return Number.isSafeInteger(index) && index >= 0 && index < this.events;
  }
}
