/**
 * Enhanced fan-out on the SDK: registering a stream consumer (and waiting until it is ACTIVE), and
 * SubscribeToShard read as an async iterable, one event per `next()`.
 * @packageDocumentation
 */
import {
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  type Consumer,
  type ConsumerDescription,
  type KinesisClient,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import { catchError, concatMap, map, of, throwError, type Observable } from 'rxjs';
import { KinesisCallError, StreamNotFoundError } from '../../model/errors';
import { streamNameOfConsumerArn } from '../consumer-arn';
import type { IteratorPosition, KinesisFanOutPort, ShardSubscriptionEvent } from '../kinesis-port';
import { awaitStatus, type StatusPolling } from './await-status';
import { kinesisCall, toKinesisError } from './kinesis-errors';
import { toShardSubscriptionEvent, toStartingPosition } from './kinesis-shapes';

const SUBSCRIBE = 'SubscribeToShard';

/** A consumer as DescribeStreamConsumer or RegisterStreamConsumer answers. */
interface ConsumerState {
  readonly arn: string;
  readonly status: string;
}

function toConsumerState(consumer: Consumer | ConsumerDescription | undefined, operation: string): ConsumerState {
  if (consumer?.ConsumerARN === undefined || consumer.ConsumerStatus === undefined) {
    throw new KinesisCallError(operation, 'MalformedResponse', 'response has no ConsumerARN or ConsumerStatus');
  }
  return { arn: consumer.ConsumerARN, status: consumer.ConsumerStatus };
}

/**
 * The fan-out half of the Kinesis port on an SDK client.
 * @param polling how to poll DescribeStreamConsumer until a new consumer is ACTIVE
 * @internal
 */
export function awsFanOutPort(client: KinesisClient, polling: StatusPolling): KinesisFanOutPort {
  function streamArn(streamName: string): Observable<string> {
    return kinesisCall('DescribeStreamSummary', streamName, (abortSignal) =>
      client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }), { abortSignal }),
    ).pipe(
      map((output) => {
        const arn = output.StreamDescriptionSummary?.StreamARN;
        if (arn === undefined) throw new KinesisCallError('DescribeStreamSummary', 'MalformedResponse', 'response has no StreamARN');
        return arn;
      }),
    );
  }

  function describe(streamName: string, StreamARN: string, ConsumerName: string): Observable<ConsumerState> {
    return kinesisCall('DescribeStreamConsumer', streamName, (abortSignal) =>
      client.send(new DescribeStreamConsumerCommand({ StreamARN, ConsumerName }), { abortSignal }),
    ).pipe(map((output) => toConsumerState(output.ConsumerDescription, 'DescribeStreamConsumer')));
  }

  function register(streamName: string, StreamARN: string, ConsumerName: string): Observable<ConsumerState> {
    return kinesisCall('RegisterStreamConsumer', streamName, (abortSignal) =>
      client.send(new RegisterStreamConsumerCommand({ StreamARN, ConsumerName }), { abortSignal }),
    ).pipe(
      map((output) => toConsumerState(output.Consumer, 'RegisterStreamConsumer')),
      // Someone else registered the same name between our describe and register: theirs is ours.
      catchError((error: unknown) =>
        error instanceof KinesisCallError && error.code === 'ResourceInUseException'
          ? describe(streamName, StreamARN, ConsumerName)
          : throwError(() => error),
      ),
    );
  }

  return {
    ensureStreamConsumer(streamName: string, consumerName: string): Observable<string> {
      return streamArn(streamName).pipe(
        concatMap((arn) =>
          describe(streamName, arn, consumerName).pipe(
            catchError((error: unknown) =>
              error instanceof StreamNotFoundError ? register(streamName, arn, consumerName) : throwError(() => error),
            ),
            concatMap((consumer) =>
              consumer.status === 'ACTIVE'
                ? of(consumer.arn)
                : awaitStatus(
                    describe(streamName, arn, consumerName).pipe(map((c) => c.status)),
                    (status) => status === 'ACTIVE',
                    polling,
                    () =>
                      new KinesisCallError(
                        'RegisterStreamConsumer',
                        'Timeout',
                        `consumer ${consumerName} of stream ${streamName} not ACTIVE after ${polling.timeoutMillis} ms`,
                        { retryable: true },
                      ),
                  ).pipe(map(() => consumer.arn)),
            ),
          ),
        ),
      );
    },

    subscribeToShard(consumerArn: string, shardId: string, position: IteratorPosition): AsyncIterable<ShardSubscriptionEvent> {
      return {
        [Symbol.asyncIterator]: () => new SdkShardSubscription(client, consumerArn, shardId, position),
      };
    },
  };
}

