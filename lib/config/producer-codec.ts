/**
 * The raw producer section, keyed exactly as the seed's `kinesis.default-producer` /
 * `kinesis.<producer-name>` (seed-spec §1.4), with the KPL 0.12 defaults and ranges. This codec is
 * the single source of truth for which keys exist, their types, ranges and defaults;
 * `producer-config.ts` maps its output to {@link ProducerConf}.
 *
 * Ranges follow the KPL, narrowed where Kinesis itself is narrower (an aggregate is one Kinesis
 * record, at most 1 MiB; a PutRecords call carries at most 5 MiB). Settings the KPL bounds only by
 * Java's Long.MAX_VALUE are accepted up to it and clamped: counts to Number.MAX_SAFE_INTEGER, times
 * to the longest timer Node can schedule (2^31 − 1 ms).
 *
 * Keys accepted for compatibility but without effect here are marked *ignored*.
 * @packageDocumentation
 */
import * as t from 'io-ts';
import {
  JAVA_LONG_MAX,
  MAX_TIMER_MILLIS,
  bool,
  endpoint,
  intInRange,
  nonEmptyString,
  oneOf,
  optional,
  str,
  strictObject,
  withDefault,
} from './codecs';
import { streamName } from './consumer-codec';

const int = (min: number, max: number | bigint | undefined, fallback: number, unit?: string) =>
  withDefault(intInRange(min, max, unit === undefined ? {} : { unit }), fallback as t.Int);
const unboundedCount = (min: number, fallback: number) =>
  withDefault(intInRange(min, JAVA_LONG_MAX, { clampAbove: Number.MAX_SAFE_INTEGER }), fallback as t.Int);
const unboundedMillis = (min: number, fallback: number) =>
  withDefault(intInRange(min, JAVA_LONG_MAX, { unit: 'milliseconds', clampAbove: MAX_TIMER_MILLIS }), fallback as t.Int);

/** `akka.*` of a producer: the seed's actor throttling, which bounds records in flight here. */
const ProducerAkka = strictObject('producer akka', {
  /** *Ignored*: an Akka dispatcher path. Schedulers are injected instead. */
  dispatcher: withDefault(str, 'kinesis.akka.default-dispatcher'),
  /** The seed's sink used 1000 when the key was absent; here it always bounds records in flight. */
  'max-outstanding-requests': int(1, undefined, 1000),
  'throttling-retry-millis': int(1, MAX_TIMER_MILLIS, 100, 'milliseconds'),
});

/** `kpl.*`: the KPL 0.12.11 configuration, PascalCase and case-sensitive as the KPL's setters. */
const Kpl = strictObject('kpl', {
  AggregationEnabled: withDefault(bool, true),
  AggregationMaxCount: unboundedCount(1, 4294967295),
  AggregationMaxSize: int(64, 1048576, 51200, 'bytes'),
  CollectionMaxCount: int(1, 500, 500),
  CollectionMaxSize: int(52224, 5242880, 5242880, 'bytes'),
  ConnectTimeout: int(100, 300000, 6000, 'milliseconds'),
  /** *Ignored*: the AWS SDK refreshes credentials itself. */
  CredentialsRefreshDelay: int(1, 300000, 5000, 'milliseconds'),
  /** *Ignored*: CloudWatch metrics are not published. */
  CloudwatchEndpoint: optional(str),
  /** *Ignored*. */
  CloudwatchPort: int(1, 65535, 443),
  /** *Ignored*: there is no native daemon. */
  EnableCoreDumps: withDefault(bool, false),
  FailIfThrottled: withDefault(bool, false),
  /** A host (HTTPS, as the KPL always used TLS) or, unlike the KPL, a full http(s) URL. */
  KinesisEndpoint: optional(endpoint),
  KinesisPort: int(1, 65535, 443),
  LogLevel: withDefault(oneOf(['info', 'warning', 'error']), 'info'),
  MaxConnections: int(1, 256, 24),
  MinConnections: int(1, 16, 1),
  /** *Ignored*. */
  MetricsGranularity: withDefault(oneOf(['global', 'stream', 'shard']), 'shard'),
  /** *Ignored*. */
  MetricsLevel: withDefault(oneOf(['none', 'summary', 'detailed']), 'detailed'),
  /** *Ignored*. */
  MetricsNamespace: withDefault(str, 'KinesisProducerLibrary'),
  /** *Ignored*. */
  MetricsUploadDelay: int(1, 60000, 60000, 'milliseconds'),
  /** *Ignored*: there is no native daemon. */
  NativeExecutable: optional(str),
  /** *Ignored*: there is no native daemon. */
  TempDirectory: optional(str),
  RateLimit: unboundedCount(1, 150),
  RecordMaxBufferedTime: unboundedMillis(0, 100),
  RecordTtl: unboundedMillis(100, 30000),
  Region: optional(nonEmptyString),
  RequestTimeout: int(100, 600000, 6000, 'milliseconds'),
  VerifyCertificate: withDefault(bool, true),
  /** *Ignored*: there are no native threads. */
  ThreadingModel: withDefault(oneOf(['PER_REQUEST', 'POOLED']), 'PER_REQUEST'),
  /** *Ignored*: there are no native threads. */
  ThreadPoolSize: int(0, undefined, 0),
  MaxUserRecordSize: int(64, 10485760, 1048576, 'bytes'),
});

const CONSUMER_KEY = 'a consumer key: this section is read as a producer';

/** A producer section (`kinesis.default-producer` or `kinesis.<producer-name>`). */
export const ProducerSection = strictObject(
  'producer section',
  {
    /** Required once the section is merged over `default-producer`. */
    'stream-name': optional(streamName),
    akka: ProducerAkka,
    kpl: Kpl,
  },
  { kcl: CONSUMER_KEY, worker: CONSUMER_KEY, checkpointer: CONSUMER_KEY },
);

/** A decoded producer section, defaults applied, keyed as in the file. */
export type RawProducerSection = t.TypeOf<typeof ProducerSection>;

/** Keys whose presence marks a section as a producer (`akka.*` ones are checked inside `akka`). */
export const PRODUCER_ONLY_KEYS: readonly string[] = ['kpl'];
export const PRODUCER_ONLY_AKKA_KEYS: readonly string[] = ['max-outstanding-requests', 'throttling-retry-millis'];
