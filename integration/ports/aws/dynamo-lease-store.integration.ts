/**
 * awsLeaseStorePort against dynalite: the port contract (with DynamoDB's own pages and with tiny
 * ones), then what only a DynamoDB-backed port has: the KCL's item format both ways, items of
 * other KCL entities in the table, Scan paging, error mapping, the wait for ACTIVE, and conditional
 * writes whose applied first attempt lost its answer to the SDK's own retry.
 */
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandlerOptions } from '@smithy/types';
import { expect } from 'chai';
import type { Readable } from 'node:stream';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import * as sinon from 'sinon';
import { LeaseStoreError, LeaseTableNotFoundError } from '../../../lib/model/errors';
import { dynamoDbClient } from '../../../lib/ports/aws/clients';
import { awsLeaseStorePort } from '../../../lib/ports/aws/dynamo-lease-store';
import type { LeaseStoreAdminPort, LeaseStorePort } from '../../../lib/ports/lease-store-port';
import { startDynalite, type RunningEmulator } from '../../../localstack/emulators';
import { leaseStorePortContract, newLease } from '../../../spec/ports/lease-store-port.contract';
import { destroyClient, dynalite, TEST_CREDENTIALS, TEST_REGION, testDynamoDbClient, uniqueName } from '../../support/emulators';

let sharedClient: DynamoDBClient | undefined;
async function client(): Promise<DynamoDBClient> {
  return (sharedClient ??= testDynamoDbClient((await dynalite()).endpoint, { maxAttempts: 1 }));
}

leaseStorePortContract('awsLeaseStorePort on dynalite', async () => ({ port: awsLeaseStorePort(await client()) }));

leaseStorePortContract('awsLeaseStorePort on dynalite, Scan pages of 4', async () => ({
  port: awsLeaseStorePort(await client(), { scanPageSize: 4 }),
}));

