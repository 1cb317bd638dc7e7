/**
 * One pass of shard sync: list the shards (every page), create the leases that are missing
 * (`plan-leases`), and, when cleanup is on, delete finished leases (`plan-cleanup`).
 *
 * Leases are created in waves, parents before children (each wave at once), each with a
 * conditional create, so two workers syncing at the same moment create each lease once and the
 * loser's `ConditionFailed` is simply "already there". Deletes are conditional on the counter seen
 * in the scan.
 * @packageDocumentation
 */
import { concatMap, defer, filter, from, map, mergeMap, toArray, type Observable } from 'rxjs';
import type { KinesisPort, Shard } from '../../ports/kinesis-port';
import type { LeaseStorePort } from '../../ports/lease-store-port';
import { planCleanup } from './plan-cleanup';
import type { InitialPosition } from '../../config/consumer-config';
import { creationWaves, planLeases, shardFilterFor } from './plan-leases';

/** What a sync pass talks to. */
export interface ShardSyncDeps {
  readonly leases: LeaseStorePort;
  readonly kinesis: KinesisPort;
}

/** What a sync pass needs to know. */
export interface ShardSyncSettings {
  readonly tableName: string;
  readonly streamName: string;
  readonly initialPosition: InitialPosition;
  readonly cleanupLeasesUponShardCompletion: boolean;
}

/** What a sync pass did. */
export interface ShardSyncResult {
  /** The shards listed (filtered by the initial position when the table was empty). */
  readonly shards: readonly Shard[];
  /** Leases created by this pass, in the order their creates answered (one another worker created first is not here). */
  readonly created: readonly string[];
  /** Leases deleted by this pass. */
  readonly deleted: readonly string[];
}

/**
 * One sync pass, performed on subscribe; emits one {@link ShardSyncResult}. Store and Kinesis
 * failures arrive on the error channel as the ports raise them.
 */
export function syncShards(deps: ShardSyncDeps, settings: ShardSyncSettings): Observable<ShardSyncResult> {
  const { leases: store, kinesis } = deps;
  const { tableName, streamName, initialPosition } = settings;
  return defer(() => store.listLeases(tableName)).pipe(
    concatMap((leases) => {
      const emptyTable = leases.length === 0;
      const shards$ = emptyTable ? kinesis.listShards(streamName, shardFilterFor(initialPosition)) : kinesis.listShards(streamName);
      return shards$.pipe(map((shards) => ({ leases, shards, emptyTable })));
    }),
    concatMap(({ leases, shards, emptyTable }) => {
      const toCreate = planLeases({ shards, leases, initialPosition });
      const toDelete = settings.cleanupLeasesUponShardCompletion && !emptyTable ? planCleanup(leases, shards) : [];
      // Wave after wave, so parents exist before their children (see plan-leases); a wave at once.
      const created$ = from(creationWaves(toCreate)).pipe(
        concatMap((wave) =>
          from(wave).pipe(
            mergeMap((lease) => store.createLease(tableName, lease).pipe(filter((r) => r._tag === 'Written'), map(() => lease.leaseKey))),
          ),
        ),
        toArray(),
      );
      const deleted$ = from(toDelete).pipe(
        concatMap((d) => store.deleteLease(tableName, d.leaseKey, d.expectedCounter).pipe(filter((r) => r._tag === 'Deleted'), map(() => d.leaseKey))),
        toArray(),
      );
      return created$.pipe(
        concatMap((created) => deleted$.pipe(map((deleted): ShardSyncResult => ({ shards, created, deleted })))),
      );
    }),
  );
}
