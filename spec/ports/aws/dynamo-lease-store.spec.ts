import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { expect } from 'chai';
import { VirtualTimeScheduler } from 'rxjs';
import { LeaseStoreError, LeaseStoreThrottledError, LeaseTableNotFoundError } from '../../../lib/model/errors';
import { awsLeaseStorePort, type AwsLeaseStorePortOptions } from '../../../lib/ports/aws/dynamo-lease-store';
import { drive, inTurn, serviceException, StubClient } from './sdk-stub';

const conditionFailed = () =>
  Promise.reject(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } }));

const item = (leaseKey: string, counter = 0) => ({
  leaseKey: { S: leaseKey },
  leaseCounter: { N: String(counter) },
  checkpoint: { S: 'TRIM_HORIZON' },
  checkpointSubSequenceNumber: { N: '0' },
  ownerSwitchesSinceCheckpoint: { N: '0' },
});

const lease = (leaseKey: string, leaseCounter = 0) => ({
  leaseKey,
  leaseCounter,
  checkpoint: 'TRIM_HORIZON',
  checkpointSubSequenceNumber: 0,
  ownerSwitchesSinceCheckpoint: 0,
  parentShardIds: [],
});

const tableStatus = (TableStatus: string) => () => ({ Table: { TableStatus } });
const notFound = () => Promise.reject(serviceException('ResourceNotFoundException', 400, 'Requested resource not found'));

