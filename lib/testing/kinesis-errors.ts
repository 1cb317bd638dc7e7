/**
 * The errors the in-memory Kinesis raises, with the codes and wording Kinesis uses, so code that
 * branches on `code` behaves as it would against the service.
 * @packageDocumentation
 */
import { ExpiredIteratorError, KinesisCallError, KinesisThrottledError, StreamNotFoundError } from '../model/errors';
import type { CallFault, KinesisCall, KinesisOperation } from './faults';

const ACCOUNT = '000000000000';

/** A request parameter breaks a documented constraint (length, range, count). */
export function validationError(operation: string, message: string): KinesisCallError {
  return new KinesisCallError(operation, 'ValidationException', message);
}

/** A request parameter is well-formed but not acceptable in the stream's state. */
export function invalidArgument(operation: string, message: string): KinesisCallError {
  return new KinesisCallError(operation, 'InvalidArgumentException', message);
}

export function streamNotFound(operation: string, streamName: string): StreamNotFoundError {
  return new StreamNotFoundError(operation, streamName, `Stream ${streamName} under account ${ACCOUNT} not found.`);
}

export function shardNotFound(operation: string, streamName: string, shardId: string): StreamNotFoundError {
  return new StreamNotFoundError(operation, streamName, `Shard ${shardId} in stream ${streamName} under account ${ACCOUNT} does not exist`);
}

export function consumerNotFound(operation: string, streamName: string, consumerArn: string): StreamNotFoundError {
  return new StreamNotFoundError(operation, streamName, `Consumer ${consumerArn} under account ${ACCOUNT} not found.`);
}

/** A second subscription to a shard within five seconds of the first: accepted once they have passed. */
export function subscriptionInUse(consumerArn: string, shardId: string): KinesisCallError {
  return new KinesisCallError('SubscribeToShard', 'ResourceInUseException', `Another active subscription exists for consumer ${consumerArn} on shard ${shardId}`, {
    retryable: true,
  });
}

export function streamInUse(operation: string, streamName: string): KinesisCallError {
  return new KinesisCallError(operation, 'ResourceInUseException', `Stream ${streamName} under account ${ACCOUNT} already exists.`);
}

export function iteratorExpired(issuedAtMillis: number, nowMillis: number, lifetimeMillis: number): ExpiredIteratorError {
  return new ExpiredIteratorError(
    'GetRecords',
    `Iterator expired. The iterator was created at time ${new Date(issuedAtMillis).toISOString()} while right now it is ` +
      `${new Date(nowMillis).toISOString()} which is further in the future than the tolerated delay of ${lifetimeMillis} milliseconds.`,
  );
}

/** The per-entry message of a PutRecords entry refused for throughput. */
export function shardRateExceededMessage(streamName: string, shardId: string): string {
  return `Rate exceeded for shard ${shardId} in stream ${streamName} under account ${ACCOUNT}.`;
}

const DATA_PLANE: ReadonlySet<KinesisOperation> = new Set<KinesisOperation>(['getRecords', 'getShardIterator', 'putRecords']);

/** The API action behind each port method; errors name the action, as the AWS adapter's do. */
export const KINESIS_ACTIONS: Readonly<Record<KinesisOperation, string>> = {
  listShards: 'ListShards',
  getShardIterator: 'GetShardIterator',
  getRecords: 'GetRecords',
  putRecords: 'PutRecords',
  createStream: 'CreateStream',
  deleteStream: 'DeleteStream',
  splitShard: 'SplitShard',
  mergeShards: 'MergeShards',
  ensureStreamConsumer: 'RegisterStreamConsumer',
  subscribeToShard: 'SubscribeToShard',
};

/** The error an injected call fault produces. */
export function kinesisFaultError(fault: Exclude<CallFault, 'hang'>, call: KinesisCall): KinesisCallError {
  const operation = KINESIS_ACTIONS[call.operation];
  switch (fault) {
    case 'throttle':
      // Data-plane calls are refused per shard; control-plane calls hit the API rate limit.
      return DATA_PLANE.has(call.operation)
        ? new KinesisThrottledError(
            operation,
            'ProvisionedThroughputExceededException',
            call.shardId === undefined
              ? `Rate exceeded for stream ${call.streamName ?? '?'} under account ${ACCOUNT}. (injected)`
              : `${shardRateExceededMessage(call.streamName ?? '?', call.shardId)} (injected)`,
          )
        : new KinesisThrottledError(operation, 'LimitExceededException', `Rate exceeded for stream ${call.streamName ?? '?'} under account ${ACCOUNT}. (injected)`);
    case 'transient':
      return new KinesisCallError(operation, 'InternalFailure', 'Internal service failure. (injected)', { retryable: true });
    case 'lostResponse':
      return new KinesisCallError(operation, 'ECONNRESET', 'connection reset after the request was applied (injected)', { retryable: true });
  }
}
