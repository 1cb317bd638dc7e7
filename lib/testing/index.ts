/**
 * `reactive-kinesis/testing`: in-memory Kinesis and lease store on virtual time, with
 * deterministic fault injection, so applications can marble-test their own consumer and producer
 * logic without emulators.
 * @packageDocumentation
 */
export { InMemoryKinesis } from './in-memory-kinesis';
export type { InMemoryKinesisOptions, ShardRecord } from './in-memory-kinesis';
export { InMemoryLeaseStore } from './in-memory-lease-store';
export type { ForcedLeaseChanges, InMemoryLeaseStoreOptions } from './in-memory-lease-store';
export { FaultInjector } from './faults';
export type {
  CallFault,
  EntryFault,
  FaultOptions,
  FaultTiming,
  KinesisCall,
  KinesisFaultRule,
  KinesisOperation,
  LeaseStoreCall,
  LeaseStoreFaultRule,
  LeaseStoreOperation,
  PutRecordsEntryCall,
} from './faults';
export { mulberry32 } from './prng';
export type { Random } from './prng';
export { evenHashKeyRanges } from './hash-keys';
export { ITERATOR_LIFETIME_MILLIS } from './shard-iterator';
export { MAX_GET_RECORDS_LIMIT } from './shard-reader';
export {
  MAX_SUBSCRIPTION_EVENT_RECORDS,
  SUBSCRIPTION_EVENT_INTERVAL_MILLIS,
  SUBSCRIPTION_LIFETIME_MILLIS,
  SUBSCRIPTION_TAKEOVER_MILLIS,
} from './shard-subscription';
export { KINESIS_WRITE_LIMITS } from './write-limits';
export type { WriteLimits } from './write-limits';
