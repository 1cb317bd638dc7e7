/**
 * Enhanced fan-out in the fake: registered stream consumers and SubscribeToShard subscriptions on
 * the scheduler's clock.
 *
 * A subscription answers its first `next()` with what the shard holds at once (after the latency),
 * then one event per second at most, each read from the shard when its time comes and holding up
 * to 10,000 records and 2 MiB past the continuation. Nothing is read ahead of the reader: an event
 * is computed only when a `next()` waits for it. The subscription ends five minutes after it
 * started, after the event that finishes a closed shard (no continuation, the child shards), when a
 * later subscription to the same consumer and shard takes it over, or on `return()`.
 * @packageDocumentation
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import { streamNameOfConsumerArn } from '../ports/consumer-arn';
import type { IteratorPosition, ShardSubscriptionEvent } from '../ports/kinesis-port';
import type { CallFault, KinesisCall } from './faults';
import { consumerNotFound, kinesisFaultError, streamNotFound, subscriptionInUse, validationError } from './kinesis-errors';
import type { Timing } from './respond';
import { readRecords, startIndex } from './shard-reader';
import type { ShardState } from './shard-state';
import type { StreamState } from './stream-state';

/** The service ends every subscription this long after it started. */
export const SUBSCRIPTION_LIFETIME_MILLIS = 5 * 60 * 1000;
/** Events of one subscription come at most this often. */
export const SUBSCRIPTION_EVENT_INTERVAL_MILLIS = 1000;
/** A second subscription to the same consumer and shard is refused this long after the first started. */
export const SUBSCRIPTION_TAKEOVER_MILLIS = 5000;
/** Most records one event carries. */
export const MAX_SUBSCRIPTION_EVENT_RECORDS = 10_000;
/** Most data one event carries (at least one record is always sent): a second of 2 MiB/s. */
const MAX_SUBSCRIPTION_EVENT_BYTES = 2 * 1024 * 1024;

const OPERATION = 'SubscribeToShard';
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const CONSUMER_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

/** A registered stream consumer; it goes with the incarnation of the stream it was registered on. */
interface StreamConsumer {
  readonly arn: string;
  readonly streamName: string;
  readonly incarnation: number;
}

/** What the fan-out needs from the fake that holds it. */
export interface FanOutHost {
  readonly timing: Timing;
  /** The stream of that name as it is now, if it exists. */
  stream(streamName: string): StreamState | undefined;
  /** Counts a call and asks the fault rules about it. */
  enter(call: KinesisCall): CallFault | undefined;
}

type Done = IteratorReturnResult<undefined>;
const DONE: Done = { done: true, value: undefined };

/** The consumers of one fake and the subscriptions open on them. */
export class FanOut {
  /** `stream/consumer name` → consumer. */
  private readonly consumers = new Map<string, StreamConsumer>();
  /** `consumer ARN shard id` → the subscription that last started there and has not ended. */
  private readonly open = new Map<string, ShardSubscription>();
  private registrations = 0;

  constructor(private readonly host: FanOutHost) {}

