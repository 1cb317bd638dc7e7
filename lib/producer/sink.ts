/**
 * `kinesisSink`: the seed's `Kinesis.sink` as a function from events to a Promise.
 * @packageDocumentation
 */
import { filter, isObservable, take, type Observable } from 'rxjs';
import type { ProducerConf } from '../config/producer-config';
import type { ProducerEvent } from '../model/producer-event';
import { isSendFailed, type SendResult } from '../model/send-result';
import { KinesisProducer } from './kinesis-producer';
import { produce, producePulled, producerEnvironment, type ProducerDeps } from './produce';
import { producerSettings, type ProduceOptions } from './settings';

/** What a sink can drain. */
export type ProducerEventSource = Observable<ProducerEvent> | Iterable<ProducerEvent> | AsyncIterable<ProducerEvent>;

/**
 * Subscribes to `results()` at once; resolves when it completes, rejects with the first failure's
 * reason or with its error (and with whatever `results` throws, such as a bad option).
 */
function drain(results: () => Observable<SendResult>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    results()
      .pipe(filter(isSendFailed), take(1))
      .subscribe({
        next: (failed) => reject(failed.reason),
        error: (error: unknown) => reject(error),
        complete: () => resolve(),
      });
  });
}

function drainObservable(events: Observable<ProducerEvent>, conf: ProducerConf, deps: ProducerDeps, options: ProduceOptions): Promise<void> {
  return drain(() => events.pipe(produce(conf, deps, options)));
}

/** A synchronous iterable is pulled straight into the pipeline, as many events as there are free slots. */
function drainIterable(events: Iterable<ProducerEvent>, conf: ProducerConf, deps: ProducerDeps, options: ProduceOptions): Promise<void> {
  return drain(() => producePulled(producerSettings(conf, options), producerEnvironment(conf, deps))(events));
}

/** An async iterable is read one event at a time, through a `KinesisProducer`, while a slot is free. */
async function drainAsyncIterable(events: AsyncIterable<ProducerEvent>, conf: ProducerConf, deps: ProducerDeps, options: ProduceOptions): Promise<void> {
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
  // Results are watched as a stream: no Promise per event.
  const watching = producer.results$.subscribe({ next: (result) => (isSendFailed(result) ? fail(result.reason) : undefined), error: fail });
  const iterator = events[Symbol.asyncIterator]();
  let exhausted = false;
  try {
    while (failure === undefined) {
      if (producer.outstandingCount >= conf.maxOutstandingRequests) {
        await Promise.race([producer.ready(), failed]);
        continue;
      }
      const step = await iterator.next();
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
 * flight, so memory stays bounded whatever the source's size; this is the way to send a large
 * batch. A synchronous iterable (an array, a generator) is pulled as many events at a time as there
 * are free slots, which is also the fastest way in.
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
  return (events) => {
    if (isObservable(events)) return drainObservable(events, conf, deps, options);
    if (Symbol.asyncIterator in events) return drainAsyncIterable(events, conf, deps, options);
    return drainIterable(events, conf, deps, options);
  };
}