describe('awsLeaseStorePort', function () {
  let stub: StubClient;
  let scheduler: VirtualTimeScheduler;

  beforeEach(function () {
    stub = new StubClient();
    scheduler = new VirtualTimeScheduler();
  });

  const port = (options: AwsLeaseStorePortOptions = {}) =>
    awsLeaseStorePort(stub as unknown as DynamoDBClient, { scheduler, ...options });

  describe('ensureTable', function () {
    it('creates a missing table the KCL way and waits until it is ACTIVE', async function () {
      stub.on(DescribeTableCommand, inTurn(notFound, tableStatus('CREATING'), tableStatus('ACTIVE')));
      stub.on(CreateTableCommand, () => ({}));
      expect(await drive(port().ensureTable('app-stream'), scheduler)).to.deep.equal({ values: [undefined], elapsed: 50 });
      expect(stub.inputsOf(CreateTableCommand)).to.deep.equal([
        {
          TableName: 'app-stream',
          AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        },
      ]);
    });

    it('takes a table another worker is creating, and uses a table that is ACTIVE or UPDATING at once', async function () {
      stub.on(DescribeTableCommand, inTurn(notFound, tableStatus('UPDATING')));
      stub.on(CreateTableCommand, () => Promise.reject(serviceException('ResourceInUseException', 400)));
      expect(await drive(port().ensureTable('app-stream'), scheduler)).to.deep.equal({ values: [undefined], elapsed: 0 });
      expect(await drive(port().ensureTable('app-stream'), scheduler)).to.deep.equal({ values: [undefined], elapsed: 0 });
      expect(stub.inputsOf(CreateTableCommand)).to.have.length(1);
      expect(stub.inputsOf(DescribeTableCommand)).to.have.length(3);
    });

    it('gives up with a LeaseStoreError when the table does not settle in time', async function () {
      stub.on(DescribeTableCommand, tableStatus('CREATING'));
      const { error, elapsed } = await drive(port({ statusPolling: { timeoutMillis: 1_000 } }).ensureTable('t'), scheduler);
      expect(error).to.be.instanceOf(LeaseStoreError);
      expect(error).to.include({ code: 'Timeout', retryable: true });
      expect(elapsed).to.equal(1_000);
    });
  });

  describe('updateLease', function () {
    it('sends a conditional update and answers with the lease as written', async function () {
      stub.on(UpdateItemCommand, () => ({ Attributes: { ...item('shardId-1', 4), leaseOwner: { S: 'worker-1' } } }));
      const { values } = await drive(
        port().updateLease('t', 'shardId-1', { expectedCounter: 3, expectedOwner: null, set: { leaseOwner: 'worker-1' } }),
        scheduler,
      );
      expect(values).to.deep.equal([{ _tag: 'Written', lease: { ...lease('shardId-1', 4), leaseOwner: 'worker-1' } }]);
      const [input] = stub.inputsOf(UpdateItemCommand);
      expect(input).to.include({
        TableName: 't',
        ConditionExpression: '#leaseCounter = :expectedCounter AND attribute_not_exists(#leaseOwner)',
        ReturnValues: 'ALL_NEW',
      });
      expect(input?.Key).to.deep.equal({ leaseKey: { S: 'shardId-1' } });
    });

    it('answers ConditionFailed when DynamoDB refuses the condition', async function () {
      stub.on(UpdateItemCommand, conditionFailed);
      const { values } = await drive(port().updateLease('t', 'shardId-1', { expectedCounter: 3 }), scheduler);
      expect(values).to.deep.equal([{ _tag: 'ConditionFailed' }]);
    });

    it('reports throttling as LeaseStoreThrottledError', async function () {
      stub.on(UpdateItemCommand, () => Promise.reject(serviceException('ProvisionedThroughputExceededException', 400)));
      const { error } = await drive(port().updateLease('t', 'shardId-1', { expectedCounter: 3 }), scheduler);
      expect(error).to.be.instanceOf(LeaseStoreThrottledError);
      expect(error).to.include({ operation: 'UpdateItem', retryable: true });
    });

    it('reports an update it cannot express without sending anything', async function () {
      const { error } = await drive(
        port().updateLease('t', 'shardId-1', { expectedCounter: 0, set: { leaseOwner: 'w' }, remove: ['leaseOwner'] }),
        scheduler,
      );
      expect(error).to.be.instanceOf(LeaseStoreError);
      expect(error).to.include({ code: 'InvalidUpdate', retryable: false });
      expect(stub.send.callCount).to.equal(0);
    });
  });

  describe('createLease', function () {
    it('puts the whole item only if its key is new', async function () {
      stub.on(PutItemCommand, inTurn(() => ({}), conditionFailed));
      expect((await drive(port().createLease('t', lease('shardId-1')), scheduler)).values).to.deep.equal([
        { _tag: 'Written', lease: lease('shardId-1') },
      ]);
      expect((await drive(port().createLease('t', lease('shardId-1')), scheduler)).values).to.deep.equal([{ _tag: 'ConditionFailed' }]);
      expect(stub.inputsOf(PutItemCommand)[0]).to.deep.equal({
        TableName: 't',
        Item: item('shardId-1'),
        ConditionExpression: 'attribute_not_exists(#leaseKey)',
        ExpressionAttributeNames: { '#leaseKey': 'leaseKey' },
      });
    });

    it('refuses a lease whose counter is not an integer before sending it', async function () {
      const { error } = await drive(port().createLease('t', lease('shardId-1', 1.5)), scheduler);
      expect(error).to.be.instanceOf(LeaseStoreError);
      expect(error).to.include({ code: 'MalformedLease' });
      expect(stub.send.callCount).to.equal(0);
    });
  });

  describe('reads', function () {
    it('lists every Scan page with consistent reads, skipping other KCL entities', async function () {
      stub.on(
        ScanCommand,
        inTurn(
          () => ({ Items: [item('shardId-1'), { ...item('worker-1'), entityType: { S: 'WORKER_METRIC_STATS' } }], LastEvaluatedKey: { leaseKey: { S: 'worker-1' } } }),
          () => ({ Items: [{ ...item('shardId-2'), entityType: { S: 'LEASE' } }] }),
        ),
      );
      const { values } = await drive(port({ scanPageSize: 2 }).listLeases('t'), scheduler);
      expect(values).to.deep.equal([[lease('shardId-1'), lease('shardId-2')]]);
      expect(stub.inputsOf(ScanCommand)).to.deep.equal([
        { TableName: 't', ConsistentRead: true, Limit: 2, ExclusiveStartKey: undefined },
        { TableName: 't', ConsistentRead: true, Limit: 2, ExclusiveStartKey: { leaseKey: { S: 'worker-1' } } },
      ]);
    });

    it('reads one lease consistently, or undefined', async function () {
      stub.on(GetItemCommand, inTurn(() => ({ Item: item('shardId-1', 9) }), () => ({})));
      expect((await drive(port().getLease('t', 'shardId-1'), scheduler)).values).to.deep.equal([lease('shardId-1', 9)]);
      expect((await drive(port().getLease('t', 'shardId-2'), scheduler)).values).to.deep.equal([undefined]);
      expect(stub.inputsOf(GetItemCommand)[0]).to.deep.equal({ TableName: 't', Key: { leaseKey: { S: 'shardId-1' } }, ConsistentRead: true });
    });

    it('reports a missing table as LeaseTableNotFoundError', async function () {
      stub.on(ScanCommand, notFound);
      const { error } = await drive(port().listLeases('gone'), scheduler);
      expect(error).to.be.instanceOf(LeaseTableNotFoundError);
      expect(error).to.include({ tableName: 'gone', operation: 'Scan' });
    });

    it('rejects a Scan page size that is not a positive integer when the port is made', function () {
      expect(() => port({ scanPageSize: 0 })).to.throw(RangeError, /scanPageSize/);
    });
  });

  describe('deleteLease', function () {
    it('deletes on the expected counter when given, answering ConditionFailed when it moved', async function () {
      stub.on(DeleteItemCommand, inTurn(() => ({}), conditionFailed));
      expect((await drive(port().deleteLease('t', 'shardId-1', 7), scheduler)).values).to.deep.equal([{ _tag: 'Deleted' }]);
      expect((await drive(port().deleteLease('t', 'shardId-1', 7), scheduler)).values).to.deep.equal([{ _tag: 'ConditionFailed' }]);
      expect(stub.inputsOf(DeleteItemCommand)[0]).to.deep.equal({
        TableName: 't',
        Key: { leaseKey: { S: 'shardId-1' } },
        ConditionExpression: '#leaseCounter = :expectedCounter',
        ExpressionAttributeNames: { '#leaseCounter': 'leaseCounter' },
        ExpressionAttributeValues: { ':expectedCounter': { N: '7' } },
      });
    });

    it('deletes unconditionally without an expected counter', async function () {
      stub.on(DeleteItemCommand, () => ({}));
      await drive(port().deleteLease('t', 'shardId-1'), scheduler);
      expect(stub.inputsOf(DeleteItemCommand)[0]).to.deep.equal({ TableName: 't', Key: { leaseKey: { S: 'shardId-1' } } });
    });
  });
});
