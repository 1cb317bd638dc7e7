/**
 * awsLeaseStorePort on a real `DynamoDBClient` whose requests never leave the process: a stub HTTP
 * handler answers attempt by attempt, so the SDK's own retry middleware runs as it does against
 * DynamoDB. A conditional write whose first attempt was applied and whose answer was lost comes
 * back from the SDK's retry as a failed condition; the port must say it may have been applied.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { HttpResponse, type HttpRequest } from '@smithy/core/protocols';
import { ConfiguredRetryStrategy, DeprecatedStandardRetryStrategy } from '@smithy/core/retry';
import { expect } from 'chai';
import { from, lastValueFrom, toArray, type Observable } from 'rxjs';
import * as sinon from 'sinon';
import { LeaseStoreError } from '../../../lib/model/errors';
import { awsLeaseStorePort } from '../../../lib/ports/aws/dynamo-lease-store';
import type { LeaseStorePort } from '../../../lib/ports/lease-store-port';
import { networkError } from './sdk-stub';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/** What the stub does with one attempt: answer it, or throw as the HTTP handler would. */
type Attempt = () => HttpResponse;

const json = (statusCode: number, body: unknown): HttpResponse =>
  new HttpResponse({
    statusCode,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'request-1' },
    body: Buffer.from(JSON.stringify(body), 'utf8'),
  });

const error = (statusCode: number, type: string, message: string): Attempt => () =>
  json(statusCode, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message });

const conditionFailed = error(400, 'ConditionalCheckFailedException', 'The conditional request failed');
/** DynamoDB applied the write, then the connection dropped before its answer arrived. */
const connectionReset: Attempt = () => {
  throw networkError('ECONNRESET');
};
/** DynamoDB applied the write, then answered 500. */
const serverError = error(500, 'InternalServerError', 'Internal server error');

const ITEM = {
  leaseKey: { S: 'shardId-1' },
  leaseCounter: { N: '4' },
  checkpoint: { S: 'TRIM_HORIZON' },
  checkpointSubSequenceNumber: { N: '0' },
  ownerSwitchesSinceCheckpoint: { N: '0' },
};
const success: Attempt = () => json(200, {});
const updated: Attempt = () => json(200, { Attributes: ITEM });

/** The conditional writes of the port, and what each answers when applied. */
interface Write {
  readonly name: string;
  readonly call: (port: LeaseStorePort) => Observable<{ readonly _tag: string }>;
  readonly applied: Attempt;
  /** The port's answer to an applied write. */
  readonly done: string;
}

const WRITES: readonly Write[] = [
  { name: 'updateLease', applied: updated, done: 'Written', call: (port) => port.updateLease('leases', 'shardId-1', { expectedCounter: 3 }) },
  {
    name: 'createLease',
    applied: success,
    done: 'Written',
    call: (port) =>
      port.createLease('leases', {
        leaseKey: 'shardId-1',
        leaseCounter: 0,
        checkpoint: 'TRIM_HORIZON',
        checkpointSubSequenceNumber: 0,
        ownerSwitchesSinceCheckpoint: 0,
        parentShardIds: [],
      }),
  },
  { name: 'deleteLease', applied: success, done: 'Deleted', call: (port) => port.deleteLease('leases', 'shardId-1', 3) },
];

/** Retry settings a user's client may have; every one must let the port see the retry. */
const RETRY_SETTINGS: ReadonlyArray<{ readonly name: string; readonly config: () => Partial<DynamoDBClientConfig> }> = [
  { name: 'the SDK defaults', config: () => ({}) },
  { name: 'adaptive mode', config: () => ({ retryMode: 'adaptive' }) },
  { name: 'maxAttempts: 2', config: () => ({ maxAttempts: 2 }) },
  { name: 'a configured retry strategy', config: () => ({ retryStrategy: new ConfiguredRetryStrategy(3, 0) }) },
  {
    name: 'a retry strategy of the older interface',
    config: () => ({ retryStrategy: new DeprecatedStandardRetryStrategy(async () => 3, { delayDecider: () => 0 }) }),
  },
];

