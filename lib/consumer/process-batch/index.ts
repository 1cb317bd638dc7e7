/**
 * The seed's event-processor API over one shard's events: batches, timeouts, retries, tolerance.
 * @packageDocumentation
 */
export { processBatch, batchOptions } from './process-batch';
export type { BatchDiagnostic, ConfiguredBatchOptions, ProcessBatchOptions } from './process-batch';
export type { EventHandler, EventProcessor, Processor, ProcessorAnswer, ProcessorResult } from './event-processor';
export { allowedFailures } from './batch-progress';
