/**
 * The one place a `ProducerConf` (seed and KPL keys) becomes the small option objects the producer
 * modules take.
 * @packageDocumentation
 */
import type { ProducerConf } from '../config/producer-config';
import { AGGREGATE_PARTITION_KEY } from '../kpl/aggregate-builder';
import type { AggregationLimits } from './aggregate';
import { checkBackoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import type { CollectionLimits } from './collect';
import { partitionKeyBytes } from './pending-record';
import type { ValidateOptions } from './validate';

/** Producer options that are not part of the seed's configuration. */
export interface ProduceOptions {
  /**
   * Most events held waiting while `max-outstanding-requests` are in flight (RxJS sources cannot be
   * paused). An event offered beyond it fails at once with `ProducerOverflowError`.
   * Default: 100 × `max-outstanding-requests`. `Infinity` waits without bound.
   */
  readonly maxBufferedEvents?: number;
  /** Waits between retries of refused records. Default 100 ms doubling to 2 s. */
  readonly retryBackoff?: BackoffOptions;
}

/** How long the first request of a shard map load may retry, and how (the KPL's figures). */
export const SHARD_MAP_RETRY = { initialMillis: 1000, multiplier: 1.5, maxMillis: 30000 } as const;

/** The KPL holds an aggregating request at most this long for more records to join. */
const MAX_COLLECTION_LINGER_MILLIS = 50;
const COLLECTION_LINGER_RATIO = 0.2;

/** Everything the producer pipeline reads from its configuration. */
export interface ProducerSettings {
  readonly streamName: string;
  /** Events admitted into the pipeline at once (`akka.max-outstanding-requests`). */
  readonly maxOutstanding: number;
  readonly maxBufferedEvents: number;
  /** PutRecords requests in flight at once (`kpl.MaxConnections`). */
  readonly maxInFlightRequests: number;
  readonly validation: ValidateOptions;
  readonly aggregation: AggregationLimits;
  readonly collection: CollectionLimits;
  /** `kpl.RecordMaxBufferedTime`. */
  readonly maxBufferedTimeMillis: number;
  /** How long a request waits for more Kinesis records (see `CollectOptions.lingerMillis`). */
  readonly collectionLingerMillis: number;
  /** `kpl.RecordTtl`. */
  readonly recordTtlMillis: number;
  /** `kpl.RateLimit`. */
  readonly rateLimitPercent: number;
  /** `kpl.FailIfThrottled`. */
  readonly failIfThrottled: boolean;
  /** `kpl.RequestTimeout`. */
  readonly requestTimeoutMillis: number;
  readonly retryBackoff: Required<BackoffOptions>;
}

/**
 * Reads a producer configuration and options into {@link ProducerSettings}.
 * @throws TypeError when an option is out of range
 */
export function producerSettings(conf: ProducerConf, options: ProduceOptions = {}): ProducerSettings {
  const maxBufferedEvents = options.maxBufferedEvents ?? 100 * conf.maxOutstandingRequests;
  if (!(maxBufferedEvents >= 0)) throw new TypeError(`maxBufferedEvents must be ≥ 0, got ${maxBufferedEvents}`);
  const bufferedTime = conf.recordMaxBufferedTimeMillis;
  return {
    streamName: conf.streamName,
    maxOutstanding: conf.maxOutstandingRequests,
    maxBufferedEvents,
    maxInFlightRequests: conf.maxConnections,
    validation: { maxUserRecordSize: conf.maxUserRecordSize },
    aggregation: {
      enabled: conf.aggregation.enabled,
      maxCount: conf.aggregation.maxCount,
      // An aggregate is one Kinesis record: its data and partition key stay within MaxUserRecordSize too.
      maxSize: Math.min(conf.aggregation.maxSize, conf.maxUserRecordSize - partitionKeyBytes(AGGREGATE_PARTITION_KEY)),
    },
    collection: { maxCount: conf.collection.maxCount, maxSize: conf.collection.maxSize },
    maxBufferedTimeMillis: Math.min(bufferedTime, conf.recordTtlMillis),
    collectionLingerMillis: conf.aggregation.enabled
      ? Math.min(MAX_COLLECTION_LINGER_MILLIS, COLLECTION_LINGER_RATIO * bufferedTime)
      : Math.min(bufferedTime, conf.recordTtlMillis),
    recordTtlMillis: conf.recordTtlMillis,
    rateLimitPercent: conf.rateLimitPercent,
    failIfThrottled: conf.failIfThrottled,
    requestTimeoutMillis: conf.requestTimeoutMillis,
    retryBackoff: checkBackoff(options.retryBackoff ?? DEFAULT_BACKOFF),
  };
}