describe('awsLeaseStorePort through the SDK’s own retries', function () {
  const clients: DynamoDBClient[] = [];
  let clock: sinon.SinonFakeTimers;

  beforeEach(function () {
    // The SDK waits between attempts; its timers run on a fake clock so no real time passes.
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });

  afterEach(function () {
    clock.restore();
    for (const client of clients.splice(0)) client.destroy();
  });

  /** A port on a client whose HTTP handler plays `attempts` in turn; `sent` lists the attempts made. */
  function portOn(config: Partial<DynamoDBClientConfig>, attempts: readonly Attempt[]) {
    const sent: string[] = [];
    const requestHandler = {
      handle: async (request: HttpRequest) => {
        sent.push(`${request.headers['x-amz-target']} ${request.headers['amz-sdk-request']}`);
        const attempt = attempts[sent.length - 1];
        if (attempt === undefined) throw new Error(`unexpected attempt ${sent.length}`);
        return { response: attempt() };
      },
    };
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler,
      ...config,
    });
    clients.push(client);
    return { port: awsLeaseStorePort(client), client, sent };
  }

  /**
   * Runs a port call to its end while the SDK's timers fire on the fake clock. The SDK may set a
   * timer only after some real I/O (reading its shared config files), so the clock is run again
   * after every turn of the event loop until the call has ended.
   */
  async function outcome(call$: Observable<unknown>): Promise<{ values?: unknown[]; error?: unknown }> {
    let ended = false;
    const result = lastValueFrom(call$.pipe(toArray())).then(
      (values) => ({ values }),
      (error: unknown) => ({ error }),
    );
    void result.finally(() => {
      ended = true;
    });
    while (!ended) {
      await clock.runAllAsync();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return result;
  }

  for (const write of WRITES) {
    describe(write.name, function () {
      for (const settings of RETRY_SETTINGS) {
        it(`answers ConditionFailed, maybeApplied, when the applied first attempt’s connection reset and the retry failed its condition, with ${settings.name}`, async function () {
          const { port, sent } = portOn(settings.config(), [connectionReset, conditionFailed]);
          expect(await outcome(write.call(port))).to.deep.equal({ values: [{ _tag: 'ConditionFailed', maybeApplied: true }] });
          expect(sent, 'two attempts').to.have.length(2);
        });
      }

      it('answers ConditionFailed, maybeApplied, when the applied first attempt was answered 500', async function () {
        const { port, sent } = portOn({}, [serverError, conditionFailed]);
        expect(await outcome(write.call(port))).to.deep.equal({ values: [{ _tag: 'ConditionFailed', maybeApplied: true }] });
        expect(sent).to.have.length(2);
      });

      it('answers a plain ConditionFailed when the condition failed on the first attempt', async function () {
        const { port, sent } = portOn({}, [conditionFailed]);
        expect(await outcome(write.call(port))).to.deep.equal({ values: [{ _tag: 'ConditionFailed' }] });
        expect(sent).to.have.length(1);
      });

      it('answers as written when a retry after a lost answer succeeds', async function () {
        const { port, sent } = portOn({}, [connectionReset, write.applied]);
        const { values } = await outcome(write.call(port));
        expect(values?.map((value) => (value as { _tag: string })._tag)).to.deep.equal([write.done]);
        expect(sent).to.have.length(2);
      });

      it('reports a lost answer as a retryable error when the client makes one attempt', async function () {
        const { port, sent } = portOn({ maxAttempts: 1 }, [connectionReset]);
        const { error } = await outcome(write.call(port));
        expect(error).to.be.instanceOf(LeaseStoreError).and.include({ code: 'ECONNRESET', retryable: true });
        expect(sent).to.have.length(1);
      });
    });
  }

  it('relies on the SDK recording its attempts on the ConditionalCheckFailedException it throws', async function () {
    const { client } = portOn({}, [connectionReset, conditionFailed]);
    const send = client.send(new DeleteItemCommand({ TableName: 'leases', Key: { leaseKey: { S: 'shardId-1' } } }));
    const { error } = await outcome(from(send));
    expect(error).to.be.instanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).$metadata).to.include({ httpStatusCode: 400, attempts: 2 });
  });

  it('sends the attempts the SDK’s retry header counts, the write’s own target each time', async function () {
    const { port, sent } = portOn({}, [connectionReset, serverError, conditionFailed]);
    await outcome(port.updateLease('leases', 'shardId-1', { expectedCounter: 3 }));
    expect(sent).to.deep.equal([
      'DynamoDB_20120810.UpdateItem attempt=1; max=4',
      'DynamoDB_20120810.UpdateItem attempt=2; max=4',
      'DynamoDB_20120810.UpdateItem attempt=3; max=4',
    ]);
  });
});
