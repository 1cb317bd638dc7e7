/**
 * Maps Kinesis SDK failures onto the library's named errors, keeping the SDK error as `cause`.
 * @packageDocumentation
 */
import {
  ExpiredIteratorError,
  KinesisCallError,
  KinesisThrottledError,
  StreamNotFoundError,
} from '../../model/errors';
import { describeSdkFailure } from './sdk-error';

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'LimitExceededException', 'KMSThrottlingException']);
const BAD_REQUEST = new Set(['InvalidArgumentException', 'ValidationException']);
/** Client faults that a fresh attempt gets past: an expired ListShards token restarts the listing. */
const RESTARTABLE = new Set(['ExpiredNextTokenException']);

/**
 * The named error for a failed Kinesis call.
 * @param operation the API operation, e.g. `GetRecords`
 * @param streamName the stream the call was about; empty when the request names none (GetRecords)
 * @internal
 */
export function toKinesisError(operation: string, streamName: string, error: unknown): KinesisCallError {
  const failure = describeSdkFailure(error);
  const options = { cause: error };
  if (THROTTLING.has(failure.code)) {
    return new KinesisThrottledError(operation, failure.code, failure.message, options);
  }
  if (failure.code === 'ExpiredIteratorException') {
    return new ExpiredIteratorError(operation, failure.message, options);
  }
  if (failure.code === 'ResourceNotFoundException') {
    return new StreamNotFoundError(operation, streamName, failure.message, options);
  }
  const retryable = !BAD_REQUEST.has(failure.code) && (failure.transient || RESTARTABLE.has(failure.code));
  return new KinesisCallError(operation, failure.code, failure.message, { ...options, retryable });
}
