/**
 * Where the command line finds AWS: `--endpoint-kinesis`, `--endpoint-dynamodb` and `--region`,
 * else the SDK's own resolution (`AWS_ENDPOINT_URL_KINESIS`, `AWS_ENDPOINT_URL_DYNAMODB`,
 * `AWS_ENDPOINT_URL`, `AWS_REGION`, profiles), and the clients built from that.
 * @packageDocumentation
 */
import { awsKinesisPort } from '../ports/aws/kinesis-adapter';
import { awsLeaseStorePort } from '../ports/aws/dynamo-lease-store';
import { dynamoDbClient, kinesisClient } from '../ports/aws/clients';
import type { KinesisAdminPort, KinesisPort } from '../ports/kinesis-port';
import type { LeaseStoreAdminPort, LeaseStorePort } from '../ports/lease-store-port';
import { textFlag, urlFlag, type FlagSpec, type ParsedFlags } from './flags';

/** The flags every command that talks to AWS accepts. */
export const AWS_FLAGS: readonly FlagSpec[] = [
  { name: 'endpoint-kinesis', value: 'URL', description: 'Kinesis endpoint (default: AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL, else AWS)' },
  { name: 'endpoint-dynamodb', value: 'URL', description: 'DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL, else AWS)' },
  { name: 'region', value: 'REGION', description: 'AWS region (default: AWS_REGION or the profile)' },
];

/** What the flags say about AWS; absent fields are left to the SDK. */
export interface AwsTarget {
  readonly region?: string;
  readonly kinesisEndpoint?: string;
  readonly dynamoDbEndpoint?: string;
}

/**
 * The {@link AwsTarget} of parsed flags.
 * @throws UsageError when an endpoint is not an http(s) URL or the region is empty
 */
export function awsTargetOf(parsed: ParsedFlags): AwsTarget {
  const region = textFlag(parsed, 'region');
  const kinesisEndpoint = urlFlag(parsed, 'endpoint-kinesis');
  const dynamoDbEndpoint = urlFlag(parsed, 'endpoint-dynamodb');
  return {
    ...(region === undefined ? {} : { region }),
    ...(kinesisEndpoint === undefined ? {} : { kinesisEndpoint }),
    ...(dynamoDbEndpoint === undefined ? {} : { dynamoDbEndpoint }),
  };
}

/**
 * Whether Kinesis is reached at an endpoint of one's own (an emulator) rather than AWS: given by
 * flag, or by the SDK's endpoint variables.
 */
export function kinesisEndpointGiven(target: AwsTarget, env: NodeJS.ProcessEnv = process.env): boolean {
  return target.kinesisEndpoint !== undefined || Boolean(env['AWS_ENDPOINT_URL_KINESIS']) || Boolean(env['AWS_ENDPOINT_URL']);
}

/** The flags that reproduce `target`, to hand it to another process. */
export function awsTargetArgs(target: AwsTarget): string[] {
  return [
    ...(target.kinesisEndpoint === undefined ? [] : ['--endpoint-kinesis', target.kinesisEndpoint]),
    ...(target.dynamoDbEndpoint === undefined ? [] : ['--endpoint-dynamodb', target.dynamoDbEndpoint]),
    ...(target.region === undefined ? [] : ['--region', target.region]),
  ];
}

/** A port and the client under it, which the caller closes when done. */
export interface Connected<P, C> {
  readonly port: P;
  /** The SDK client, for the library's `deps` (handed in, so the library does not destroy it). */
  readonly client: C;
  /** Destroys the client. */
  readonly close: () => void;
}

/**
 * Every call of the command line answers within this long or fails: an endpoint that stopped
 * answering (an emulator shutting down after Ctrl-C) must not hang a command.
 */
const REQUEST_TIMEOUT_MILLIS = 20_000;

/**
 * A Kinesis client for `target`, over HTTP/1.1 unless told otherwise: kinesalite speaks nothing
 * else and kinesis-local cuts off some HTTP/2 answers, and polling is not sped up by HTTP/2.
 * Enhanced fan-out on AWS needs HTTP/2 (`http1: false`).
 */
export function connectKinesis(target: AwsTarget, { http1 = true }: { readonly http1?: boolean } = {}): Connected<KinesisPort & KinesisAdminPort, ReturnType<typeof kinesisClient>> {
  const client = kinesisClient({
    http1,
    requestTimeoutMillis: REQUEST_TIMEOUT_MILLIS,
    ...(target.region === undefined ? {} : { region: target.region }),
    ...(target.kinesisEndpoint === undefined ? {} : { endpoint: target.kinesisEndpoint }),
  });
  return { port: awsKinesisPort(client), client, close: () => client.destroy() };
}

/** A DynamoDB client for `target`. */
export function connectDynamoDb(target: AwsTarget): Connected<LeaseStorePort & LeaseStoreAdminPort, ReturnType<typeof dynamoDbClient>> {
  const client = dynamoDbClient({
    requestTimeoutMillis: REQUEST_TIMEOUT_MILLIS,
    ...(target.region === undefined ? {} : { region: target.region }),
    ...(target.dynamoDbEndpoint === undefined ? {} : { endpoint: target.dynamoDbEndpoint }),
  });
  return { port: awsLeaseStorePort(client), client, close: () => client.destroy() };
}

/**
 * A one-line explanation of an error from AWS or the library, with a hint where the SDK's own
 * message leaves the user guessing.
 */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/region is missing/i.test(message)) return `${message}: pass --region or set AWS_REGION`;
  if (/could not load credentials/i.test(message)) return `${message}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile`;
  if (/ECONNREFUSED/.test(message)) return `${message}: is the endpoint running? (npm run emulators starts local ones)`;
  return message;
}
