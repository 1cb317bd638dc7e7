/**
 * Kinesis records → user records, and dropping what was processed before a restart.
 * @packageDocumentation
 */
export { deaggregate } from './deaggregate';
export type { DeaggregationDiagnostic, DeaggregationShard } from './deaggregate';
export { recordsAfter, skipCheckpointed } from './skip-checkpointed';
export type { Positioned } from './skip-checkpointed';
