/**
 * What a consumer under test received, recorded the same way by the in-memory fleet of the specs
 * and by the workers of the integration tests.
 */
import type { CommittableEvent } from '../../lib/consumer/committable-event';
import type { ConsumerDiagnostic } from '../../lib/consumer/consumer-deps';
import type { ConsumerEvent } from '../../lib/model/consumer-event';

/** One event as a consumer received it. */
export interface Delivery {
  readonly text: string;
  readonly partitionKey: string;
  readonly shardId: string;
  readonly event: CommittableEvent<ConsumerEvent>;
  /** When it arrived, on the test's clock. */
  readonly at: number;
}

/** The deliveries and diagnostics of one consumer. */
export class DeliveryLog {
  readonly deliveries: Delivery[] = [];
  readonly diagnostics: ConsumerDiagnostic[] = [];

  /** Records `event`, received at `at`. */
  record(event: CommittableEvent<ConsumerEvent>, at: number): void {
    this.deliveries.push({ text: event.payload.payloadAsString(), partitionKey: event.payload.partitionKey, shardId: event.shardId, event, at });
  }

  texts(): string[] {
    return this.deliveries.map((d) => d.text);
  }

  shardsRead(): string[] {
    return [...new Set(this.deliveries.map((d) => d.shardId))].sort();
  }
}

/** `n` texts `<prefix>-0` … */
export function texts(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}
