import { ExpiredIteratorException } from '@aws-sdk/client-kinesis';
import { expect } from 'chai';
import {
  ExpiredIteratorError,
  KinesisCallError,
  KinesisThrottledError,
  StreamNotFoundError,
} from '../../../lib/model/errors';
import { toKinesisError } from '../../../lib/ports/aws/kinesis-errors';
import { networkError, serviceException } from './sdk-stub';

describe('toKinesisError', function () {
  it('maps the SDK ExpiredIteratorException to a retryable ExpiredIteratorError, keeping it as cause', function () {
    const sdkError = new ExpiredIteratorException({ message: 'Iterator expired', $metadata: { httpStatusCode: 400 } });
    const error = toKinesisError('GetRecords', '', sdkError);
    expect(error).to.be.instanceOf(ExpiredIteratorError);
    expect(error).to.include({ operation: 'GetRecords', code: 'ExpiredIteratorException', retryable: true });
    expect(error.cause).to.equal(sdkError);
    expect(error.message).to.contain('Iterator expired');
  });

  for (const code of ['ProvisionedThroughputExceededException', 'LimitExceededException', 'KMSThrottlingException']) {
    it(`maps ${code} to a retryable KinesisThrottledError`, function () {
      const error = toKinesisError('PutRecords', 'orders', serviceException(code, 400));
      expect(error).to.be.instanceOf(KinesisThrottledError);
      expect(error).to.include({ operation: 'PutRecords', code, retryable: true });
    });
  }

  it('maps ResourceNotFoundException to StreamNotFoundError naming the stream', function () {
    const error = toKinesisError('ListShards', 'orders', serviceException('ResourceNotFoundException', 400));
    expect(error).to.be.instanceOf(StreamNotFoundError);
    expect(error).to.include({ streamName: 'orders', retryable: false });
  });

  for (const code of ['InvalidArgumentException', 'ValidationException']) {
    it(`maps ${code} to a KinesisCallError that is not retryable`, function () {
      const error = toKinesisError('PutRecords', 'orders', serviceException(code, 400));
      expect(error.constructor).to.equal(KinesisCallError);
      expect(error).to.include({ code, retryable: false });
    });
  }

  it('calls other client faults not retryable, except an expired ListShards token', function () {
    expect(toKinesisError('ListShards', 's', serviceException('AccessDeniedException', 400)).retryable).to.equal(false);
    expect(toKinesisError('ListShards', 's', serviceException('ExpiredNextTokenException', 400)).retryable).to.equal(true);
  });

  for (const [label, failure] of [
    ['InternalFailure (500)', serviceException('InternalFailure', 500)],
    ['an unreadable 5xx', serviceException('Unknown', 503)],
    ['a network fault', networkError('ECONNRESET')],
    ['something unknown', new TypeError('fetch failed')],
  ] as const) {
    it(`maps ${label} to a retryable KinesisCallError`, function () {
      const error = toKinesisError('GetRecords', '', failure);
      expect(error.constructor).to.equal(KinesisCallError);
      expect(error.retryable).to.equal(true);
      expect(error.cause).to.equal(failure);
    });
  }
});
