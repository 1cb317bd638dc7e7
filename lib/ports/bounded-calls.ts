/**
 * Ports whose every call has a time limit: decorators over `LeaseStorePort` and `KinesisPort` (with
 * its fan-out half, when present) that give up on a call left unanswered too long, so that no loop
 * of the caller waits forever on one black-holed request. They work the same over the AWS ports,
 * ports a caller hands in, and the in-memory fakes.
 *
 * A call that runs out of time is unsubscribed (an SDK request is then aborted on the wire) and
 * fails with the port's own retryable error, code {@link TIMED_OUT}: a `LeaseStoreError` or a
 * `KinesisCallError`, whose message names the call and the limit. Callers retry it as any
 * transient fault; a write that timed out may still have been applied, so it is outcome-unknown
 * like any other errored write.
 *
 * The limit bounds the time to the call's answer (a port emits once); three kinds of call get
 * three limits ({@link CallTimeouts}).
 * @packageDocumentation
 */
import { firstValueFrom, from, throwError, timeout, type Observable, type SchedulerLike } from 'rxjs';
import { KinesisCallError, LeaseStoreError } from '../model/errors';
import type { KinesisFanOutPort, KinesisPort, ShardSubscriptionEvent } from './kinesis-port';
import type { LeaseStorePort } from './lease-store-port';

/** The error code of a call that ran out of time. */
export const TIMED_OUT = 'TimedOut';

/** How long each kind of call may go unanswered, in milliseconds of the scheduler. */
export interface CallTimeouts {
  /**
   * One request with a small answer: every lease-table call but `ensureTable` (Scan with every
   * page, GetItem, PutItem, UpdateItem, DeleteItem), ListShards (every page) and GetShardIterator.
   */
  readonly requestMillis: number;
  /** GetRecords, and the first event of a SubscribeToShard subscription: answers of up to 10 MiB. */
  readonly readMillis: number;
  /**
   * `ensureTable` and `ensureStreamConsumer`, which may wait for the service to create the table or
   * register the stream consumer.
   */
  readonly setUpMillis: number;
}

/**
 * `port` with every call bounded: `ensureTable` by `setUpMillis`, the others by `requestMillis`.
 * Failures past the limit are `LeaseStoreError`s with code {@link TIMED_OUT}, retryable.
 */
export function boundedLeaseStore(port: LeaseStorePort, timeouts: CallTimeouts, scheduler: SchedulerLike): LeaseStorePort {
  const { requestMillis, setUpMillis } = timeouts;
  const within = <T>(call: Observable<T>, operation: string, limitMillis: number, tableName: string): Observable<T> =>
    call.pipe(timeoutAs(limitMillis, scheduler, () => new LeaseStoreError(operation, TIMED_OUT, noAnswer(limitMillis, `table ${tableName}`), { retryable: true })));
  return {
    ensureTable: (tableName) => within(port.ensureTable(tableName), 'CreateTable', setUpMillis, tableName),
    listLeases: (tableName) => within(port.listLeases(tableName), 'Scan', requestMillis, tableName),
    getLease: (tableName, leaseKey) => within(port.getLease(tableName, leaseKey), 'GetItem', requestMillis, tableName),
    createLease: (tableName, lease) => within(port.createLease(tableName, lease), 'PutItem', requestMillis, tableName),
    updateLease: (tableName, leaseKey, update) => within(port.updateLease(tableName, leaseKey, update), 'UpdateItem', requestMillis, tableName),
    deleteLease: (tableName, leaseKey, expectedCounter) =>
      within(port.deleteLease(tableName, leaseKey, expectedCounter), 'DeleteItem', requestMillis, tableName),
  };
}

/**
 * `port` with every call the consumer makes bounded: ListShards and GetShardIterator by
 * `requestMillis`, GetRecords and the first event of each SubscribeToShard subscription by
 * `readMillis`, `ensureStreamConsumer` by `setUpMillis`. Failures past the limit are
 * `KinesisCallError`s with code {@link TIMED_OUT}, retryable; a subscription whose first event
 * does not come in time is cancelled before its `next()` rejects.
 *
 * Events after the first are not bounded here: how long a subscription may stay silent is the
 * reader's liveness check. PutRecords is passed through: the producer bounds its own sends. The
 * fan-out methods are there when `port` has them.
 */
