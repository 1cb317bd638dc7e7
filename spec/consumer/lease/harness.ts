/**
 * Several lease coordinators sharing one in-memory lease table and one in-memory stream, all on
 * one virtual clock.
 */
import { VirtualTimeScheduler, concat, ignoreElements, mergeMap, of, type Subscription } from 'rxjs';
import type { Lease } from '../../../lib/model/lease';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../../lib/testing';
import { leaseCoordinator, type LeaseCoordinator, type LeaseEvent } from '../../../lib/consumer/lease/lease-coordinator';
import type { LeaseCoordinatorSettings } from '../../../lib/consumer/lease/lease-settings';
import { leaseCountsByOwner, runFor } from '../../support/virtual-time';

export const TABLE = 'app-stream';
export const STREAM = 'stream';

/** Settings used unless a test says otherwise: the KCL's defaults, a 2 s take interval. */
export const SETTINGS: Omit<LeaseCoordinatorSettings, 'workerId'> = {
  tableName: TABLE,
  streamName: STREAM,
  failoverTimeMillis: 10_000,
  shardSyncIntervalMillis: 60_000,
  maxLeasesForWorker: 2 ** 31 - 1,
  maxLeasesToStealAtOneTime: 1,
  initialPosition: { type: 'TRIM_HORIZON' },
  cleanupLeasesUponShardCompletion: true,
  parentShardPollIntervalMillis: 10_000,
};

/** One running (or stopped) coordinator and what it emitted. */
export interface Worker {
  readonly id: string;
  readonly coordinator: LeaseCoordinator;
  readonly events: Array<LeaseEvent & { readonly at: number }>;
  readonly ignoreHandoffs: boolean;
  error?: unknown;
  subscription?: Subscription;
}

/** A table, a stream and a clock shared by workers. */
export class Fleet {
  readonly scheduler = new VirtualTimeScheduler();
  readonly store: InMemoryLeaseStore;
  readonly kinesis: InMemoryKinesis;
  readonly workers = new Map<string, Worker>();

  /** @param options.maxAttempts of the store's client (the SDK's retry of a lost answer); default the fake's */
  constructor(shardCount: number, options: { readonly latencyMillis?: number; readonly maxAttempts?: number } = {}) {
    this.store = new InMemoryLeaseStore({
      scheduler: this.scheduler,
      latencyMillis: options.latencyMillis ?? 0,
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    });
    this.kinesis = new InMemoryKinesis({ scheduler: this.scheduler, streams: { [STREAM]: shardCount } });
  }

  /**
   * Builds a coordinator and subscribes to its events. Unless `ignoreHandoffs`, the worker answers a
   * `LeaseHandoff` as a shard pipeline with nothing left to checkpoint does: it releases the lease
   * at once, which hands it over.
   */
  start(id: string, settings: Partial<LeaseCoordinatorSettings> = {}, options: { readonly ignoreHandoffs?: boolean } = {}): Worker {
    const coordinator = leaseCoordinator(
      { leases: this.store, kinesis: this.kinesis, scheduler: this.scheduler },
      { ...SETTINGS, workerId: id, ...settings },
    );
    const worker: Worker = { id, coordinator, events: [], ignoreHandoffs: options.ignoreHandoffs === true };
    this.subscribe(worker);
    this.workers.set(id, worker);
    return worker;
  }

  /** Subscribes (again) to a worker's events. */
  subscribe(worker: Worker): void {
    const { coordinator } = worker;
    worker.subscription = coordinator.events$
      .pipe(
        mergeMap((event) =>
          event._tag === 'LeaseHandoff' && !worker.ignoreHandoffs ? concat(of(event), coordinator.release(event.shardId).pipe(ignoreElements())) : of(event),
        ),
      )
      .subscribe({
        next: (event) => worker.events.push({ ...event, at: this.scheduler.now() }),
        error: (error: unknown) => (worker.error = error),
      });
  }

  /** Unsubscribes without releasing anything, as a process that dies would. */
  kill(id: string): void {
    this.worker(id).subscription?.unsubscribe();
  }

  /** Releases every lease the worker holds, then unsubscribes: a graceful stop. */
  stop(id: string): void {
    const worker = this.worker(id);
    for (const shardId of this.heldBy(id)) worker.coordinator.release(shardId).subscribe();
    this.run(0);
    worker.subscription?.unsubscribe();
  }

  worker(id: string): Worker {
    const worker = this.workers.get(id);
    if (worker === undefined) throw new Error(`no worker ${id}`);
    return worker;
  }

  /**
   * Shards the worker's events say it reads now: acquired and not lost or asked for since, and not
   * finished (a shard that ended is given up without an event: its pipeline ends by itself).
   */
  heldBy(id: string): string[] {
    const held = new Set<string>();
    for (const event of this.worker(id).events) {
      if (event._tag === 'LeaseAcquired') held.add(event.shardId);
      else held.delete(event.shardId);
    }
    const finished = new Set(this.leases().filter((l) => l.checkpoint === 'SHARD_END').map((l) => l.leaseKey));
    return [...held].filter((shardId) => !finished.has(shardId)).sort();
  }

  leases(): readonly Lease[] {
    return this.store.leases(TABLE);
  }

  /** Lease count per owner in the table (finished leases left out). */
  owners(): Record<string, number> {
    return leaseCountsByOwner(this.leases());
  }

  /** Lets `millis` of virtual time pass, running everything due on the way. */
  run(millis: number): void {
    runFor(this.scheduler, millis);
  }

  get now(): number {
    return this.scheduler.now();
  }
}