async function failure(observable$: Observable<unknown>): Promise<unknown> {
  try {
    await lastValueFrom(observable$.pipe(toArray()));
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('awsLeaseStorePort on dynalite', function () {
  let dynamo: DynamoDBClient;
  let port: LeaseStorePort & LeaseStoreAdminPort;
  let table: string;

  beforeEach(async function () {
    dynamo = await client();
    port = awsLeaseStorePort(dynamo);
    table = uniqueName('leases');
    await lastValueFrom(port.ensureTable(table));
  });

  afterEach(async function () {
    await lastValueFrom(port.deleteTable(table));
  });

  const rawItem = async (leaseKey: string) =>
    (await dynamo.send(new GetItemCommand({ TableName: table, Key: { leaseKey: { S: leaseKey } }, ConsistentRead: true }))).Item;

  it('creates the table as the KCL does: hash key leaseKey (S), on-demand billing', async function () {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.KeySchema).to.deep.equal([{ AttributeName: 'leaseKey', KeyType: 'HASH' }]);
    expect(Table?.AttributeDefinitions).to.deep.equal([{ AttributeName: 'leaseKey', AttributeType: 'S' }]);
    expect(Table?.BillingModeSummary?.BillingMode).to.equal('PAY_PER_REQUEST');
  });

  it('writes leases with the KCL attribute names and types, leaving out empty sets', async function () {
    await lastValueFrom(port.createLease(table, newLease('shardId-000000000002', { parentShardIds: ['shardId-000000000000'] })));
    await lastValueFrom(
      port.updateLease(table, 'shardId-000000000002', {
        expectedCounter: 0,
        set: { leaseOwner: 'worker-1', checkpoint: '4959', checkpointSubSequenceNumber: 3, childShardIds: [] },
        incrementOwnerSwitches: true,
      }),
    );
    expect(await rawItem('shardId-000000000002')).to.deep.equal({
      leaseKey: { S: 'shardId-000000000002' },
      leaseOwner: { S: 'worker-1' },
      leaseCounter: { N: '1' },
      checkpoint: { S: '4959' },
      checkpointSubSequenceNumber: { N: '3' },
      ownerSwitchesSinceCheckpoint: { N: '1' },
      parentShardId: { SS: ['shardId-000000000000'] },
    });
  });

  it('reads an item written by the KCL, extra attributes and all', async function () {
    await dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          leaseKey: { S: 'shardId-000000000005' },
          leaseOwner: { S: 'kcl-worker' },
          leaseCounter: { N: '42' },
          checkpoint: { S: 'SHARD_END' },
          checkpointSubSequenceNumber: { N: '0' },
          ownerSwitchesSinceCheckpoint: { N: '0' },
          parentShardId: { SS: ['shardId-000000000001', 'shardId-000000000002'] },
          childShardIds: { SS: ['shardId-000000000009'] },
          startingHashKey: { S: '0' },
          endingHashKey: { S: '170141183460469231731687303715884105727' },
          throughputKBps: { N: '12.5' },
          entityType: { S: 'LEASE' },
        },
      }),
    );
    const lease = await lastValueFrom(port.getLease(table, 'shardId-000000000005'));
    expect({ ...lease, parentShardIds: [...(lease?.parentShardIds ?? [])].sort() }).to.deep.equal({
      leaseKey: 'shardId-000000000005',
      leaseOwner: 'kcl-worker',
      leaseCounter: 42,
      checkpoint: 'SHARD_END',
      checkpointSubSequenceNumber: 0,
      ownerSwitchesSinceCheckpoint: 0,
      parentShardIds: ['shardId-000000000001', 'shardId-000000000002'],
      childShardIds: ['shardId-000000000009'],
      startingHashKey: '0',
      endingHashKey: '170141183460469231731687303715884105727',
    });
  });

  it('skips items of other KCL entities that share the table', async function () {
    await lastValueFrom(port.createLease(table, newLease('shardId-000000000000')));
    for (const [leaseKey, entityType] of [
      ['worker-1', 'WORKER_METRIC_STATS'],
      ['leader', 'LEADER'],
      ['shardId-000000000001', 'LEASE'],
    ]) {
      await dynamo.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            leaseKey: { S: leaseKey! },
            entityType: { S: entityType! },
            leaseCounter: { N: '0' },
            checkpoint: { S: 'LATEST' },
          },
        }),
      );
    }
    const leases = await lastValueFrom(port.listLeases(table));
    expect(leases.map((l) => l.leaseKey).sort()).to.deep.equal(['shardId-000000000000', 'shardId-000000000001']);
    expect(await lastValueFrom(port.getLease(table, 'worker-1'))).to.equal(undefined);
  });

  it('reports an item that is not a lease with a LeaseStoreError naming the attribute', async function () {
    await dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: { leaseKey: { S: 'shardId-1' }, leaseCounter: { S: 'seven' }, checkpoint: { S: 'LATEST' } },
      }),
    );
    const error = await failure(port.getLease(table, 'shardId-1'));
    expect(error).to.be.instanceOf(LeaseStoreError);
    expect(error).to.include({ code: 'MalformedLease', retryable: false });
    expect((error as Error).message).to.contain('shardId-1').and.to.contain('leaseCounter');
  });

  it('follows every consistent Scan page', async function () {
    for (let i = 0; i < 10; i++) await lastValueFrom(port.createLease(table, newLease(`shardId-${i}`)));
    const send = sinon.spy(dynamo, 'send');
    try {
      const leases = await lastValueFrom(awsLeaseStorePort(dynamo, { scanPageSize: 3 }).listLeases(table));
      expect(leases).to.have.length(10);
      const scans = send.getCalls().map((call) => (call.args[0] as ScanCommand).input);
      expect(scans.length).to.be.at.least(4);
      for (const scan of scans) expect(scan).to.include({ TableName: table, ConsistentRead: true, Limit: 3 });
      expect(scans.slice(1).every((scan) => scan.ExclusiveStartKey !== undefined)).to.equal(true);
    } finally {
      send.restore();
    }
  });

  it('maps a missing table to LeaseTableNotFoundError, keeping the SDK error as cause', async function () {
    const error = await failure(port.getLease(uniqueName('missing'), 'shardId-0'));
    expect(error).to.be.instanceOf(LeaseTableNotFoundError);
    expect(error).to.include({ operation: 'GetItem', code: 'ResourceNotFoundException', retryable: false });
    expect((error as Error).cause).to.have.property('name', 'ResourceNotFoundException');
  });

  it('maps a request DynamoDB refuses to a LeaseStoreError that is not retryable', async function () {
    const error = await failure(port.createLease(table, newLease('')));
    expect(error).to.be.instanceOf(LeaseStoreError);
    expect(error).to.include({ operation: 'PutItem', code: 'ValidationException', retryable: false });
  });

  describe('with tables that take time to settle', function () {
    let slow: RunningEmulator;
    let slowClient: DynamoDBClient;

    before(async function () {
      slow = await startDynalite({ createTableMs: 300, deleteTableMs: 300 });
      slowClient = testDynamoDbClient(slow.endpoint, { maxAttempts: 1 });
    });

    after(async function () {
      destroyClient(slowClient);
      await slow.stop();
    });

    it('completes ensureTable only once the table is ACTIVE, and deleteTable once it is gone', async function () {
      const slowPort = awsLeaseStorePort(slowClient, { statusPolling: { initialDelayMillis: 20, maxDelayMillis: 100 } });
      const name = uniqueName('slow');
      await lastValueFrom(slowPort.ensureTable(name));
      expect((await slowClient.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus).to.equal('ACTIVE');
      await lastValueFrom(slowPort.ensureTable(name));
      await lastValueFrom(slowPort.deleteTable(name));
      expect(await failure(slowPort.listLeases(name))).to.be.instanceOf(LeaseTableNotFoundError);
    });
  });

  describe('with the endpoint from the environment', function () {
    const variables = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
    let saved: Array<string | undefined>;

    beforeEach(function () {
      saved = variables.map((name) => process.env[name]);
    });

    afterEach(function () {
      variables.forEach((name, i) => {
        const value = saved[i];
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      });
    });

    it('lets a client built with no endpoint, region or credentials reach AWS_ENDPOINT_URL_DYNAMODB', async function () {
      await lastValueFrom(port.createLease(table, newLease('shardId-env')));
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_DYNAMODB: (await dynalite()).endpoint,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'x',
        AWS_SECRET_ACCESS_KEY: 'x',
      });
      const fromEnvironment = dynamoDbClient({ maxAttempts: 1 });
      try {
        const leases = await lastValueFrom(awsLeaseStorePort(fromEnvironment).listLeases(table));
        expect(leases.map((l) => l.leaseKey)).to.deep.equal(['shardId-env']);
      } finally {
        fromEnvironment.destroy();
      }
    });
  });
});

