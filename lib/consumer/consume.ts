/**
 * `consume$`: every shard this worker holds a lease on, merged into one Observable of committable
 * events.
 * @packageDocumentation
 */
import { mergeMap, type Observable } from 'rxjs';
import type { ConsumerConf } from '../config/consumer-config';
import type { ConsumerEvent } from '../model/consumer-event';
import type { CommittableEvent } from './committable-event';
import type { ConsumerDeps } from './consumer-deps';
import type { ConsumeOptions } from './consumer-settings';
import { shards$ } from './shards';

/**
 * The events of every shard this worker holds a lease on: in sequence order within a shard, shards
 * in parallel. `event.commit()` marks an event done; the checkpoint of its shard moves to the end
 * of the committed prefix, written every `checkpointer.intervalMillis`. A shard stops fetching
 * while too many of its events are uncommitted (`options.maxUncommitted`), so a slow subscriber
 * holds a bounded number of events.
 *
 * Cold, and each subscription is a worker of its own, with its own leases. Workers with the same
 * lease table share the shards: each shard is read by one of them at a time, and a worker that
 * stops or dies hands its shards over. When a worker joins, the others hand it its share after a
 * final checkpoint, so nothing committed is delivered again; after a worker dies, events after
 * its last checkpoint are delivered again to the next holder (at least once).
 *
 * Stopping: unsubscribing is a graceful stop (reading stops, the committed prefix of each shard is
 * checkpointed, then its lease released, each step bounded by `worker.shutdownTimeoutMillis`),
 * but the subscriber cannot wait for it. To wait, pass `options.stop$`: once it emits, the
 * Observable completes after the final checkpoints and releases.
 *
 * @example
 * const stop = new Subject<void>();
 * const done = lastValueFrom(
 *   consume$(consumerConf(config, 'my-consumer'), {}, { stop$: stop }).pipe(
 *     concatMap((event) => handle(event.payload).then(() => event.commit())),
 *   ),
 *   { defaultValue: undefined },
 * );
 * // later: stop.next(); await done;
 *
 * @param conf the consumer configuration (`consumerConf(config, name)`)
 * @param deps Kinesis, the lease table, scheduler, logger; all optional
 * @param options graceful stop and backpressure
 * @throws ConfigError or TypeError, when called, when a setting is out of range
 * @see shards$ for one Observable per shard
 */
export function consume$(conf: ConsumerConf, deps: ConsumerDeps = {}, options: ConsumeOptions = {}): Observable<CommittableEvent<ConsumerEvent>> {
  return shards$(conf, deps, options).pipe(mergeMap((shard) => shard.events$));
}
