import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { expect } from 'chai';
import { LeaseStoreError, LeaseStoreThrottledError, LeaseTableNotFoundError } from '../../../lib/model/errors';
import { isConditionFailed, toLeaseStoreError } from '../../../lib/ports/aws/dynamo-errors';
import { networkError, serviceException } from './sdk-stub';

describe('toLeaseStoreError', function () {
  for (const code of ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']) {
    it(`maps ${code} to a retryable LeaseStoreThrottledError`, function () {
      const cause = serviceException(code, 400);
      const error = toLeaseStoreError('UpdateItem', 'app-stream', cause);
      expect(error).to.be.instanceOf(LeaseStoreThrottledError);
      expect(error).to.include({ operation: 'UpdateItem', code, retryable: true });
      expect(error.cause).to.equal(cause);
    });
  }

  it('maps ResourceNotFoundException to LeaseTableNotFoundError naming the table', function () {
    const error = toLeaseStoreError('Scan', 'app-stream', serviceException('ResourceNotFoundException', 400));
    expect(error).to.be.instanceOf(LeaseTableNotFoundError);
    expect(error).to.include({ tableName: 'app-stream', retryable: false });
  });

  it('calls a refused request not retryable, and 5xx and network faults retryable', function () {
    expect(toLeaseStoreError('PutItem', 't', serviceException('ValidationException', 400))).to.include({ retryable: false });
    expect(toLeaseStoreError('PutItem', 't', serviceException('InternalServerError', 500))).to.include({ retryable: true });
    expect(toLeaseStoreError('PutItem', 't', networkError())).to.include({ code: 'ECONNRESET', retryable: true });
    for (const error of [
      toLeaseStoreError('PutItem', 't', serviceException('ValidationException', 400)),
      toLeaseStoreError('PutItem', 't', networkError()),
    ]) {
      expect(error.constructor).to.equal(LeaseStoreError);
    }
  });

  it('recognises a failed condition once mapped, from the SDK exception', function () {
    const sdkError = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    expect(isConditionFailed(toLeaseStoreError('UpdateItem', 't', sdkError))).to.equal(true);
    expect(isConditionFailed(toLeaseStoreError('UpdateItem', 't', serviceException('ValidationException', 400)))).to.equal(false);
    expect(isConditionFailed(sdkError)).to.equal(false);
  });
});
