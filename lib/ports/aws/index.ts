/**
 * The AWS implementations of the ports: the only part of the library that imports the AWS SDK.
 * @packageDocumentation
 */
export { awsKinesisPort } from './kinesis-adapter';
export type { AwsKinesisPortOptions } from './kinesis-adapter';
export { awsLeaseStorePort } from './dynamo-lease-store';
export type { AwsLeaseStorePortOptions } from './dynamo-lease-store';
export { dynamoDbClient, kinesisClient, resolveKinesisPort, resolveLeaseStorePort } from './clients';
export { KinesisJsonProtocol } from './kinesis-json-protocol';
export type { AwsClientOptions, ResolvedPort } from './clients';
export type { StatusPolling } from './await-status';
