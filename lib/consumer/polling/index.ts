/**
 * Reading a shard with GetRecords, and where to start.
 * @packageDocumentation
 */
export { backoff } from './backoff';
export type { Backoff, BackoffSettings } from './backoff';
export { MAX_RECORDS_PER_CALL, pollShard, pollShardThrough } from './poll-shard';
export type { PollEvent, PollGate, PollShardOptions } from './poll-shard';
export { startingPosition } from './starting-position';
export type { StartingPosition } from './starting-position';
