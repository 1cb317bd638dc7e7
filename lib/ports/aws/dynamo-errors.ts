/**
 * Maps DynamoDB SDK failures onto the library's lease-store errors, keeping the SDK error as `cause`.
 * A failed condition is not an error here: the lease store turns it into a value first.
 * @packageDocumentation
 */
import { LeaseStoreError, LeaseStoreThrottledError, LeaseTableNotFoundError } from '../../model/errors';
import { describeSdkFailure } from './sdk-error';

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

/** The code DynamoDB gives a write whose condition does not hold. @internal */
export const CONDITION_FAILED = 'ConditionalCheckFailedException';

/** True when `error` is a mapped lease-store error saying a write's condition did not hold. @internal */
export function isConditionFailed(error: unknown): boolean {
  return error instanceof LeaseStoreError && error.code === CONDITION_FAILED;
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
