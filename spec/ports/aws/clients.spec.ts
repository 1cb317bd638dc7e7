import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import { expect } from 'chai';
import { EMPTY } from 'rxjs';
import * as sinon from 'sinon';
import {
  dynamoDbClient,
  kinesisClient,
  resolveKinesisPort,
  resolveLeaseStorePort,
} from '../../../lib/ports/aws/clients';
import type { KinesisPort } from '../../../lib/ports/kinesis-port';
import type { LeaseStorePort } from '../../../lib/ports/lease-store-port';

describe('AWS clients', function () {
  const made: Array<{ destroy(): void }> = [];
  const keep = <C extends { destroy(): void }>(client: C): C => {
    made.push(client);
    return client;
  };

  afterEach(function () {
    for (const client of made.splice(0)) client.destroy();
  });

  describe('kinesisClient', function () {
    it('applies the region, endpoint, credentials and attempts given', async function () {
      const client = keep(
        kinesisClient({
          region: 'eu-west-1',
          endpoint: 'http://127.0.0.1:4566',
          credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
          maxAttempts: 1,
        }),
      );
      expect(await client.config.region()).to.equal('eu-west-1');
      expect(await client.config.maxAttempts()).to.equal(1);
      expect(await client.config.credentials()).to.include({ accessKeyId: 'id', secretAccessKey: 'secret' });
      expect(client.config.endpoint).to.be.a('function');
      expect(await client.config.endpoint!()).to.include({ hostname: '127.0.0.1', port: 4566, protocol: 'http:' });
    });

    it('adds the user agent given to the SDK’s, and nothing when none is given', function () {
      expect(keep(kinesisClient({ region: 'us-east-1', userAgent: 'orders-app' })).config.customUserAgent).to.deep.equal([['orders-app']]);
      expect(keep(dynamoDbClient({ region: 'us-east-1', userAgent: 'orders-app' })).config.customUserAgent).to.deep.equal([['orders-app']]);
      expect(keep(kinesisClient({ region: 'us-east-1' })).config.customUserAgent).to.equal(undefined);
    });

    it('leaves the endpoint to the SDK (and its environment variables) when none is given', function () {
      expect(keep(kinesisClient({ region: 'us-east-1' })).config.endpoint).to.equal(undefined);
    });

    it('talks HTTP/1.1 when asked, HTTP/2 (the SDK default) otherwise', function () {
      expect(keep(kinesisClient({ region: 'us-east-1', http1: true })).config.requestHandler).to.be.instanceOf(NodeHttpHandler);
      expect(keep(kinesisClient({ region: 'us-east-1' })).config.requestHandler).to.be.instanceOf(NodeHttp2Handler);
      expect(keep(kinesisClient({ region: 'us-east-1', requestTimeoutMillis: 5_000 })).config.requestHandler).to.be.instanceOf(NodeHttp2Handler);
    });
  });

  describe('dynamoDbClient', function () {
    it('applies the options given and leaves the rest to the SDK', async function () {
      const client = keep(dynamoDbClient({ region: 'ap-south-1', maxAttempts: 2, requestTimeoutMillis: 700 }));
      expect(client).to.be.instanceOf(DynamoDBClient);
      expect(await client.config.region()).to.equal('ap-south-1');
      expect(await client.config.maxAttempts()).to.equal(2);
      expect(client.config.endpoint).to.equal(undefined);
      expect(client.config.requestHandler).to.be.instanceOf(NodeHttpHandler);
    });
  });

  describe('resolveKinesisPort', function () {
    it('uses a port as it is', function () {
      const port: KinesisPort = { listShards: () => EMPTY, getShardIterator: () => EMPTY, getRecords: () => EMPTY, putRecords: () => EMPTY };
      expect(resolveKinesisPort(port).port).to.equal(port);
    });

    it('wraps a shared client without taking ownership of it', function () {
      const client = keep(new KinesisClient({ region: 'us-east-1' }));
      const destroy = sinon.spy(client, 'destroy');
      const resolved = resolveKinesisPort(client);
      expect(resolved.port.listShards).to.be.a('function');
      resolved.release();
      expect(destroy.called).to.equal(false);
    });

    it('builds its own client from options when given nothing, and destroys it on release', function () {
      const destroy = sinon.spy(KinesisClient.prototype, 'destroy');
      try {
        const resolved = resolveKinesisPort(undefined, { region: 'us-east-1' });
        expect(resolved.port.getRecords).to.be.a('function');
        resolved.release();
        expect(destroy.calledOnce).to.equal(true);
      } finally {
        destroy.restore();
      }
    });
  });

  describe('resolveLeaseStorePort', function () {
    it('uses a port as it is, and wraps a client without owning it', function () {
      const port = { listLeases: () => EMPTY } as unknown as LeaseStorePort;
      expect(resolveLeaseStorePort(port).port).to.equal(port);
      const client = keep(new DynamoDBClient({ region: 'us-east-1' }));
      const destroy = sinon.spy(client, 'destroy');
      resolveLeaseStorePort(client).release();
      expect(destroy.called).to.equal(false);
    });

    it('builds its own client when given nothing, and destroys it on release', function () {
      const destroy = sinon.spy(DynamoDBClient.prototype, 'destroy');
      try {
        resolveLeaseStorePort(undefined, { region: 'us-east-1' }).release();
        expect(destroy.calledOnce).to.equal(true);
      } finally {
        destroy.restore();
      }
    });
  });
});
