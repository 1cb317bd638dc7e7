/**
 * The parts of the `aws-kinesis-agg` package the benchmarks (as their anchor) and the interop tests use,
 * typed locally: the package's own typings import `aws-sdk` v2 and omit `RecordAggregator`.
 */
import { createRequire } from 'node:module';

export interface AnchorUserRecord {
  partitionKey: string;
  explicitHashKey?: string;
  data: Buffer;
}

export interface AnchorEncodedRecord {
  partitionKey: string;
  ExplicitHashKey?: string;
  data: Buffer;
}

/** A Kinesis record shaped like SDK v3 GetRecords output. */
export interface AnchorKinesisRecordV3 {
  Data: Uint8Array;
  PartitionKey: string;
  SequenceNumber: string;
  ApproximateArrivalTimestamp?: Date;
}

/** What `deaggregateSync` gives back for SDK v3-shaped input: capitalised keys, `Data` in base64. */
export interface AnchorDeaggregatedRecordV3 {
  PartitionKey: string;
  ExplicitPartitionKey?: string;
  SequenceNumber: string;
  SubSequenceNumber?: number;
  Data: string;
}

export interface AnchorRecordAggregator {
  aggregateRecords(
    records: readonly AnchorUserRecord[],
    forceFlush: boolean,
    onReady: (err: Error | null, encoded?: AnchorEncodedRecord) => void,
  ): void;
}

export interface AwsKinesisAgg {
  RecordAggregator: new () => AnchorRecordAggregator;
  deaggregateSync(
    record: AnchorKinesisRecordV3,
    computeChecksums: boolean,
    afterRecord: (err: Error | null | undefined, records?: AnchorDeaggregatedRecordV3[]) => void,
  ): void;
}

// Loaded untyped on purpose: the package's typings do not compile without aws-sdk v2.
export const awsKinesisAgg = createRequire(__filename)('aws-kinesis-agg') as AwsKinesisAgg;
