export type {
  ChildShard,
  GetRecordsOutput,
  HashKeyRange,
  IteratorPosition,
  KinesisAdminPort,
  KinesisFanOutPort,
  KinesisPort,
  KinesisRecord,
  PutRecordsEntry,
  PutRecordsResultEntry,
  Shard,
  ShardFilter,
  ShardSubscriptionEvent,
} from './kinesis-port';
export type {
  LeaseConditionFailed,
  LeaseDeleteResult,
  LeaseStoreAdminPort,
  LeaseStorePort,
  LeaseUpdate,
  LeaseWriteResult,
} from './lease-store-port';