  /**
   * The ARN of the consumer `consumerName` on `stream`, registered (ACTIVE at once) if it does not
   * exist yet.
   * @throws KinesisCallError ValidationException for a name Kinesis would refuse
   */
  register(stream: StreamState, consumerName: string): string {
    if (!CONSUMER_NAME.test(consumerName)) {
      throw validationError('RegisterStreamConsumer', `consumerName must match ${CONSUMER_NAME.source}, got ${JSON.stringify(consumerName)}`);
    }
    const key = `${stream.name}/${consumerName}`;
    const existing = this.consumers.get(key);
    if (existing !== undefined && existing.incarnation === stream.incarnation) return existing.arn;
    this.registrations += 1;
    const arn = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${stream.name}/consumer/${consumerName}:${this.registrations}`;
    this.consumers.set(key, { arn, streamName: stream.name, incarnation: stream.incarnation });
    return arn;
  }

  /** A subscription that calls SubscribeToShard on its first `next()`. */
  subscribe(consumerArn: string, shardId: string, position: IteratorPosition): AsyncIterator<ShardSubscriptionEvent, undefined> {
    return new ShardSubscription(this, this.host, { consumerArn, shardId, position });
  }

  /**
   * The stream and shard a subscription reads, as long as its consumer exists.
   * @throws StreamNotFoundError for an unknown consumer (or one whose stream was deleted) or shard
   * @internal
   */
  resolve(consumerArn: string, shardId: string): { stream: StreamState; shard: ShardState } {
    const consumer = [...this.consumers.values()].find((c) => c.arn === consumerArn);
    const stream = consumer === undefined ? undefined : this.host.stream(consumer.streamName);
    if (consumer === undefined || stream === undefined || stream.incarnation !== consumer.incarnation) {
      throw consumerNotFound(OPERATION, streamNameOfConsumerArn(consumerArn), consumerArn);
    }
    return { stream, shard: stream.requireShard(OPERATION, shardId) };
  }

  /**
   * Makes `subscription` the open one on its consumer and shard, taking over from one that started
   * at least five seconds ago.
   * @throws KinesisCallError ResourceInUseException (retryable) when one started less than five seconds ago
   * @internal
   */
  claim(subscription: ShardSubscription, now: number): void {
    const { consumerArn, shardId } = subscription.request;
    const key = `${consumerArn} ${shardId}`;
    const current = this.open.get(key);
    if (current !== undefined && now - current.startedAtMillis < SUBSCRIPTION_TAKEOVER_MILLIS) {
      throw subscriptionInUse(consumerArn, shardId);
    }
    current?.end();
    this.open.set(key, subscription);
  }

  /** Forgets `subscription` as the open one, if it still is. @internal */
  release(subscription: ShardSubscription): void {
    const key = `${subscription.request.consumerArn} ${subscription.request.shardId}`;
    if (this.open.get(key) === subscription) this.open.delete(key);
  }
}

interface SubscribeRequest {
  readonly consumerArn: string;
  readonly shardId: string;
  readonly position: IteratorPosition;
}

interface Waiter {
  readonly resolve: (result: IteratorResult<ShardSubscriptionEvent, undefined>) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * One SubscribeToShard call. `next()` calls are answered in order, one at a time: only the oldest
 * waiting one has an action on the scheduler, so an event is computed when its time comes and
 * never before a reader asks for it.
 */
class ShardSubscription implements AsyncIterator<ShardSubscriptionEvent, undefined> {
  /** When the call took effect; 0 until it did. */
  startedAtMillis = 0;
  private state: 'new' | 'open' | 'failing' | 'ended' = 'new';
  private readonly waiting: Waiter[] = [];
  private scheduled?: Subscription;
  private target?: { readonly stream: StreamState; readonly shard: ShardState };
  /** Index in the shard of the next record to send. */
  private position = 0;
  private lastEventAtMillis?: number;

  constructor(
    private readonly fanOut: FanOut,
    private readonly host: FanOutHost,
    readonly request: SubscribeRequest,
  ) {}

  next(): Promise<IteratorResult<ShardSubscriptionEvent, undefined>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      // Synchronously, so that a scheduler flushed right after this call already holds the answer.
      if (this.waiting.length === 1) this.serve();
    });
  }

  return(): Promise<Done> {
    this.end();
    return Promise.resolve(DONE);
  }

  /** Ends the subscription: every waiting `next()` and every later one is answered done. */
  end(): void {
    this.state = 'ended';
    this.fanOut.release(this);
    this.scheduled?.unsubscribe();
    this.scheduled = undefined;
    for (const waiter of this.waiting.splice(0)) waiter.resolve(DONE);
  }

  private get scheduler(): SchedulerLike {
    return this.host.timing.scheduler;
  }

  /** Arranges the answer of the oldest waiting `next()`. */
  private serve(): void {
    switch (this.state) {
      case 'ended':
        for (const waiter of this.waiting.splice(0)) waiter.resolve(DONE);
        return;
      case 'new':
        this.start();
        return;
      case 'failing':
        return;
      case 'open': {
        const now = this.scheduler.now();
        const due = Math.max(now, (this.lastEventAtMillis ?? now) + SUBSCRIPTION_EVENT_INTERVAL_MILLIS);
        const endsAt = this.startedAtMillis + SUBSCRIPTION_LIFETIME_MILLIS;
        if (due >= endsAt) this.at(Math.max(now, endsAt), () => this.end());
        else this.at(due, () => this.emit());
        return;
      }
    }
  }

  /** The SubscribeToShard call itself, made on the first `next()`. */
  private start(): void {
    const { consumerArn, shardId, position } = this.request;
    const call: KinesisCall = { operation: 'subscribeToShard', streamName: streamNameOfConsumerArn(consumerArn), shardId };
    const fault = this.host.enter(call);
    const now = this.scheduler.now();
    const latency = this.host.timing.latencyMillis;
    if (fault === 'hang') return;
    if (fault === 'throttle' || fault === 'transient') {
      this.fail(now + latency, kinesisFaultError(fault, call));
      return;
    }
    try {
      const target = this.fanOut.resolve(consumerArn, shardId);
      this.position = startIndex(target.stream, target.shard, position, now, OPERATION);
      this.fanOut.claim(this, now);
      this.target = target;
      this.startedAtMillis = now;
    } catch (error) {
      this.fail(now + latency, error);
      return;
    }
    if (fault === 'lostResponse') {
      // The service holds the subscription open (a new one within five seconds is refused) while
      // the caller never hears of it.
      this.fail(now + latency, kinesisFaultError(fault, call), { keepClaim: true });
      return;
    }
    this.state = 'open';
    this.at(now + latency, () => this.emit());
  }

  /**
   * Rejects the oldest waiting `next()` at `atMillis`, ending the subscription; later `next()` calls
   * are answered done. With `keepClaim`, the service still counts it as open on its shard.
   */
  private fail(atMillis: number, error: unknown, options: { readonly keepClaim?: boolean } = {}): void {
    this.state = 'failing';
    this.at(atMillis, () => {
      this.waiting.shift()?.reject(error);
      if (options.keepClaim === true) this.state = 'ended';
      else this.end();
    });
  }

  /** Runs `work` at `atMillis` on the scheduler, then serves the next waiting `next()`, if any. */
  private at(atMillis: number, work: () => void): void {
    const delay = Math.max(0, atMillis - this.scheduler.now());
    let ran = false;
    const action = this.scheduler.schedule(() => {
      ran = true;
      this.scheduled = undefined;
      work();
      if (this.waiting.length > 0 && this.scheduled === undefined) this.serve();
    }, delay);
    // A scheduler that runs the work at once has already moved on to what comes after it.
    if (!ran) this.scheduled = action;
  }

  /** Reads the next event from the shard as it is now, and answers the oldest waiting `next()`. */
  private emit(): void {
    const waiter = this.waiting.shift();
    const target = this.target;
    if (waiter === undefined || target === undefined) return;
    const now = this.scheduler.now();
    const { stream, shard } = target;
    const current = this.host.stream(stream.name);
    if (current === undefined || current.incarnation !== stream.incarnation) {
      waiter.reject(streamNotFound(OPERATION, stream.name));
      this.end();
      return;
    }
    const read = readRecords(
      stream,
      shard,
      this.position,
      { limit: MAX_SUBSCRIPTION_EVENT_RECORDS, maxBytes: MAX_SUBSCRIPTION_EVENT_BYTES, operation: OPERATION },
      now,
    );
    this.position = read.next;
    this.lastEventAtMillis = now;
    if (read.childShards !== undefined) {
      const { records, millisBehindLatest, childShards } = read;
      waiter.resolve({ done: false, value: { records, millisBehindLatest, ...(childShards.length === 0 ? {} : { childShards }) } });
      this.end();
      return;
    }
    // Where a resubscription AFTER_SEQUENCE_NUMBER picks up: the last record sent, or before the
    // shard's first record when none has been.
    const last = shard.records[read.next - 1];
    const continuationSequenceNumber = String(last === undefined ? shard.startingSequence : last.sequence);
    waiter.resolve({ done: false, value: { records: read.records, continuationSequenceNumber, millisBehindLatest: read.millisBehindLatest } });
  }
}
