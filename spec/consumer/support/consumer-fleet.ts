/**
 * Consumers (`consume$` or `shards$` subscriptions, each a worker) sharing one in-memory stream and
 * one in-memory lease table on one virtual clock.
 */
import { NEVER, VirtualTimeScheduler, defer, type Observable, type Subscription } from 'rxjs';
import { consumerConf } from '../../../lib/config/consumer-config';
import { decodeKinesisConfig } from '../../../lib/config/kinesis-config';
import type { CommittableEvent } from '../../../lib/consumer/committable-event';
import { consume$ } from '../../../lib/consumer/consume';
import type { ConsumeOptions } from '../../../lib/consumer/consumer-settings';
import type { ConsumerConf } from '../../../lib/config/consumer-config';
import type { ConsumerEvent } from '../../../lib/model/consumer-event';
import type { Lease } from '../../../lib/model/lease';
import type { PutRecordsEntry } from '../../../lib/ports/kinesis-port';
import type { LeaseStorePort, LeaseUpdate } from '../../../lib/ports/lease-store-port';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../../lib/testing';
import { DeliveryLog, texts } from '../../support/deliveries';
import { leaseCountsByOwner, runFor } from '../../support/virtual-time';

export const STREAM = 'orders';
export const TABLE = 'app-orders';

/** Consumer sections for tests: small pages, short pauses, a 3 s failover. */
export function testConf(workerId: string, overrides: { readonly kcl?: object; readonly checkpointer?: object; readonly worker?: object } = {}): ConsumerConf {
  return consumerConf(
    decodeKinesisConfig({
      'application-name': 'app',
      consumer: {
        'stream-name': STREAM,
        kcl: {
          workerId,
          failoverTimeMillis: 3000,
          maxRecords: 10,
          idleTimeBetweenReadsInMillis: 100,
          parentShardPollIntervalMillis: 500,
          taskBackoffTimeMillis: 100,
          ...overrides.kcl,
        },
        checkpointer: { intervalMillis: 500, backoffMillis: 200, ...overrides.checkpointer },
        worker: { shutdownTimeoutSeconds: 5, ...overrides.worker },
      },
    }),
    'consumer',
  );
}

/** A subscribed consumer and what it saw. */
export class Worker extends DeliveryLog {
  completed = false;
  completedAt?: number;
  error: unknown;
  /** Commit each event as it arrives. */
  autoCommit = true;
  /** The process died: its lease-store calls never answer, and it is unsubscribed. */
  dead = false;
  /** How many events it had received when it died. */
  deliveredBeforeDeath?: number;
  subscription?: Subscription;

  constructor(readonly id: string) {
    super();
  }

  /** Delivered texts of one shard, in delivery order. */
  textsOf(shardId: string): string[] {
    return this.deliveries.filter((d) => d.shardId === shardId).map((d) => d.text);
  }

  commitAll(): void {
    for (const d of this.deliveries) d.event.commit();
  }

  unsubscribe(): void {
    this.subscription?.unsubscribe();
  }
}

/** Options of {@link ConsumerFleet.start}. */
export interface StartOptions {
  readonly kcl?: object;
  readonly checkpointer?: object;
  readonly options?: ConsumeOptions;
  readonly autoCommit?: boolean;
  /**
   * The worker dies at the first lease-store call for which this is true: that call and every
   * later one never answer (nothing more of it lands in the table), and the worker is unsubscribed.
   */
  readonly dieOn?: (call: LeaseStoreCallSeen) => boolean;
}

/** A lease-store call as `dieOn` sees it. */
export interface LeaseStoreCallSeen {
  readonly operation: keyof LeaseStorePort;
  readonly leaseKey?: string;
  readonly update?: LeaseUpdate;
}

export class ConsumerFleet {
  readonly scheduler = new VirtualTimeScheduler();
  readonly kinesis: InMemoryKinesis;
  readonly store: InMemoryLeaseStore;
  readonly workers = new Map<string, Worker>();

  constructor(shardCount: number, options: { readonly storeLatencyMillis?: number; readonly kinesisLatencyMillis?: number } = {}) {
    this.kinesis = new InMemoryKinesis({ scheduler: this.scheduler, streams: { [STREAM]: shardCount }, latencyMillis: options.kinesisLatencyMillis ?? 0 });
    this.store = new InMemoryLeaseStore({ scheduler: this.scheduler, latencyMillis: options.storeLatencyMillis ?? 0 });
  }

