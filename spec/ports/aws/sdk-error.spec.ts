import { expect } from 'chai';
import { attemptsOf, describeSdkFailure } from '../../../lib/ports/aws/sdk-error';
import { networkError, serviceException } from './sdk-stub';

describe('describeSdkFailure', function () {
  it('reads the code, message and status of a service exception', function () {
    expect(describeSdkFailure(serviceException('ValidationException', 400, 'bad'))).to.deep.equal({
      code: 'ValidationException',
      message: 'bad',
      httpStatus: 400,
      transient: false,
    });
  });

  it('calls a 5xx answer transient', function () {
    expect(describeSdkFailure(serviceException('InternalFailure', 500))).to.include({ code: 'InternalFailure', transient: true });
  });

  it('calls a failure with no response transient, naming it by its Node error code', function () {
    expect(describeSdkFailure(networkError('ECONNREFUSED'))).to.include({ code: 'ECONNREFUSED', transient: true });
    expect(describeSdkFailure(networkError('ECONNREFUSED'))).not.to.have.property('httpStatus');
  });

  it('calls a response the SDK could not read transient, even with a 200 status', function () {
    const cutShort = Object.assign(new Error('Protocol error'), { $metadata: { httpStatusCode: 200 } });
    expect(describeSdkFailure(cutShort)).to.include({ code: 'Error', httpStatus: 200, transient: true });
  });

  it('copes with things thrown that are not errors', function () {
    expect(describeSdkFailure('boom')).to.deep.equal({ code: 'Unknown', message: 'boom', transient: true });
    expect(describeSdkFailure(undefined)).to.deep.equal({ code: 'Unknown', message: 'undefined', transient: true });
  });
});

describe('attemptsOf', function () {
  it('reads the attempts the SDK’s retry recorded', function () {
    const retried = serviceException('ConditionalCheckFailedException', 400);
    expect(attemptsOf(retried)).to.equal(1);
    Object.assign(retried, { $metadata: { httpStatusCode: 400, attempts: 3 } });
    expect(attemptsOf(retried)).to.equal(3);
  });

  it('counts one attempt when none was recorded', function () {
    expect(attemptsOf(networkError())).to.equal(1);
    expect(attemptsOf(Object.assign(new Error('x'), { $metadata: { attempts: '2' } }))).to.equal(1);
    expect(attemptsOf(undefined)).to.equal(1);
  });
});