describe('awsLeaseStorePort on dynalite, through the SDK’s own retries', function () {
  /** The DynamoDB action (`UpdateItem`, …) whose next answer is lost after dynalite applied it. */
  let loseNextAnswerOf: string | undefined;
  let retrying: DynamoDBClient;
  let port: LeaseStorePort & LeaseStoreAdminPort;
  let table: string;

  before(async function () {
    const http = new NodeHttpHandler();
    const requestHandler = {
      async handle(request: HttpRequest, options?: HttpHandlerOptions) {
        const answered = await http.handle(request, options);
        if (request.headers['x-amz-target'] !== `DynamoDB_20120810.${loseNextAnswerOf}`) return answered;
        loseNextAnswerOf = undefined;
        (answered.response.body as Readable).resume();
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      },
      destroy: () => http.destroy(),
    };
    // The SDK's default retry settings, as a client an application hands in would have them.
    retrying = new DynamoDBClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS, endpoint: (await dynalite()).endpoint, requestHandler });
  });

  after(function () {
    retrying.destroy();
  });

  beforeEach(async function () {
    loseNextAnswerOf = undefined;
    port = awsLeaseStorePort(retrying);
    table = uniqueName('retries');
    await lastValueFrom(port.ensureTable(table));
  });

  afterEach(async function () {
    await lastValueFrom(port.deleteTable(table));
  });

  it('answers ConditionFailed, maybeApplied, for an applied update whose answer was lost, and the lease reads back updated', async function () {
    await lastValueFrom(port.createLease(table, newLease('shardId-1')));
    loseNextAnswerOf = 'UpdateItem';
    const result = await lastValueFrom(port.updateLease(table, 'shardId-1', { expectedCounter: 0, set: { leaseOwner: 'worker-1' } }));
    expect(result).to.deep.equal({ _tag: 'ConditionFailed', maybeApplied: true });
    expect(loseNextAnswerOf, 'an answer was lost').to.equal(undefined);
    expect(await lastValueFrom(port.getLease(table, 'shardId-1'))).to.deep.include({ leaseOwner: 'worker-1', leaseCounter: 1 });
  });

  it('answers ConditionFailed, maybeApplied, for an applied create or conditional delete whose answer was lost', async function () {
    loseNextAnswerOf = 'PutItem';
    expect(await lastValueFrom(port.createLease(table, newLease('shardId-1')))).to.deep.equal({ _tag: 'ConditionFailed', maybeApplied: true });
    expect(await lastValueFrom(port.getLease(table, 'shardId-1'))).to.deep.equal(newLease('shardId-1'));
    loseNextAnswerOf = 'DeleteItem';
    expect(await lastValueFrom(port.deleteLease(table, 'shardId-1', 0))).to.deep.equal({ _tag: 'ConditionFailed', maybeApplied: true });
    expect(await lastValueFrom(port.getLease(table, 'shardId-1'))).to.equal(undefined);
  });

  it('answers a condition that failed on the first attempt without maybeApplied', async function () {
    await lastValueFrom(port.createLease(table, newLease('shardId-1', { leaseCounter: 2 })));
    expect(await lastValueFrom(port.updateLease(table, 'shardId-1', { expectedCounter: 1 }))).to.deep.equal({ _tag: 'ConditionFailed' });
    expect(await lastValueFrom(port.createLease(table, newLease('shardId-1')))).to.deep.equal({ _tag: 'ConditionFailed' });
    expect(await lastValueFrom(port.deleteLease(table, 'shardId-1', 1))).to.deep.equal({ _tag: 'ConditionFailed' });
  });
});
