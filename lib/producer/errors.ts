/**
 * Errors only the producer raises.
 * @packageDocumentation
 */
import { ReactiveKinesisError, type KinesisCallError } from '../model/errors';

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

/**
 * Kinesis refused a PutRecords request holding only this record (or refused its entry as invalid):
 * it is the record, not the request, that Kinesis will not take, so it fails alone. The usual
 * cause is a record over the stream's maximum record size while `kpl.MaxUserRecordSize` allows it.
 */
export class RecordRefusedError extends ReactiveKinesisError {
  /** The service's error code, e.g. `ValidationException`. */
  readonly code: string;

  constructor(
    /** Bytes of the record's data. */
    readonly dataBytes: number,
    /** UTF-8 bytes of its partition key, which Kinesis counts toward the record's size. */
    readonly partitionKeyBytes: number,
    /** Kinesis' answer. */
    override readonly cause: KinesisCallError,
  ) {
    super(`Kinesis refused the record on its own (data ${dataBytes} bytes + partition key ${partitionKeyBytes} bytes): ${cause.message}`, { cause });
    this.code = cause.code;
  }
}
