/**
 * What the consumer integration tests share: the emulators' clients, a fresh stream and lease
 * table per test, consumers that record what they receive, and a wait on real time.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Subject, lastValueFrom, type Subscription } from 'rxjs';
import { consumerConf, type ConsumerConf } from '../../lib/config/consumer-config';
import { decodeKinesisConfig } from '../../lib/config/kinesis-config';
import { consume$ } from '../../lib/consumer/consume';
import type { ConsumeOptions } from '../../lib/consumer/consumer-settings';
import type { Lease } from '../../lib/model/lease';
import { awsKinesisPort } from '../../lib/ports/aws/kinesis-adapter';
import { awsLeaseStorePort } from '../../lib/ports/aws/dynamo-lease-store';
import type { KinesisAdminPort, KinesisPort, PutRecordsEntry } from '../../lib/ports/kinesis-port';
import type { LeaseStoreAdminPort, LeaseStorePort } from '../../lib/ports/lease-store-port';
import { dynalite, kinesisLocal, testDynamoDbClient, testKinesisClient, uniqueName } from '../support/emulators';
import { ownerCounts } from '../../lib/cli/lease-table';
import { DeliveryLog, texts } from '../../spec/support/deliveries';

/** The emulators' endpoints and one client of each, shared by the consumer tests. */
export interface Emulators {
  readonly kinesisEndpoint: string;
  readonly dynamoEndpoint: string;
  readonly kinesis: KinesisClient;
  readonly dynamo: DynamoDBClient;
}

let emulators$: Promise<Emulators> | undefined;

export function emulators(): Promise<Emulators> {
  return (emulators$ ??= (async () => {
    const [kl, dl] = await Promise.all([kinesisLocal(), dynalite()]);
    return { kinesisEndpoint: kl.endpoint, dynamoEndpoint: dl.endpoint, kinesis: testKinesisClient(kl.endpoint), dynamo: testDynamoDbClient(dl.endpoint) };
  })());
}

/** A fresh stream and lease table, deleted by {@link TestStream.dispose}. */
export class TestStream {
  readonly name: string;
  readonly table = uniqueName('leases');
  readonly kinesisPort: KinesisPort & KinesisAdminPort;
  readonly leasePort: LeaseStorePort & LeaseStoreAdminPort;

  private constructor(
    readonly env: Emulators,
    prefix: string,
  ) {
    this.name = uniqueName(prefix);
    this.kinesisPort = awsKinesisPort(env.kinesis);
    this.leasePort = awsLeaseStorePort(env.dynamo);
  }

  /**
   * @param prefix of the stream's name. kinesis-local cannot subscribe to a stream whose name starts
   *   with "consumer" (it misreads the consumer ARN), so fan-out tests pass another.
   */
  static async create(shardCount: number, prefix = 'consumer'): Promise<TestStream> {
    const stream = new TestStream(await emulators(), prefix);
    await lastValueFrom(stream.kinesisPort.createStream(stream.name, shardCount), { defaultValue: undefined });
    return stream;
  }

  /** Writes one plain record per text, its partition key given by `key` (the text itself by default). */
  async put(texts: readonly string[], key: (text: string) => string = (text) => text): Promise<void> {
    await this.putEntries(texts.map((text) => ({ partitionKey: key(text), data: Buffer.from(text) })));
  }

  async putEntries(entries: readonly PutRecordsEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 500) {
      const results = await lastValueFrom(this.kinesisPort.putRecords(this.name, entries.slice(i, i + 500)));
      const failed = results.filter((r) => r._tag === 'Failed');
      if (failed.length > 0) throw new Error(`PutRecords: ${failed.length} records failed`);
    }
  }

  async shardIds(): Promise<string[]> {
    return (await lastValueFrom(this.kinesisPort.listShards(this.name))).map((s) => s.shardId).sort();
  }

  async leases(): Promise<readonly Lease[]> {
    return lastValueFrom(this.leasePort.listLeases(this.table));
  }

  /** Unfinished leases per owner. */
  async owners(): Promise<Record<string, number>> {
    return ownerCounts(await this.leases());
  }

  /**
   * The `kinesis` configuration of a consumer named `consumer` on this stream and table: short
   * failover, idle and checkpoint periods.
   */
  config(workerId: string, kcl: object = {}): object {
    return {
      'application-name': 'it',
      consumer: {
        'stream-name': this.name,
        kcl: {
          workerId,
          tableName: this.table,
          failoverTimeMillis: 1500,
          idleTimeBetweenReadsInMillis: 200,
          parentShardPollIntervalMillis: 200,
          taskBackoffTimeMillis: 100,
          ...kcl,
        },
        checkpointer: { intervalMillis: 200, backoffMillis: 200 },
        worker: { shutdownTimeoutSeconds: 3 },
      },
    };
  }

  conf(workerId: string, kcl: object = {}): ConsumerConf {
    return consumerConf(decodeKinesisConfig(this.config(workerId, kcl)), 'consumer');
  }

  async dispose(): Promise<void> {
    await Promise.all([
      lastValueFrom(this.kinesisPort.deleteStream(this.name), { defaultValue: undefined }),
      lastValueFrom(this.leasePort.deleteTable(this.table), { defaultValue: undefined }),
    ]);
  }
}

/** An in-process consumer (a worker) that records what it receives. */
export class RunningConsumer extends DeliveryLog {
  error: unknown;
  completed = false;
  /** Commit each event as it arrives. */
  autoCommit = true;
  private readonly stop$ = new Subject<void>();
  private readonly subscription: Subscription;
  private readonly done: Promise<void>;

  constructor(
    readonly id: string,
    conf: ConsumerConf,
    env: Emulators,
    options: { readonly autoCommit?: boolean; readonly kinesis?: KinesisPort; readonly outOfRangeRecords?: ConsumeOptions['outOfRangeRecords'] } = {},
  ) {
    super();
    this.autoCommit = options.autoCommit ?? true;
    let finished: () => void = () => undefined;
    this.done = new Promise((resolve) => (finished = resolve));
    const { outOfRangeRecords } = options;
    this.subscription = consume$(
      conf,
      { kinesis: options.kinesis ?? env.kinesis, leases: env.dynamo, onDiagnostic: (d) => this.diagnostics.push(d) },
      { stop$: this.stop$, ...(outOfRangeRecords === undefined ? {} : { outOfRangeRecords }) },
    ).subscribe({
      next: (event) => {
        this.record(event, Date.now());
        if (this.autoCommit) event.commit();
      },
      error: (error: unknown) => {
        this.error = error;
        finished();
      },
      complete: () => {
        this.completed = true;
        finished();
      },
    });
  }

  /** Stops gracefully and resolves once the final checkpoints and releases are done. */
  async stop(): Promise<void> {
    this.stop$.next();
    await this.done;
  }

  /** Unsubscribes without waiting. */
  unsubscribe(): void {
    this.subscription.unsubscribe();
  }
}

/** Resolves once `condition` holds, checking every 50 ms; rejects after `timeoutMillis`, saying what it waited for. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMillis = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMillis} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export { texts };

/** True when every text is among `seen`. */
export function coversAll(seen: Iterable<string>, expected: readonly string[]): boolean {
  const set = new Set(seen);
  return expected.every((t) => set.has(t));
}
