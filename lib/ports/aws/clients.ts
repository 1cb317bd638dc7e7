/**
 * Default SDK clients, and the ports on whatever the caller handed in: a port, a client the
 * caller shares with the rest of the application, or nothing (a client built here from options).
 *
 * Nothing is set that the caller did not ask for, so the SDK's own defaults apply: the default
 * credential chain, the region from the environment or profile, and the endpoint from
 * `AWS_ENDPOINT_URL_KINESIS` / `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` when no endpoint is given.
 * @packageDocumentation
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient, type KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { KinesisAdminPort, KinesisFanOutPort, KinesisPort } from '../kinesis-port';
import type { LeaseStoreAdminPort, LeaseStorePort } from '../lease-store-port';
import { awsLeaseStorePort, type AwsLeaseStorePortOptions } from './dynamo-lease-store';
import { awsKinesisPort, type AwsKinesisPortOptions } from './kinesis-adapter';
import { KinesisJsonProtocol } from './kinesis-json-protocol';

/** How to build a default client. Every field is optional; absent fields keep the SDK's default. */
export interface AwsClientOptions {
  readonly region?: string;
  /** A full URL such as `http://127.0.0.1:4566`. Absent: the SDK's endpoint variables, then AWS. */
  readonly endpoint?: string;
  /** Fixed credentials or a provider. Absent: the SDK's default credential chain. */
  readonly credentials?: KinesisClientConfig['credentials'];
  /**
   * Talk HTTP/1.1 to Kinesis (keep-alive) instead of the SDK's HTTP/2 default. Needed for
   * emulators that speak only HTTP/1.1 (kinesalite). DynamoDB always uses HTTP/1.1.
   */
  readonly http1?: boolean;
  /** Attempts per call, including the first, of the SDK's own retry. */
  readonly maxAttempts?: number;
  /** Fail a request with no complete response after this long. */
  readonly requestTimeoutMillis?: number;
  /** Added to the SDK's User-Agent header, so that requests can be told apart in CloudTrail. */
  readonly userAgent?: string;
}

function keepAliveHandler(requestTimeoutMillis: number | undefined): NodeHttpHandler {
  return new NodeHttpHandler({
    httpAgent: new HttpAgent({ keepAlive: true }),
    httpsAgent: new HttpsAgent({ keepAlive: true }),
    ...(requestTimeoutMillis === undefined ? {} : { requestTimeout: requestTimeoutMillis, throwOnRequestTimeout: true }),
  });
}

function commonConfig(options: AwsClientOptions) {
  const { region, endpoint, credentials, maxAttempts, userAgent } = options;
  return {
    ...(region === undefined ? {} : { region }),
    ...(userAgent === undefined ? {} : { customUserAgent: userAgent }),
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(credentials === undefined ? {} : { credentials }),
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  };
}

/**
 * A Kinesis client built from `options`, SDK defaults for everything not given. PutRecords bodies are
 * written with Node's native base64 (`KinesisJsonProtocol`), several times faster than the SDK's.
 */
export function kinesisClient(options: AwsClientOptions = {}): KinesisClient {
  const { http1 = false, requestTimeoutMillis } = options;
  const requestHandler = http1
    ? keepAliveHandler(requestTimeoutMillis)
    : requestTimeoutMillis === undefined
      ? undefined
      : new NodeHttp2Handler({ requestTimeout: requestTimeoutMillis });
  return new KinesisClient({
    ...commonConfig(options),
    protocol: KinesisJsonProtocol,
    ...(requestHandler === undefined ? {} : { requestHandler }),
  });
}

/**
 * A DynamoDB client built from `options`, SDK defaults for everything not given.
 *
 * The SDK's own retries stay on (its DynamoDB default, or `maxAttempts`): they carry reads
 * and unconditional writes through throttling and dropped connections. A conditional lease write
 * they send again may fail its condition on what its first, answer-lost attempt wrote; the lease
 * store port reports that as `ConditionFailed` with `maybeApplied`, from the attempts the SDK
 * records, so the caller reads the lease back instead of taking the write as refused. Turning the
 * retries off would only trade this for a retryable error of unknown outcome, and clients that
 * users hand in keep whatever retry settings they have anyway.
 */
export function dynamoDbClient(options: AwsClientOptions = {}): DynamoDBClient {
  const { requestTimeoutMillis } = options;
  return new DynamoDBClient({
    ...commonConfig(options),
    ...(requestTimeoutMillis === undefined ? {} : { requestHandler: keepAliveHandler(requestTimeoutMillis) }),
  });
}

/** A port, and how to let go of what was built for it. */
export interface ResolvedPort<P> {
  readonly port: P;
  /** Destroys the client when it was built here; a no-op for a port or client the caller handed in. */
  readonly release: () => void;
}

function isPort<P extends object>(value: object, method: keyof P): value is P {
  return typeof (value as Record<PropertyKey, unknown>)[method] === 'function';
}

/**
 * The Kinesis port for what the caller handed in: a port as it is, a client wrapped (not owned),
 * or a client built from `clientOptions` (owned: `release` destroys it).
 */
export function resolveKinesisPort(
  kinesis: KinesisPort | KinesisClient | undefined,
  clientOptions: AwsClientOptions = {},
  portOptions: AwsKinesisPortOptions = {},
): ResolvedPort<KinesisPort & Partial<KinesisAdminPort> & Partial<KinesisFanOutPort>> {
  if (kinesis !== undefined && isPort<KinesisPort>(kinesis, 'listShards')) return { port: kinesis, release: () => undefined };
  if (kinesis !== undefined) return { port: awsKinesisPort(kinesis, portOptions), release: () => undefined };
  const client = kinesisClient(clientOptions);
  return { port: awsKinesisPort(client, portOptions), release: () => client.destroy() };
}

/**
 * The lease store port for what the caller handed in: a port as it is, a client wrapped (not
 * owned), or a client built from `clientOptions` (owned: `release` destroys it).
 */
export function resolveLeaseStorePort(
  leases: LeaseStorePort | DynamoDBClient | undefined,
  clientOptions: AwsClientOptions = {},
  portOptions: AwsLeaseStorePortOptions = {},
): ResolvedPort<LeaseStorePort & Partial<LeaseStoreAdminPort>> {
  if (leases !== undefined && isPort<LeaseStorePort>(leases, 'listLeases')) return { port: leases, release: () => undefined };
  if (leases !== undefined) return { port: awsLeaseStorePort(leases, portOptions), release: () => undefined };
  const client = dynamoDbClient(clientOptions);
  return { port: awsLeaseStorePort(client, portOptions), release: () => client.destroy() };
}