export function boundedKinesis(port: KinesisPort & Partial<KinesisFanOutPort>, timeouts: CallTimeouts, scheduler: SchedulerLike): KinesisPort & Partial<KinesisFanOutPort> {
  const { requestMillis, readMillis, setUpMillis } = timeouts;
  const timedOut = (operation: string, limitMillis: number, what: string) => () =>
    new KinesisCallError(operation, TIMED_OUT, noAnswer(limitMillis, what), { retryable: true });
  const within = <T>(call: Observable<T>, operation: string, limitMillis: number, what: string): Observable<T> =>
    call.pipe(timeoutAs(limitMillis, scheduler, timedOut(operation, limitMillis, what)));
  const bounded: KinesisPort = {
    listShards: (streamName, filter) => within(port.listShards(streamName, filter), 'ListShards', requestMillis, `stream ${streamName}`),
    getShardIterator: (streamName, shardId, position) =>
      within(port.getShardIterator(streamName, shardId, position), 'GetShardIterator', requestMillis, `shard ${shardId} of stream ${streamName}`),
    getRecords: (shardIterator, limit) => within(port.getRecords(shardIterator, limit), 'GetRecords', readMillis, 'shard iterator'),
    putRecords: (streamName, entries) => port.putRecords(streamName, entries),
  };
  const { ensureStreamConsumer, subscribeToShard } = port;
  if (ensureStreamConsumer === undefined || subscribeToShard === undefined) return bounded;
  const fanOut: KinesisFanOutPort = {
    ensureStreamConsumer: (streamName, consumerName) =>
      within(
        ensureStreamConsumer.call(port, streamName, consumerName),
        'RegisterStreamConsumer',
        setUpMillis,
        `consumer ${consumerName} of stream ${streamName}`,
      ),
    subscribeToShard: (consumerArn, shardId, position) =>
      firstEventWithin(
        subscribeToShard.call(port, consumerArn, shardId, position),
        readMillis,
        scheduler,
        timedOut('SubscribeToShard', readMillis, `first event of shard ${shardId}`),
      ),
  };
  return { ...bounded, ...fanOut };
}

function noAnswer(limitMillis: number, what: string): string {
  return `no answer within ${limitMillis} ms (${what})`;
}

function timeoutAs<T>(limitMillis: number, scheduler: SchedulerLike, error: () => Error) {
  return timeout<T, Observable<never>>({ first: limitMillis, scheduler, with: () => throwError(error) });
}

/**
 * `subscription` whose first `next()` rejects with `error()` unless it answers within
 * `limitMillis`; the service subscription is then cancelled (`return()`), since a reader whose
 * `next()` rejected takes the subscription for finished and does not cancel it itself.
 */
function firstEventWithin(
  subscription: AsyncIterable<ShardSubscriptionEvent>,
  limitMillis: number,
  scheduler: SchedulerLike,
  error: () => Error,
): AsyncIterable<ShardSubscriptionEvent> {
  return {
    [Symbol.asyncIterator]: () => {
      const inner = subscription[Symbol.asyncIterator]();
      let answered = false;
      const cancel = (): void => {
        const closing = inner.return?.();
        // As the reader's own cancel: a failure to cancel has nowhere to go.
        if (closing !== undefined) Promise.resolve(closing).catch(() => undefined);
      };
      return {
        next: () => {
          if (answered) return inner.next();
          answered = true;
          return firstValueFrom(
            from(inner.next()).pipe(
              timeoutAs(limitMillis, scheduler, () => {
                cancel();
                return error();
              }),
            ),
          );
        },
        return: (value?: unknown) => inner.return?.(value) ?? Promise.resolve({ done: true, value: undefined }),
      };
    },
  };
}
