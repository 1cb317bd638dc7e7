import { expect } from 'chai';
import { KinesisCallError, KinesisThrottledError, LeaseStoreError, LeaseStoreThrottledError, LeaseTableNotFoundError, StreamNotFoundError } from '../../../lib/model/errors';
import { backoffDelay, isRetryable } from '../../../lib/consumer/lease/store-retry';

describe('store-retry', () => {
  it('isRetryable must accept throttling and retryable faults only', () => {
    expect(isRetryable(new LeaseStoreThrottledError('updateLease', 'ProvisionedThroughputExceededException', 'x'))).to.equal(true);
    expect(isRetryable(new LeaseStoreError('updateLease', 'InternalServerError', 'x', { retryable: true }))).to.equal(true);
    expect(isRetryable(new KinesisThrottledError('listShards', 'LimitExceededException', 'x'))).to.equal(true);
    expect(isRetryable(new KinesisCallError('listShards', 'InternalFailure', 'x', { retryable: true }))).to.equal(true);
    expect(isRetryable(new LeaseStoreError('updateLease', 'AccessDeniedException', 'x'))).to.equal(false);
    expect(isRetryable(new LeaseTableNotFoundError('listLeases', 't'))).to.equal(false);
    expect(isRetryable(new StreamNotFoundError('listShards', 's', 'x'))).to.equal(false);
    expect(isRetryable(new Error('boom'))).to.equal(false);
    expect(isRetryable('boom')).to.equal(false);
  });

  it('backoffDelay must double from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 200, 3308))).to.deep.equal([200, 400, 800, 1600, 3200, 3308]);
    expect(backoffDelay(5000, 200, 3308)).to.equal(3308);
    expect(backoffDelay(0, 200, 3308)).to.equal(200);
  });
});
