/**
 * Reading a shard through enhanced fan-out (SubscribeToShard).
 * @packageDocumentation
 */
export { DEFAULT_LIVENESS_TIMEOUT_MILLIS, MIN_MILLIS_BETWEEN_SUBSCRIBES, fanOutShard, fanOutShardThrough } from './subscribe-shard';
export type { FanOutShardOptions } from './subscribe-shard';
