/**
 * Maps DynamoDB SDK failures onto the library's lease-store errors, keeping the SDK error as `cause`.
 * A failed condition is not an error here: the lease store turns it into a value first.
 * @packageDocumentation
 */
import { LeaseStoreError, LeaseStoreThrottledError, LeaseTableNotFoundError } from '../../model/errors';
import type { LeaseConditionFailed } from '../lease-store-port';
import { attemptsOf, describeSdkFailure } from './sdk-error';

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

/** The code DynamoDB gives a write whose condition does not hold. @internal */
export const CONDITION_FAILED = 'ConditionalCheckFailedException';

/** True when `error` is a mapped lease-store error saying a write's condition did not hold. @internal */
export function isConditionFailed(error: unknown): error is LeaseStoreError {
  return error instanceof LeaseStoreError && error.code === CONDITION_FAILED;
}

const CONDITION_FAILED_RESULT: LeaseConditionFailed = { _tag: 'ConditionFailed' };
const MAYBE_APPLIED_RESULT: LeaseConditionFailed = { _tag: 'ConditionFailed', maybeApplied: true };

/**
 * The port's answer for a failed condition. When the SDK sent the write more than once, an earlier
 * attempt may have been applied with its answer lost, and the retry failed on what it wrote: only
 * a read tells, so the answer says `maybeApplied`.
 * @param error a mapped error that {@link isConditionFailed} accepts; its `cause` is the SDK error
 * @internal
 */
export function conditionFailedResult(error: LeaseStoreError): LeaseConditionFailed {
  return attemptsOf(error.cause) > 1 ? MAYBE_APPLIED_RESULT : CONDITION_FAILED_RESULT;
}

/**
 * The named error for a failed lease-table call.
 * @param operation the API operation, e.g. `UpdateItem`
 * @param tableName the lease table the call was about
 * @internal
 */
export function toLeaseStoreError(operation: string, tableName: string, error: unknown): LeaseStoreError {
  const failure = describeSdkFailure(error);
  const options = { cause: error };
  if (THROTTLING.has(failure.code)) {
    return new LeaseStoreThrottledError(operation, failure.code, failure.message, options);
  }
  if (failure.code === 'ResourceNotFoundException') {
    return new LeaseTableNotFoundError(operation, tableName, options);
  }
  return new LeaseStoreError(operation, failure.code, failure.message, { ...options, retryable: failure.transient });
}
