/**
 * The emulators of an integration run, each started on first use and shared by every test file,
 * then stopped (with every client made here) by a root `after` hook when the run ends. The same
 * hooks are exported as `mochaHooks` for runs that load this file with `--require`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { randomBytes } from 'node:crypto';
import { dynamoDbClient, kinesisClient, type AwsClientOptions } from '../../lib/ports/aws/clients';
import {
  startDynalite,
  startKinesalite,
  startKinesisLocal,
  type RunningEmulator,
  type RunningKinesisLocal,
} from '../../localstack/emulators';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

export const TEST_REGION = 'us-east-1';
export const TEST_CREDENTIALS = { accessKeyId: 'x', secretAccessKey: 'x' } as const;

let kinesisLocal$: Promise<RunningKinesisLocal> | undefined;
let kinesalite$: Promise<RunningEmulator> | undefined;
let dynalite$: Promise<RunningEmulator> | undefined;
const clients = new Set<{ destroy(): void }>();

/** kinesis-local, started once per run. */
export function kinesisLocal(): Promise<RunningKinesisLocal> {
  return (kinesisLocal$ ??= startKinesisLocal());
}

/** kinesalite, started once per run. */
export function kinesalite(): Promise<RunningEmulator> {
  return (kinesalite$ ??= startKinesalite());
}

/** dynalite, started once per run. */
export function dynalite(): Promise<RunningEmulator> {
  return (dynalite$ ??= startDynalite());
}

/**
 * A Kinesis client for `endpoint` with test credentials, destroyed when the run ends. HTTP/1.1 by
 * default: kinesalite speaks nothing else, and kinesis-local cuts off some HTTP/2 answers.
 */
export function testKinesisClient(endpoint: string, options: AwsClientOptions = {}): KinesisClient {
  const client = kinesisClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS, endpoint, http1: true, ...options });
  clients.add(client);
  return client;
}

/** A DynamoDB client for `endpoint` with test credentials, destroyed when the run ends. */
export function testDynamoDbClient(endpoint: string, options: AwsClientOptions = {}): DynamoDBClient {
  const client = dynamoDbClient({ region: TEST_REGION, credentials: TEST_CREDENTIALS, endpoint, ...options });
  clients.add(client);
  return client;
}

/** Destroys a client made here before the run ends. */
export function destroyClient(client: { destroy(): void }): void {
  client.destroy();
  clients.delete(client);
}

/** A stream or table name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Destroys the clients, then stops whatever emulators were started. */
export async function stopEmulators(): Promise<void> {
  for (const client of clients) client.destroy();
  clients.clear();
  const running = [kinesisLocal$, kinesalite$, dynalite$];
  kinesisLocal$ = kinesalite$ = dynalite$ = undefined;
  await Promise.all(running.map(async (emulator$) => (await emulator$?.catch(() => undefined))?.stop()));
}

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(10_000);
    await stopEmulators();
  },
};

// Loaded by a test file, this registers on the root suite, so it runs once, after every file.
if (typeof after === 'function') after(mochaHooks.afterAll);