type Done = IteratorReturnResult<undefined>;
const DONE: Done = { done: true, value: undefined };
const CANCELLED = Symbol('cancelled');

/**
 * One SubscribeToShard call, read one event per `next()`. The request goes out on the first
 * `next()` (the SDK answers it once the first event has arrived); each later `next()` pulls one
 * event from the SDK's event stream, so the HTTP connection's flow control holds the service back
 * while the reader is busy. `return()` aborts the request.
 */
class SdkShardSubscription implements AsyncIterator<ShardSubscriptionEvent, undefined> {
  private readonly controller = new AbortController();
  private readonly streamName: string;
  private events?: Promise<AsyncIterator<SubscribeToShardEventStream>>;
  /** Serialises `next()` calls: the SDK's iterator is a generator, which queues them anyway. */
  private queue: Promise<unknown> = Promise.resolve();
  private finished = false;
  private cancelled = false;
  /** Settles on `return()`, so that a read in flight ends then, whether or not the transport fails it. */
  private readonly cancellation: Promise<typeof CANCELLED>;
  private cancel: () => void = () => undefined;

  constructor(
    private readonly client: KinesisClient,
    private readonly consumerArn: string,
    private readonly shardId: string,
    private readonly position: IteratorPosition,
  ) {
    this.streamName = streamNameOfConsumerArn(consumerArn);
    this.cancellation = new Promise((resolve) => {
      this.cancel = () => resolve(CANCELLED);
    });
  }

  next(): Promise<IteratorResult<ShardSubscriptionEvent, undefined>> {
    if (this.finished) return Promise.resolve(DONE);
    const result = this.queue.then(() => this.pull());
    this.queue = result.catch(() => undefined);
    return result;
  }

  return(): Promise<Done> {
    if (!this.finished) {
      this.cancelled = true;
      this.cancel();
      this.finish(true);
    }
    return Promise.resolve(DONE);
  }

  private async pull(): Promise<IteratorResult<ShardSubscriptionEvent, undefined>> {
    try {
      for (;;) {
        if (this.finished) return DONE;
        const events = await Promise.race([(this.events ??= this.start()), this.cancellation]);
        if (events === CANCELLED) return DONE;
        const step = await Promise.race([events.next(), this.cancellation]);
        if (step === CANCELLED || this.finished) return DONE;
        if (step.done === true) {
          this.finish(false);
          return DONE;
        }
        const event = this.toEvent(step.value);
        if (event !== undefined) return { done: false, value: event };
      }
    } catch (error) {
      if (this.cancelled) return DONE;
      this.finish(true);
      throw error instanceof KinesisCallError ? error : toKinesisError(SUBSCRIBE, this.streamName, error);
    }
  }

  private async start(): Promise<AsyncIterator<SubscribeToShardEventStream>> {
    const output = await this.client.send(
      new SubscribeToShardCommand({
        ConsumerARN: this.consumerArn,
        ShardId: this.shardId,
        StartingPosition: toStartingPosition(this.position),
      }),
      { abortSignal: this.controller.signal },
    );
    if (output.EventStream === undefined) throw new KinesisCallError(SUBSCRIBE, 'MalformedResponse', 'response has no EventStream');
    return output.EventStream[Symbol.asyncIterator]();
  }

  /**
   * The port's event for one member of the event stream; `undefined` for a member this SDK does not
   * know (skipped, as the SDK itself skips unknown events).
   * @throws KinesisCallError for an exception member (the SDK usually throws those itself)
   */
  private toEvent(member: SubscribeToShardEventStream): ShardSubscriptionEvent | undefined {
    if (member.SubscribeToShardEvent !== undefined) return toShardSubscriptionEvent(member.SubscribeToShardEvent);
    if (member.$unknown !== undefined) return undefined;
    for (const [code, exception] of Object.entries(member)) {
      if (exception === undefined) continue;
      const { message, $fault } = exception as { message?: unknown; $fault?: unknown };
      const fault = $fault ?? (code === 'InternalFailureException' ? 'server' : 'client');
      const failure = Object.assign(new Error(typeof message === 'string' ? message : code), { name: code, $fault: fault });
      throw toKinesisError(SUBSCRIBE, this.streamName, failure);
    }
    return undefined;
  }

  /**
   * Ends the subscription: no more events. `abort` when the response may still be streaming; not once
   * it has ended, as aborting a finished request could tear down a pooled keep-alive socket.
   */
  private finish(abort: boolean): void {
    this.finished = true;
    if (abort) this.controller.abort();
    const events = this.events;
    // The SDK's generator closes the response body when returned; a pending read ends with the abort.
    if (events !== undefined) {
      void events.then((iterator) => iterator.return?.()).catch(() => undefined);
    }
  }
}
