/**
 * Errors only the producer raises.
 * @packageDocumentation
 */
import { ReactiveKinesisError } from '../model/errors';

/** An event arrived while the producer's waiting buffer was full; it was not sent. */
export class ProducerOverflowError extends ReactiveKinesisError {
  constructor(
    readonly maxOutstanding: number,
    readonly maxBufferedEvents: number,
  ) {
    super(
      `Producer buffer full: ${maxOutstanding} events in flight and ${maxBufferedEvents} waiting ` +
        '(raise maxBufferedEvents, or let the source wait: pullable(iterable), kinesisSink over an iterable, or KinesisProducer.ready())',
    );
  }
}

/** `send` was called on a producer that is stopping or stopped. */
export class ProducerClosedError extends ReactiveKinesisError {
  constructor() {
    super('KinesisProducer is stopped and accepts no more events');
  }
}
