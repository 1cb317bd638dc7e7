/**
 * The event a consumer hands to the application: a payload (at first the `ConsumerEvent` itself)
 * bound to the position it came from. `commit()` tells the shard's checkpointer that the event is
 * done; mapping the payload keeps the binding, so committing a mapped event commits the original.
 * @packageDocumentation
 */
import { concatMap, defer, from, map, take, throwIfEmpty, type ObservableInput, type Observable, type OperatorFunction } from 'rxjs';
import type { ConsumerEvent } from '../model/consumer-event';
import type { CompoundSequenceNumber } from '../model/sequence-number';

/**
 * An event that can be committed.
 * @typeParam A the payload, `ConsumerEvent` until mapped
 */
export interface CommittableEvent<A> {
  /** What the application works with. */
  readonly payload: A;
  /** The record as read, whatever the payload has been mapped to. */
  readonly event: ConsumerEvent;
  readonly shardId: string;
  /** The position of the original record; the checkpoint moves past it once it is committed. */
  readonly sequenceNumber: CompoundSequenceNumber;
  /**
   * The fencing token of the lease this event was read under (`LeasedShard.fencingToken`): the
   * lease counter when the shard was handed to the consumer. Every later tenure of the shard, by
   * any worker, has a greater token, so a sink that remembers the greatest token it has seen per
   * shard can refuse a write that carries a smaller one: the write of a worker that was paused
   * past its lease while another took over.
   */
  readonly fencingToken: number;
  /** True once this event, or any event mapped from the same record, has been committed. */
  readonly committed: boolean;
  /**
   * Marks the event as done, so the shard's checkpoint may move past it once every earlier event
   * is done too. `successful = false` records a skip: it is logged by the seed and otherwise treated
   * exactly as a success, so a skipped event is not redelivered once a checkpoint passes it.
   *
   * Fire-and-forget and idempotent: only the first commit of a record counts; commits after the
   * shard's pipeline has ended are ignored (the events are redelivered to the next lease holder).
   * @returns this event, so it can be committed inside `map`
   */
  commit(successful?: boolean): this;
  /** The same binding with payload `f(payload)`. */
  map<B>(f: (payload: A) => B): CommittableEvent<B>;
  /**
   * The same binding with the payload `f` resolves to. Cold: `f` runs on subscription. Only the
   * first value is used.
   * @throws (on the error channel) TypeError when `f`'s result completes without a value, since
   *   the event could then never be committed
   */
  mapAsync<B>(f: (payload: A) => ObservableInput<B>): Observable<CommittableEvent<B>>;
}

/** Binds an event to its record and commit handler; the events mapped from it share its state. */
class Committable<A> implements CommittableEvent<A> {
  /** Kept by the first event of a binding only; the others defer to it, their `root`. */
  private done = false;

  constructor(
    readonly payload: A,
    private readonly root: Committable<ConsumerEvent> | undefined,
    private readonly onCommit: ((successful: boolean) => void) | undefined,
    private readonly token = 0,
  ) {}

  get event(): ConsumerEvent {
    // The first event's payload is its record.
    return this.root === undefined ? (this.payload as unknown as ConsumerEvent) : this.root.payload;
  }
  get shardId(): string {
    return this.event.shardId;
  }
  get sequenceNumber(): CompoundSequenceNumber {
    return this.event.sequenceNumber;
  }
  get fencingToken(): number {
    return (this.root ?? this).token;
  }
  get committed(): boolean {
    return (this.root ?? this).done;
  }

  commit(successful = true): this {
    const binding: Committable<unknown> = this.root ?? this;
    if (!binding.done) {
      binding.done = true;
      binding.onCommit?.(successful);
    }
    return this;
  }

  map<B>(f: (payload: A) => B): CommittableEvent<B> {
    return new Committable(f(this.payload), this.rootEvent(), undefined);
  }

  mapAsync<B>(f: (payload: A) => ObservableInput<B>): Observable<CommittableEvent<B>> {
    return defer(() => from(f(this.payload))).pipe(
      take(1),
      throwIfEmpty(() => new TypeError(`mapAsync: the function produced no value for the event at ${this.shardId} ${this.sequenceNumber.toString()}`)),
      map((b) => new Committable(b, this.rootEvent(), undefined)),
    );
  }

  /** The first event of this binding. */
  private rootEvent(): Committable<ConsumerEvent> {
    return this.root ?? (this as unknown as Committable<ConsumerEvent>);
  }

  toString(): string {
    return `CommittableEvent(${this.shardId} ${this.sequenceNumber.toString()}${this.committed ? ', committed' : ''})`;
  }
}

/**
 * Binds an event to a commit handler.
 * @param event the record as read; it is also the initial payload
 * @param onCommit called once, on the first commit of this event or of any event mapped from it
 * @param fencingToken the lease counter at acquisition ({@link CommittableEvent.fencingToken})
 */
export function committableEvent(event: ConsumerEvent, onCommit: (successful: boolean) => void, fencingToken = 0): CommittableEvent<ConsumerEvent> {
  return new Committable(event, undefined, onCommit, fencingToken);
}

/** Maps each payload, keeping the commit binding. */
export function mapPayload<A, B>(f: (payload: A) => B): OperatorFunction<CommittableEvent<A>, CommittableEvent<B>> {
  return map((event) => event.map(f));
}

/**
 * Maps each payload through a Promise or Observable, one event at a time so the order is kept,
 * keeping the commit binding. Only the first value of each result is used.
 * @throws (on the error channel) TypeError when a result completes without a value
 */
export function mapPayloadAsync<A, B>(f: (payload: A) => Promise<B> | Observable<B>): OperatorFunction<CommittableEvent<A>, CommittableEvent<B>> {
  return concatMap((event) => event.mapAsync(f));
}
