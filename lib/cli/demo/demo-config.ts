/**
 * The `kinesis` configuration the demo's producer and workers run with, in the seed's keys (so it
 * also shows how an application configures the library). Short failover and polling periods make
 * the demo quick; checkpoints every second keep redeliveries after a kill small.
 * @packageDocumentation
 */
import { consumerConf, type ConsumerConf } from '../../config/consumer-config';
import { decodeKinesisConfig } from '../../config/kinesis-config';
import { producerConf, type ProducerConf } from '../../config/producer-config';

export const DEMO_APPLICATION_NAME = 'reactive-kinesis-demo';
const CONSUMER_SECTION = 'demo-consumer';
const PRODUCER_SECTION = 'demo-producer';

/** What the configuration is made from. */
export interface DemoNames {
  readonly streamName: string;
  readonly tableName: string;
}

/** The demo's configuration object, with one consumer section (for `workerId`) and one producer section. */
export function demoKinesisConfig(
  names: DemoNames,
  consumer: { readonly workerId: string; readonly failoverTimeMillis: number; readonly fanOut?: boolean },
): Record<string, unknown> {
  return {
    'application-name': DEMO_APPLICATION_NAME,
    [CONSUMER_SECTION]: {
      'stream-name': names.streamName,
      kcl: {
        workerId: consumer.workerId,
        tableName: names.tableName,
        initialPositionInStream: 'TRIM_HORIZON',
        failoverTimeMillis: consumer.failoverTimeMillis,
        idleTimeBetweenReadsInMillis: 250,
        parentShardPollIntervalMillis: 1000,
        ...(consumer.fanOut === true ? { retrievalMode: 'FANOUT' } : {}),
      },
      checkpointer: { intervalMillis: 1000, backoffMillis: 500 },
      worker: { shutdownTimeoutSeconds: 10 },
    },
    [PRODUCER_SECTION]: {
      'stream-name': names.streamName,
      // Enough events in flight to fill several aggregates per shard while a PutRecords is under way.
      akka: { 'max-outstanding-requests': 20_000 },
      kpl: { RecordMaxBufferedTime: 100, AggregationMaxSize: 262_144 },
    },
  };
}

/** The consumer configuration of worker `workerId`. */
export function demoConsumerConf(names: DemoNames, workerId: string, failoverTimeMillis: number, fanOut = false): ConsumerConf {
  return consumerConf(decodeKinesisConfig(demoKinesisConfig(names, { workerId, failoverTimeMillis, fanOut })), CONSUMER_SECTION);
}

/** The producer configuration. */
export function demoProducerConf(names: DemoNames): ProducerConf {
  return producerConf(decodeKinesisConfig(demoKinesisConfig(names, { workerId: 'producer', failoverTimeMillis: 10_000 })), PRODUCER_SECTION);
}
