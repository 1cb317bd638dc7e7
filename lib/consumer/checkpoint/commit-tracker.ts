/**
 * Per shard, the events handed to the application and not yet checkpointable, in sequence order.
 * The application may commit them in any order; the checkpoint may only move to the end of the
 * committed prefix, never past an event still uncommitted (seed §2.5: events dispatched 1,3,2,5,4
 * with 3 never committed checkpoint at 2). A skip (`commit(false)`) moves it like a success.
 *
 * This is the one imperative edge of a shard pipeline: `commit()` is a plain method call made
 * whenever the application is done, so the tracker turns those calls into Observables with two
 * private Subjects. Neither is exposed; the Observables are read-only views.
 * @packageDocumentation
 */
import { Subject, defer, filter, map, of, take, type Observable } from 'rxjs';
import type { ConsumerEvent } from '../../model/consumer-event';
import type { CompoundSequenceNumber } from '../../model/sequence-number';
import { committableEvent, type CommittableEvent } from '../committable-event';

/** How far the committed prefix reaches. */
export interface CommitProgress {
  /** The position of the last event of the committed prefix: what may be checkpointed. */
  readonly position: CompoundSequenceNumber;
  /** Events in the committed prefix since the tracker started (counts commits for the checkpointer). */
  readonly committedCount: number;
}

interface Entry {
  readonly position: CompoundSequenceNumber;
  committed: boolean;
}

// Drop the committed prefix from the array once it is this long and at least half of it.
const COMPACT_AFTER = 1024;

/** Tracks the commits of one shard's events. One per shard pipeline subscription. */
export class CommitTracker {
  private entries: Entry[] = [];
  /** Index in `entries` of the first event not in the committed prefix. */
  private head = 0;
  /** Ticket of `entries[0]`; tickets number the tracked events from 0. */
  private offset = 0;
  private tickets = 0;
  private last: CompoundSequenceNumber | undefined;
  private current: CommitProgress | undefined;
  /** The last progress emitted on {@link progress$}. */
  private announced: CommitProgress | undefined;
  /** Open {@link hold}s: while any is, advances are announced on release rather than one by one. */
  private holds = 0;
  private closed = false;
  private readonly advanced = new Subject<CommitProgress>();
  private readonly released = new Subject<void>();

  /**
   * Each advance of the committed prefix, as it happens. Hot; completes when the tracker is closed.
   * An advance is announced before the change in {@link outstanding} it causes.
   */
  readonly progress$: Observable<CommitProgress> = this.advanced.asObservable();

  /**
   * @param shardId for error messages
   * @param fencingToken carried by every event tracked ({@link CommittableEvent.fencingToken})
   */
  constructor(
    private readonly shardId: string,
    private readonly fencingToken = 0,
  ) {}

  /** Events tracked and not yet in the committed prefix (an event committed out of order counts until every earlier one is committed). */
  get outstanding(): number {
    return this.entries.length - this.head;
  }

  /** The committed prefix, or `undefined` before the first event is committed. */
  get progress(): CommitProgress | undefined {
    return this.current;
  }

  /** The position of the last event tracked. */
  get lastTracked(): CompoundSequenceNumber | undefined {
    return this.last;
  }

  /**
   * Starts tracking an event about to be handed to the application.
   * @returns the committable event whose `commit()` reports here
   * @throws RangeError when the event is not after the last one tracked, or the tracker is closed
   */
  track(event: ConsumerEvent): CommittableEvent<ConsumerEvent> {
    const position = event.sequenceNumber;
    if (this.closed) {
      throw new RangeError(`shard ${this.shardId}: cannot track ${position.toString()}, the pipeline has ended`);
    }
    if (this.last !== undefined && !position.isAfter(this.last)) {
      throw new RangeError(`shard ${this.shardId}: events must be tracked in sequence order; ${position.toString()} is not after ${this.last.toString()}`);
    }
    this.last = position;
    this.entries.push({ position, committed: false });
    const ticket = this.tickets++;
    return committableEvent(event, () => this.commit(ticket), this.fencingToken);
  }

  /**
   * Emits once (at once if already so) when at most `limit` events are outstanding; completes
   * without emitting if the tracker is closed first.
   */
  whenOutstandingAtMost(limit: number): Observable<void> {
    return defer(() =>
      this.outstanding <= limit
        ? of(undefined)
        : this.released.pipe(
            filter(() => this.outstanding <= limit),
            take(1),
            map(() => undefined),
          ),
    );
  }

  /**
   * Holds back the announcements of advances until {@link release}: a burst of commits made while
   * events are handed over synchronously then costs one emission on {@link progress$}, with the
   * newest progress, instead of one per commit. An advance is still announced at once when
   * someone waits on {@link whenOutstandingAtMost}, so it precedes the change in outstanding.
   */
  hold(): void {
    this.holds += 1;
  }

  /** Ends a {@link hold}; the last one announces the newest progress if it is not yet announced. */
  release(): void {
    if (this.holds > 0) this.holds -= 1;
    if (this.holds === 0) this.announce();
  }

  /** Emits the newest progress on {@link progress$} if it has not been emitted yet. */
  announce(): void {
    const current = this.current;
    if (this.closed || current === undefined || current === this.announced) return;
    this.announced = current;
    this.advanced.next(current);
  }

  /** Ends tracking: later commits are ignored and the Observables complete. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.entries = [];
    this.head = 0;
    this.advanced.complete();
    this.released.complete();
  }

  private commit(ticket: number): void {
    if (this.closed) return;
    const entry = this.entries[ticket - this.offset];
    if (entry === undefined || entry.committed) return;
    entry.committed = true;
    const before = this.head;
    let head = this.head;
    for (let next = this.entries[head]; next !== undefined && next.committed; next = this.entries[head]) head += 1;
    if (head > before) {
      this.head = head;
      this.current = {
        position: this.entries[head - 1]!.position,
        committedCount: (this.current?.committedCount ?? 0) + (head - before),
      };
      if (head >= COMPACT_AFTER && head * 2 >= this.entries.length) {
        this.entries = this.entries.slice(head);
        this.offset += head;
        this.head = 0;
      }
    }
    // Only a waiting `whenOutstandingAtMost` listens; most commits find nobody waiting.
    const waited = this.released.observed;
    if (head > before && (this.holds === 0 || waited)) this.announce();
    if (waited) this.released.next();
  }
}
