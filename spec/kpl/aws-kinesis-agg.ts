/**
 * The parts of the `aws-kinesis-agg` package the interop tests use, typed locally: the package's
 * own typings import `aws-sdk` v2 and leave out `RecordAggregator`.
 */
import { createRequire } from 'node:module';

export interface AggUserRecord {
  partitionKey: string;
  explicitHashKey?: string;
  data: Buffer;
}

export interface AggEncodedRecord {
  partitionKey: string;
  ExplicitHashKey?: string;
  data: Buffer;
}

/** A Kinesis record shaped like SDK v3 GetRecords output. */
export interface AggKinesisRecordV3 {
  Data: Uint8Array;
  PartitionKey: string;
  SequenceNumber: string;
}

/** What `deaggregateSync` returns for SDK v3-shaped input: capitalised keys, `Data` in base64. */
export interface AggDeaggregatedRecordV3 {
  PartitionKey: string;
  ExplicitPartitionKey?: string;
  SequenceNumber: string;
  SubSequenceNumber?: number;
  Data: string;
}

interface AwsKinesisAgg {
  RecordAggregator: new () => {
    aggregateRecords(
      records: readonly AggUserRecord[],
      forceFlush: boolean,
      onReady: (err: Error | null, encoded?: AggEncodedRecord) => void,
    ): void;
  };
  deaggregateSync(
    record: AggKinesisRecordV3,
    computeChecksums: boolean,
    afterRecord: (err: Error | null | undefined, records?: AggDeaggregatedRecordV3[]) => void,
  ): void;
}

// Loaded untyped on purpose: the package's typings do not compile without aws-sdk v2.
const awsKinesisAgg = createRequire(__filename)('aws-kinesis-agg') as AwsKinesisAgg;

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
