/**
 * `kinesisSink`: the seed's `Kinesis.sink` as a function from events to a Promise.
 * @packageDocumentation
 */
import { filter, isObservable, take, type Observable } from 'rxjs';
import type { ProducerConf } from '../config/producer-config';
import type { ProducerEvent } from '../model/producer-event';
import { isSendFailed } from '../model/send-result';
import { KinesisProducer } from './kinesis-producer';
import { produce, type ProducerDeps } from './produce';
import type { ProduceOptions } from './settings';

/** What a sink can drain. */
export type ProducerEventSource = Observable<ProducerEvent> | Iterable<ProducerEvent> | AsyncIterable<ProducerEvent>;

function drainObservable(events: Observable<ProducerEvent>, conf: ProducerConf, deps: ProducerDeps, options: ProduceOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    events.pipe(produce(conf, deps, options), filter(isSendFailed), take(1)).subscribe({
      next: (failed) => reject(failed.reason),
      error: (error: unknown) => reject(error),
      complete: () => resolve(),
    });
  });
}

function iteratorOf(events: Iterable<ProducerEvent> | AsyncIterable<ProducerEvent>): Iterator<ProducerEvent> | AsyncIterator<ProducerEvent> {
  return Symbol.asyncIterator in events ? events[Symbol.asyncIterator]() : events[Symbol.iterator]();
}

async function drainIterable(
  events: Iterable<ProducerEvent> | AsyncIterable<ProducerEvent>,
  conf: ProducerConf,
  deps: ProducerDeps,
  options: ProduceOptions,
): Promise<void> {
  const producer = KinesisProducer.create(conf, deps, options);
  let failure: { readonly error: unknown } | undefined;
  let onFailure!: (error: unknown) => void;
  const failed = new Promise<never>((_, reject) => (onFailure = reject));
  failed.catch(() => undefined);
  const fail = (error: unknown) => {
    if (failure !== undefined) return;
    failure = { error };
    onFailure(error);
  };
  // Results are watched as a stream: no Promise per event, so a synchronous iterable is pulled in
  // a plain loop for as long as there is room.
  const watching = producer.results$.subscribe({ next: (result) => (isSendFailed(result) ? fail(result.reason) : undefined), error: fail });
  const iterator = iteratorOf(events);
  let exhausted = false;
  try {
    while (failure === undefined) {
      if (producer.outstandingCount >= conf.maxOutstandingRequests) {
        await Promise.race([producer.ready(), failed]);
        continue;
      }
      const pulled = iterator.next();
      const step = pulled instanceof Promise ? await pulled : pulled;
      if (step.done === true) {
        exhausted = true;
        break;
      }
      producer.events.next(step.value);
    }
    if (failure === undefined) await Promise.race([producer.stop(), failed]);
  } finally {
    watching.unsubscribe();
    producer.destroy();
    if (!exhausted) await iterator.return?.();
  }
  if (failure !== undefined) throw failure.error;
}

/**
 * A sink for events: resolves once the source has ended and every event is acknowledged by Kinesis;
 * rejects with the real cause (the first `SendFailed`'s reason, or the source's own error, the same
 * instance) as soon as either happens, and stops sending.
 *
 * Backpressure, honestly: an Observable cannot be paused, so over an Observable the producer holds
 * at most `akka.max-outstanding-requests` events in flight and buffers up to `maxBufferedEvents`
 * more (beyond that the sink rejects with `ProducerOverflowError`). Over an `Iterable` or
 * `AsyncIterable` it pulls the next event only when fewer than `max-outstanding-requests` are in
 * flight, so memory stays bounded whatever the source's size.
 *
 * @example
 * await kinesisSink(producerConf(config, 'my-producer'))(from(events));
 * await kinesisSink(conf)(readLines(file)); // an async generator: pulled as sends complete
 */
export function kinesisSink(
  conf: ProducerConf,
  deps: ProducerDeps = {},
  options: ProduceOptions = {},
): (events: ProducerEventSource) => Promise<void> {
  return (events) => (isObservable(events) ? drainObservable(events, conf, deps, options) : drainIterable(events, conf, deps, options));
}
