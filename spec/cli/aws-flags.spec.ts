import { expect } from 'chai';
import { AWS_FLAGS, awsTargetArgs, awsTargetOf, describeError, kinesisEndpointGiven } from '../../lib/cli/aws-flags';
import { UsageError, parseFlags } from '../../lib/cli/flags';

describe('cli/aws-flags', () => {
  const parse = (args: string[]) => parseFlags('tail', args, AWS_FLAGS);

  it('leaves to the SDK whatever the flags do not say', () => {
    expect(awsTargetOf(parse([]))).to.deep.equal({});
  });

  it('reads the endpoints and the region', () => {
    const target = awsTargetOf(parse(['--endpoint-kinesis', 'http://127.0.0.1:1', '--endpoint-dynamodb=http://127.0.0.1:2', '--region', 'eu-west-1']));
    expect(target).to.deep.equal({ kinesisEndpoint: 'http://127.0.0.1:1', dynamoDbEndpoint: 'http://127.0.0.1:2', region: 'eu-west-1' });
  });

  it('refuses an endpoint that is not a URL and an empty region', () => {
    expect(() => awsTargetOf(parse(['--endpoint-dynamodb', 'localhost:8000']))).to.throw(UsageError, /--endpoint-dynamodb must be an http/);
    expect(() => awsTargetOf(parse(['--region='] ))).to.throw(UsageError, '--region must not be empty');
  });

  it('tells an endpoint of one\'s own (flag or SDK variable) from AWS itself', () => {
    expect(kinesisEndpointGiven({}, {})).to.equal(false);
    expect(kinesisEndpointGiven({ dynamoDbEndpoint: 'http://127.0.0.1:2' }, { AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:2' })).to.equal(false);
    expect(kinesisEndpointGiven({ kinesisEndpoint: 'http://127.0.0.1:1' }, {})).to.equal(true);
    expect(kinesisEndpointGiven({}, { AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:1' })).to.equal(true);
    expect(kinesisEndpointGiven({}, { AWS_ENDPOINT_URL: 'http://127.0.0.1:1' })).to.equal(true);
  });

  it('turns a target back into flags that read the same', () => {
    const target = { kinesisEndpoint: 'http://127.0.0.1:1', dynamoDbEndpoint: 'http://127.0.0.1:2', region: 'eu-west-1' };
    expect(awsTargetOf(parse(awsTargetArgs(target)))).to.deep.equal(target);
    expect(awsTargetArgs({})).to.deep.equal([]);
  });

  describe('describeError', () => {
    it('adds a hint to the SDK messages that leave users guessing', () => {
      expect(describeError(new Error('Region is missing'))).to.equal('Region is missing: pass --region or set AWS_REGION');
      expect(describeError(new Error('Could not load credentials from any providers'))).to.match(/: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile$/);
      expect(describeError(new Error('connect ECONNREFUSED 127.0.0.1:1'))).to.match(/is the endpoint running\?/);
    });
    it('keeps other messages as they are, and describes non-errors', () => {
      expect(describeError(new Error('Stream s not found'))).to.equal('Stream s not found');
      expect(describeError('plain')).to.equal('plain');
    });
  });
});
