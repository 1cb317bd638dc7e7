/**
 * Kinesis records → user records.
 * @packageDocumentation
 */
export { deaggregate } from './deaggregate';
export type { DeaggregationDiagnostic, DeaggregationShard, OutOfRangeRecords } from './deaggregate';
