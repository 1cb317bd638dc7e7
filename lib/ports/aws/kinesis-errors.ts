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
import { catchError, throwError, type Observable } from 'rxjs';
import { fromSdkCall } from './sdk-call';
import { describeSdkFailure } from './sdk-error';

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'LimitExceededException', 'KMSThrottlingException']);
const BAD_REQUEST = new Set(['InvalidArgumentException', 'ValidationException']);
/** Client faults that a fresh attempt gets past: an expired ListShards token restarts the listing. */
const RESTARTABLE = new Set(['ExpiredNextTokenException']);
/**
 * Client faults that a later attempt of this one operation gets past. A SubscribeToShard refused
 * with ResourceInUse (another subscription to the shard began less than five seconds ago) is
 * accepted once those seconds have passed; elsewhere ResourceInUse means a state that waits for
 * nobody (a stream that already exists), so it stays final there.
 */
const RESTARTABLE_BY_OPERATION: Readonly<Record<string, ReadonlySet<string>>> = {
  SubscribeToShard: new Set(['ResourceInUseException']),
};

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
  const restartable = RESTARTABLE.has(failure.code) || (RESTARTABLE_BY_OPERATION[operation]?.has(failure.code) ?? false);
  const retryable = !BAD_REQUEST.has(failure.code) && (failure.transient || restartable);
  return new KinesisCallError(operation, failure.code, failure.message, { ...options, retryable });
}

/**
 * One Kinesis SDK request as a cold Observable (see `fromSdkCall`), failing with the named error.
 * @param streamName the stream named in errors; empty when the request names none
 * @internal
 */
export function kinesisCall<T>(operation: string, streamName: string, invoke: (abortSignal: AbortSignal) => Promise<T>): Observable<T> {
  return fromSdkCall(invoke).pipe(catchError((error: unknown) => throwError(() => toKinesisError(operation, streamName, error))));
}