  /** The events `consume$` gives a worker with these settings, not subscribed. */
  consume(id: string, start: StartOptions = {}): Observable<CommittableEvent<ConsumerEvent>> {
    const worker = this.workers.get(id);
    const leases = worker === undefined || start.dieOn === undefined ? this.store : this.mortal(worker, start.dieOn);
    return consume$(
      testConf(id, { ...(start.kcl === undefined ? {} : { kcl: start.kcl }), ...(start.checkpointer === undefined ? {} : { checkpointer: start.checkpointer }) }),
      { kinesis: this.kinesis, leases, scheduler: this.scheduler, onDiagnostic: (d) => worker?.diagnostics.push(d) },
      start.options,
    );
  }

  /** Starts a worker: a `consume$` subscription that records every event (and commits it, by default). */
  start(id: string, start: StartOptions = {}): Worker {
    const worker = new Worker(id);
    worker.autoCommit = start.autoCommit ?? true;
    this.workers.set(id, worker);
    worker.subscription = this.consume(id, start).subscribe({
      next: (event) => {
        worker.record(event, this.now);
        if (worker.autoCommit) event.commit();
      },
      error: (error: unknown) => (worker.error = error),
      complete: () => {
        worker.completed = true;
        worker.completedAt = this.now;
      },
    });
    return worker;
  }

  /** The store as a worker that dies at `dieOn` sees it. */
  private mortal(worker: Worker, dieOn: (call: LeaseStoreCallSeen) => boolean): LeaseStorePort {
    const store = this.store;
    const seen = <T>(call: LeaseStoreCallSeen, perform: () => Observable<T>): Observable<T> =>
      defer(() => {
        if (!worker.dead && dieOn(call)) {
          worker.dead = true;
          worker.deliveredBeforeDeath = worker.deliveries.length;
          this.scheduler.schedule(() => worker.unsubscribe(), 0);
        }
        return worker.dead ? NEVER : perform();
      });
    return {
      ensureTable: (t) => seen({ operation: 'ensureTable' }, () => store.ensureTable(t)),
      listLeases: (t) => seen({ operation: 'listLeases' }, () => store.listLeases(t)),
      getLease: (t, k) => seen({ operation: 'getLease', leaseKey: k }, () => store.getLease(t, k)),
      createLease: (t, l) => seen({ operation: 'createLease', leaseKey: l.leaseKey }, () => store.createLease(t, l)),
      updateLease: (t, k, u) => seen({ operation: 'updateLease', leaseKey: k, update: u }, () => store.updateLease(t, k, u)),
      deleteLease: (t, k, c) => seen({ operation: 'deleteLease', leaseKey: k }, () => store.deleteLease(t, k, c)),
    };
  }

  worker(id: string): Worker {
    const worker = this.workers.get(id);
    if (worker === undefined) throw new Error(`no worker ${id}`);
    return worker;
  }

  /** Writes one plain record per text, the text also being its partition key unless `key` says otherwise. */
  put(texts: readonly string[], key: (text: string) => string = (text) => text): void {
    const entries: PutRecordsEntry[] = texts.map((text) => ({ partitionKey: key(text), data: Buffer.from(text) }));
    for (let i = 0; i < entries.length; i += 500) this.kinesis.appendRecords(STREAM, entries.slice(i, i + 500));
  }

  /** Texts stored in a shard, oldest first (plain records only). */
  stored(shardId: string): string[] {
    return this.kinesis.records(STREAM, shardId).map((r) => Buffer.from(r.data).toString());
  }

  shardIds(): string[] {
    return this.kinesis.shards(STREAM).map((s) => s.shardId);
  }

  leases(): readonly Lease[] {
    return this.store.leases(TABLE);
  }

  lease(shardId: string): Lease {
    const lease = this.store.lease(TABLE, shardId);
    if (lease === undefined) throw new Error(`no lease ${shardId}`);
    return lease;
  }

  /** Lease count per owner (finished leases left out). */
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

export { texts };
