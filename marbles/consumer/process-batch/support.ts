/** Helpers for the processBatch marble tests: events, a scripted processor, and logs on virtual time. */
import { expect } from 'chai';
import { NEVER, type Observable, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { committableEvent, type CommittableEvent } from '../../../lib/consumer/committable-event';
import type { BatchDiagnostic } from '../../../lib/consumer/process-batch/process-batch';
import type { EventHandler, ProcessorAnswer } from '../../../lib/consumer/process-batch/event-processor';
import { consumerEvent, type ConsumerEvent } from '../../../lib/model/consumer-event';
import { CompoundSequenceNumber as Csn } from '../../../lib/model/sequence-number';

export const SHARD = 'shardId-000000000000';

export function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  });
}

/** A user record of {@link SHARD} at (sequence, sub-sequence). */
export function consumerEventAt(sequenceNumber: string, subSequenceNumber = 0): ConsumerEvent {
  return consumerEvent({
    shardId: SHARD,
    partitionKey: 'pk',
    sequenceNumber: new Csn(sequenceNumber, subSequenceNumber),
    payload: Buffer.from(`${sequenceNumber}.${subSequenceNumber}`),
    arrivalTime: new Date(0),
  });
}

/** Scripted answers: for each position (`"1/0"`), one Observable per send, in order; unscripted sends never answer. */
export type Script = Record<string, Observable<ProcessorAnswer>[]>;

/**
 * Builds committable events and a processor, and logs on virtual time:
 * `sends` as `<time> <position>`, `commits` as `<time> <position> ok|skip`.
 */
export class Recorder {
  readonly sends: string[] = [];
  readonly commits: string[] = [];
  readonly diagnostics: string[] = [];

  constructor(private readonly scheduler: SchedulerLike) {}

  /** A committable event whose commits are logged. */
  committable(event: ConsumerEvent): CommittableEvent<ConsumerEvent> {
    return committableEvent(event, (ok) => this.commits.push(`${this.scheduler.now()} ${event.sequenceNumber.toString()} ${ok ? 'ok' : 'skip'}`));
  }

  /** Committable events at these sequence numbers, keyed by the marble letters, in order. */
  events(letters: string, first = 1): Record<string, CommittableEvent<ConsumerEvent>> {
    return Object.fromEntries([...letters].map((letter, i) => [letter, this.committable(consumerEventAt(String(first + i)))]));
  }

  /** A processor answering from `script`. */
  processor(script: Script): EventHandler {
    return (event) => {
      const position = event.sequenceNumber.toString();
      this.sends.push(`${this.scheduler.now()} ${position}`);
      return script[position]?.shift() ?? NEVER;
    };
  }

  /** Logs a diagnostic as `<time> <tag> <detail>`. */
  readonly onDiagnostic = (d: BatchDiagnostic): void => {
    const detail =
      d._tag === 'BatchRetried' || d._tag === 'UnansweredSkipped'
        ? d.events.map((p) => p.toString()).join(',')
        : d._tag === 'CallbackFailed'
          ? d.callback
          : d.sequenceNumber.toString();
    this.diagnostics.push(`${this.scheduler.now()} ${d._tag} ${detail}`);
  };
}
