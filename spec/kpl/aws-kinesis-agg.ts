/**
 * aws-kinesis-agg as the interop tests use it: its callbacks turned into return values. The typed
 * view of the package is shared with the benchmarks, which use it as their anchor.
 */
import {
  awsKinesisAgg,
  type AnchorDeaggregatedRecordV3 as AggDeaggregatedRecordV3,
  type AnchorEncodedRecord as AggEncodedRecord,
  type AnchorKinesisRecordV3 as AggKinesisRecordV3,
  type AnchorUserRecord as AggUserRecord,
} from '../../bench/aws-kinesis-agg';

export type { AggDeaggregatedRecordV3, AggEncodedRecord, AggKinesisRecordV3, AggUserRecord };

/** Aggregates with aws-kinesis-agg; its callbacks run synchronously. */
export function aggAggregate(records: readonly AggUserRecord[]): AggEncodedRecord[] {
  const encoded: AggEncodedRecord[] = [];
  new awsKinesisAgg.RecordAggregator().aggregateRecords(records, true, (err, record) => {
    if (err) throw err;
    if (record) encoded.push(record);
  });
  return encoded;
}

/** Deaggregates one SDK v3-shaped record with aws-kinesis-agg, checksums on. */
export function aggDeaggregate(record: AggKinesisRecordV3): AggDeaggregatedRecordV3[] {
  let result: AggDeaggregatedRecordV3[] | undefined;
  awsKinesisAgg.deaggregateSync(record, true, (err, records) => {
    if (err) throw err;
    result = records;
  });
  if (result === undefined) throw new Error('deaggregateSync did not call back');
  return result;
}
