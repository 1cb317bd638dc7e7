/**
 * Default clients against servers that never answer: the request timeout must end the call.
 */
import { expect } from 'chai';
import { createServer } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import { lastValueFrom } from 'rxjs';
import { KinesisCallError, LeaseStoreError } from '../../../lib/model/errors';
import { dynamoDbClient, kinesisClient, type AwsClientOptions } from '../../../lib/ports/aws/clients';
import { awsLeaseStorePort } from '../../../lib/ports/aws/dynamo-lease-store';
import { awsKinesisPort } from '../../../lib/ports/aws/kinesis-adapter';
import { TEST_CREDENTIALS, TEST_REGION } from '../../support/emulators';
import { listenOnLoopback } from '../../support/loopback-server';

/** Listens on 127.0.0.1 and answers nothing. */
const silent = listenOnLoopback;

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('AWS clients with requestTimeoutMillis', function () {
  const base = (endpoint: string): AwsClientOptions => ({
    endpoint,
    region: TEST_REGION,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
    requestTimeoutMillis: 200,
  });

  for (const [label, http1, makeServer] of [
    ['HTTP/1.1', true, () => createServer(() => undefined)],
    ['HTTP/2', false, () => createHttp2Server()],
  ] as const) {
    it(`ends a Kinesis call over ${label} that gets no answer with a retryable KinesisCallError`, async function () {
      const server = await silent(makeServer());
      const client = kinesisClient({ ...base(server.endpoint), http1 });
      try {
        const started = Date.now();
        const error = await failure(lastValueFrom(awsKinesisPort(client).getRecords('iterator', 10)));
        expect(error).to.be.instanceOf(KinesisCallError);
        expect(error).to.include({ retryable: true });
        expect(Date.now() - started).to.be.below(5_000);
      } finally {
        client.destroy();
        await server.close();
      }
    });
  }

  it('ends a DynamoDB call that gets no answer with a retryable LeaseStoreError', async function () {
    const server = await silent(createServer(() => undefined));
    const client = dynamoDbClient(base(server.endpoint));
    try {
      const error = await failure(lastValueFrom(awsLeaseStorePort(client).getLease('table', 'shardId-0')));
      expect(error).to.be.instanceOf(LeaseStoreError);
      expect(error).to.include({ retryable: true });
    } finally {
      client.destroy();
      await server.close();
    }
  });
});
