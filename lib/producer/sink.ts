/**
 * `kinesisSink`: the seed's `Kinesis.sink` as a function from events to a Promise.
 * @packageDocumentation
 */
import { filter, isObservable, take, type Observable } from 'rxjs';
import type { ProducerConf } from '../config/producer-config';
import type { ProducerEvent } from '../model/producer-event';
import { isSendFailed, type SendResult } from '../model/send-result';
import { isAsyncIterable } from './in-flight';
import { produce, type ProducerDeps } from './produce';
import { pullable } from './pullable';
import type { ProduceOptions } from './settings';

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

/**
 * A sink for events: resolves once the source has ended and every event is acknowledged by Kinesis;
 * rejects with the real cause (the first `SendFailed`'s reason, or the source's own error, the same
 * instance) as soon as either happens, and stops sending.
 *
 * Backpressure, honestly: an Observable cannot be paused, so over an Observable the producer holds
 * at most `akka.max-outstanding-requests` events in flight and buffers up to `maxBufferedEvents`
 * more (beyond that the sink rejects with `ProducerOverflowError`). Over an `Iterable` or
 * `AsyncIterable` (or a `pullable` of one) it pulls the next event only when fewer than
 * `max-outstanding-requests` are in flight, so memory stays bounded whatever the source's size;
 * this is the way to send a large batch, as `pullable(events).pipe(produce(conf))` is with the
 * operator. A synchronous iterable (an array, a generator) is pulled as many events at a time as
 * there are free slots, which is also the fastest way in; an async one one event at a time.
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
  // An iterable goes in as a `pullable`, which `produce` pulls from only while slots are free.
  return (events) => {
    if (isObservable(events)) return drain(() => events.pipe(produce(conf, deps, options)));
    if (!isAsyncIterable(events)) return drain(() => pullable(events).pipe(produce(conf, deps, options)));
    // Stopping early closes the iterator; as a `for await` loop left by a throw does, the sink
    // settles only once that has finished (a file closed, a cursor released).
    const watched = closeWatched(events);
    return drain(() => pullable(watched.iterable).pipe(produce(conf, deps, options))).catch(async (error: unknown) => {
      await watched.closed();
      throw error;
    });
  };
}

/** `events`, whose iterators remember the promise of their `return()`, settled either way. */
function closeWatched<T>(events: AsyncIterable<T>): { readonly iterable: AsyncIterable<T>; readonly closed: () => Promise<void> } {
  let closing: Promise<void> = Promise.resolve();
  const iterable: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => {
      const iterator = events[Symbol.asyncIterator]();
      return {
        next: () => iterator.next(),
        return: (value?: unknown) => {
          const done = Promise.resolve(iterator.return?.(value) ?? { done: true as const, value: undefined });
          closing = done.then(
            () => undefined,
            () => undefined,
          );
          return done;
        },
      };
    },
  };
  return { iterable, closed: () => closing };
}
