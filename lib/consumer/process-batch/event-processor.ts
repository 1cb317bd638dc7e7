/**
 * The application's side of the seed's processing contract: a function, or an object, that gets
 * one event at a time and answers when it is done with it. The answer is the seed's
 * `EventProcessed(sequenceNumber, successful)`, or a shorthand for it.
 * @packageDocumentation
 */
import { defer, from, isObservable, map, take, type Observable, type ObservableInput } from 'rxjs';
import type { ConsumerEvent } from '../../model/consumer-event';
import type { ConsumerShutdown, ConsumerWorkerFailure, EventProcessed } from '../../model/notifications';
import type { CompoundSequenceNumber } from '../../model/sequence-number';

/**
 * What a processor may answer for an event:
 * - `EventProcessed(sequenceNumber, successful)`: the seed's answer. It counts for the event with
 *   that sequence number, which need not be the event handed over (an answer for an event outside
 *   the batch is ignored);
 * - `true`, or nothing (`undefined`): the event is processed;
 * - `false`: the event is skipped, as `EventProcessed(seq, false)`: it is not sent again, and
 *   checkpoints move past it.
 */
export type ProcessorAnswer = EventProcessed | boolean | void;

/**
 * What a processor returns: an answer, or a Promise or Observable of one. Only the first value
 * counts. No answer (a throw, a rejection, an error, or an Observable that completes without a
 * value) leaves the event unacknowledged, so it is sent again after the batch timeout; an answer
 * that never comes does the same.
 */
export type ProcessorResult = ProcessorAnswer | PromiseLike<ProcessorAnswer> | Observable<ProcessorAnswer>;

/** Handles one event. `A` is the payload: a `ConsumerEvent` unless the events were mapped. */
export type EventHandler<A = ConsumerEvent> = (payload: A) => ProcessorResult;

/** The seed's event-processor actor, as an object. */
export interface EventProcessor<A = ConsumerEvent> {
  /** Handles one event (the seed's `ProcessEvent`). */
  processEvent(payload: A): ProcessorResult;
  /**
   * A batch of a shard failed beyond the tolerance; that shard stops (critical). Must not throw:
   * an exception is reported as a diagnostic and otherwise ignored.
   */
  onFailure?(failure: ConsumerWorkerFailure): void;
  /** A shard's processing has stopped; sent once per shard. Must not throw (as `onFailure`). */
  onShutdown?(shutdown: ConsumerShutdown): void;
}

/** A function or an object; both get the same batching, retries and notifications. */
export type Processor<A = ConsumerEvent> = EventHandler<A> | EventProcessor<A>;

/** One acknowledgement, normalised. */
export interface Ack {
  readonly sequenceNumber: CompoundSequenceNumber;
  readonly successful: boolean;
}

/** The processor as an object. */
export function asEventProcessor<A>(processor: Processor<A>): EventProcessor<A> {
  if (typeof processor === 'function') return { processEvent: processor };
  if (processor === null || typeof processor !== 'object' || typeof processor.processEvent !== 'function') {
    throw new TypeError('processBatch: the processor must be a function or an object with a processEvent method');
  }
  return processor;
}

function isEventProcessed(answer: unknown): answer is EventProcessed {
  return typeof answer === 'object' && answer !== null && (answer as { _tag?: unknown })._tag === 'EventProcessed';
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * The acknowledgement an answer makes for the event at `position`.
 * @throws TypeError for anything that is not a {@link ProcessorAnswer}
 */
export function toAck(answer: unknown, position: CompoundSequenceNumber): Ack {
  if (answer === undefined || answer === true) return { sequenceNumber: position, successful: true };
  if (answer === false) return { sequenceNumber: position, successful: false };
  if (isEventProcessed(answer)) return { sequenceNumber: answer.sequenceNumber, successful: answer.successful };
  throw new TypeError(`processor answered ${describe(answer)} for ${position.toString()}; expected EventProcessed, a boolean or nothing`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${Object.keys(value).slice(0, 3).join(', ') || 'no keys'})`;
  return `${typeof value} ${String(value)}`;
}

/**
 * Runs the processor for one event, cold: the processor is called on subscription. Emits the
 * acknowledgement of its first answer and completes; errors (on the error channel) when the
 * processor throws, rejects, errors or answers something that is not an answer; completes empty
 * when an Observable result completes without a value.
 */
export function answerOf<A>(processor: EventProcessor<A>, payload: A, position: CompoundSequenceNumber): Observable<Ack> {
  return defer((): ObservableInput<unknown> => {
    const result: unknown = processor.processEvent(payload);
    if (isObservable(result)) return result;
    if (isPromiseLike(result)) return from(result);
    return [result];
  }).pipe(
    take(1),
    map((answer) => toAck(answer, position)),
  );
}
