export type {
  ChildShard,
  GetRecordsOutput,
  HashKeyRange,
  IteratorPosition,
  KinesisAdminPort,
  KinesisPort,
  KinesisRecord,
  PutRecordsEntry,
  PutRecordsResultEntry,
  Shard,
  ShardFilter,
} from './kinesis-port';
export type {
  LeaseDeleteResult,
  LeaseStoreAdminPort,
  LeaseStorePort,
  LeaseUpdate,
  LeaseWriteResult,
} from './lease-store-port';
