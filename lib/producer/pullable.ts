/**
 * `pullable`: an Observable that an operator can still pull from.
 *
 * An RxJS source cannot be paused: once subscribed it pushes as fast as it likes, and a synchronous
 * one (`from(array)`, `range`, `from(generator)`) pushes everything during `subscribe`. An operator
 * that must bound what it holds (`produce`, which waits for Kinesis) can then only buffer what it
 * is offered, or refuse it. Backpressure needs the producer of values to wait, which only an
 * iterable does: it yields its next value when asked. So `Pullable` keeps the iterable it was made
 * from, and an operator that knows about it pulls from that iterable instead of subscribing.
 * @packageDocumentation
 */
import { from, Observable } from 'rxjs';

/**
 * An Observable of the values of an `Iterable` or `AsyncIterable` that keeps the iterable, so that
 * an operator applied to it directly can pull values only as it is ready for them.
 *
 * Subscribed by anything else, it is `from(iterable)`: synchronous for an `Iterable`, values as they
 * come for an `AsyncIterable`. Each subscription iterates afresh, so a generator, which can be
 * iterated only once, gives its values to the first subscription only.
 */
export class Pullable<T> extends Observable<T> {
  constructor(
    /** What the values are pulled from. */
    readonly iterable: Iterable<T> | AsyncIterable<T>,
  ) {
    super((subscriber) => from(iterable).subscribe(subscriber));
  }
}

/**
 * The values of `events` as an Observable that `produce` pulls from rather than subscribes to:
 * `pullable(events).pipe(produce(conf))` takes the next event from `events` only while fewer than
 * `max-outstanding-requests` are in flight, so memory stays bounded however many events there are.
 *
 * Only an operator placed right after it can pull: any operator in between (`map`, `filter`, …)
 * subscribes to it, and what comes out is an ordinary Observable that pushes everything again. Do
 * that work inside the generator instead:
 *
 * @example
 * function* orders(): Generator<ProducerEvent> {
 *   for (const order of readOrders(file)) yield producerEvent(order.customerId, JSON.stringify(order));
 * }
 * pullable(orders()).pipe(produce(conf)).subscribe(logResult); // not pullable(…).pipe(map(…), produce(conf))
 *
 * @param events an `Iterable` (an array, a generator) or an `AsyncIterable` (an async generator, a
 *   line reader)
 */
export function pullable<T>(events: Iterable<T> | AsyncIterable<T>): Pullable<T> {
  return new Pullable(events);
}
