/** Reading back what a producer put into a stream on an emulator, user record by user record. */
import { firstValueFrom } from 'rxjs';
import { decodeAggregatedRecord, hashKeyOf } from '../../lib/kpl';
import type { GetRecordsOutput, KinesisPort, Shard } from '../../lib/ports/kinesis-port';

export interface StoredUserRecord {
  readonly payload: string;
  readonly partitionKey: string;
  readonly shardId: string;
  /** Whether a KCL consumer would deliver it: not part of an aggregate with a record outside the shard. */
  readonly deliveredByKcl: boolean;
}

export function inRange(shard: Shard, key: bigint): boolean {
  return key >= shard.hashKeyRange.startingHashKey && key <= shard.hashKeyRange.endingHashKey;
}

/** Reads every shard of the stream (closed ones too) from TRIM_HORIZON to the end. */
export async function readAll(port: KinesisPort, stream: string): Promise<{ shards: readonly Shard[]; records: StoredUserRecord[] }> {
  const shards = await firstValueFrom(port.listShards(stream, { type: 'AT_TRIM_HORIZON' }));
  const decoder = new TextDecoder();
  const records: StoredUserRecord[] = [];
  for (const shard of shards) {
    let iterator: string | undefined = await firstValueFrom(port.getShardIterator(stream, shard.shardId, { type: 'TRIM_HORIZON' }));
    while (iterator !== undefined) {
      const page: GetRecordsOutput = await firstValueFrom(port.getRecords(iterator, 10000));
      for (const record of page.records) {
        const users = decodeAggregatedRecord(record.data);
        if (users === undefined) {
          records.push({ payload: decoder.decode(record.data), partitionKey: record.partitionKey, shardId: shard.shardId, deliveredByKcl: true });
          continue;
        }
        const delivered = users.every((u) => inRange(shard, u.explicitHashKey === undefined ? hashKeyOf(u.partitionKey) : BigInt(u.explicitHashKey)));
        for (const u of users) records.push({ payload: decoder.decode(u.data), partitionKey: u.partitionKey, shardId: shard.shardId, deliveredByKcl: delivered });
      }
      iterator = page.records.length === 0 && (page.millisBehindLatest ?? 0) === 0 ? undefined : page.nextShardIterator;
    }
  }
  return { shards, records };
}
