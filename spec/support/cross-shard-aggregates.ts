/**
 * Aggregates as producers that do not predict shards make them (`aws-kinesis-agg`, and so most
 * Node producers): user records of every shard in one aggregate, the Kinesis record routed by the
 * first one's partition key. And what a consumer reports of one, once it is known where it landed.
 */
import type { DeaggregationDiagnostic } from '../../lib/consumer/deaggregate/deaggregate';
import { encodeAggregatedRecord, type UserRecord } from '../../lib/kpl/aggregated-record';
import { hashKeyOf } from '../../lib/kpl/hash-key';
import type { PutRecordsEntry, PutRecordsResultEntry, Shard } from '../../lib/ports/kinesis-port';
import { rangeContains } from '../../lib/testing/hash-keys';
import { aggAggregate, type AggEncodedRecord } from '../kpl/aws-kinesis-agg';
import { texts } from './deliveries';

/** One aggregate and the texts of its user records, each text its own partition key. */
export interface CrossShardAggregate {
  readonly entry: PutRecordsEntry;
  readonly texts: readonly string[];
}

/** Turns user records into one Kinesis record. By default as `aws-kinesis-agg` does, with our encoder. */
export type Aggregator = (records: readonly UserRecord[]) => PutRecordsEntry;

const firstKeyRouted: Aggregator = (records) => ({ partitionKey: records[0]!.partitionKey, data: encodeAggregatedRecord(records) });

/** `aws-kinesis-agg` itself; the records must fit in one aggregate. */
export const awsKinesisAggAggregator: Aggregator = (records) => {
  const encoded = aggAggregate(records.map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data) })));
  if (encoded.length !== 1) throw new Error(`aws-kinesis-agg made ${encoded.length} aggregates of the records, not one`);
  const [{ partitionKey, data, ExplicitHashKey }] = encoded as [AggEncodedRecord];
  return { partitionKey, data, ...(ExplicitHashKey === undefined ? {} : { explicitHashKey: ExplicitHashKey }) };
};

/** `count` aggregates of `size` user records, the texts of the `i`th being `<prefix><i>-0` … */
export function crossShardAggregates(prefix: string, count: number, size: number, aggregate: Aggregator = firstKeyRouted): CrossShardAggregate[] {
  return Array.from({ length: count }, (_, i) => {
    const list = texts(`${prefix}${i}`, size);
    return { entry: aggregate(list.map((text) => ({ partitionKey: text, data: Buffer.from(text) }))), texts: list };
  });
}

/** The fields of an `AggregateOutOfRange` diagnostic a test can predict. */
export type OutOfRangeReport = Pick<
  Extract<DeaggregationDiagnostic, { readonly _tag: 'AggregateOutOfRange' }>,
  'shardId' | 'sequenceNumber' | 'outOfRange' | 'userRecords' | 'outcome'
>;

/**
 * What a consumer reports of the aggregates, given where PutRecords put them and the shards'
 * ranges: one report for each holding user records of other shards, by sequence number.
 */
export function expectedReports(
  aggregates: readonly CrossShardAggregate[],
  results: readonly PutRecordsResultEntry[],
  shards: readonly Shard[],
  outcome: OutOfRangeReport['outcome'],
): OutOfRangeReport[] {
  const ranges = new Map(shards.map((shard) => [shard.shardId, shard.hashKeyRange]));
  return aggregates
    .flatMap((aggregate, i): OutOfRangeReport[] => {
      const result = results[i];
      if (result?._tag !== 'Put') throw new Error(`aggregate ${i} was not put`);
      const range = ranges.get(result.shardId)!;
      const outOfRange = aggregate.texts.filter((text) => !rangeContains(range, hashKeyOf(text))).length;
      return outOfRange === 0 ? [] : [{ shardId: result.shardId, sequenceNumber: result.sequenceNumber, outOfRange, userRecords: aggregate.texts.length, outcome }];
    })
    .sort(bySequenceNumber);
}

/** The predictable fields of the `AggregateOutOfRange` diagnostics among `diagnostics`, by sequence number. */
export function outOfRangeReports(diagnostics: readonly { readonly _tag: string }[]): OutOfRangeReport[] {
  return diagnostics
    .filter((d): d is Extract<DeaggregationDiagnostic, { readonly _tag: 'AggregateOutOfRange' }> => d._tag === 'AggregateOutOfRange')
    .map(({ shardId, sequenceNumber, outOfRange, userRecords, outcome }) => ({ shardId, sequenceNumber, outOfRange, userRecords, outcome }))
    .sort(bySequenceNumber);
}

/** Orders reports by sequence number (as numbers), then shard. */
function bySequenceNumber(a: OutOfRangeReport, b: OutOfRangeReport): number {
  const x = BigInt(a.sequenceNumber);
  const y = BigInt(b.sequenceNumber);
  return x < y ? -1 : x > y ? 1 : a.shardId < b.shardId ? -1 : a.shardId > b.shardId ? 1 : 0;
}
