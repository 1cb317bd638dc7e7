/**
 * The typed producer configuration the producer modules take, and `producerConf`, which builds it
 * from a named section of a decoded {@link KinesisConfig}. Each field names the seed key it comes
 * from and its default (the KPL's).
 * @packageDocumentation
 */
import type { ConfigIssue } from '../model/errors';
import type { KinesisConfig } from './kinesis-config';
import { frozenCopy } from './merge';
import { ProducerSection, type RawProducerSection } from './producer-codec';
import { check, invalid, orThrow, valid, type Checked } from './report';
import { resolveSection, sectionPath, streamNameMissing } from './sections';

// -------------------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------------------

/** Packing user records into one Kinesis record (KPL aggregation). */
export interface AggregationConf {
  /** `kpl.AggregationEnabled`, default true. */
  readonly enabled: boolean;
  /** `kpl.AggregationMaxCount`, default 4294967295: user records per aggregate (clamped to 2^53 − 1). */
  readonly maxCount: number;
  /** `kpl.AggregationMaxSize`, default 51200 (64..1048576): bytes per aggregate; larger records go alone. */
  readonly maxSize: number;
}

/** Packing Kinesis records into one PutRecords call. */
export interface CollectionConf {
  /** `kpl.CollectionMaxCount`, default 500 (1..500). */
  readonly maxCount: number;
  /** `kpl.CollectionMaxSize`, default 5242880 (52224..5242880, the PutRecords limit). */
  readonly maxSize: number;
}

/** Where the Kinesis client built from configuration points (an injected client ignores this). */
export interface ProducerAwsConf {
  /** `kpl.Region`; default unset: the SDK's region resolution applies. */
  readonly region?: string;
  /**
   * `kpl.KinesisEndpoint` as a URL (a bare host means HTTPS, as the KPL always used TLS), with
   * `kpl.KinesisPort` added when it is not 443 and the endpoint names no port; default unset.
   */
  readonly kinesisEndpoint?: string;
  /** `kpl.VerifyCertificate`, default true: check the endpoint's TLS certificate. */
  readonly verifyCertificate: boolean;
}

/**
 * Everything a producer needs, typed. Built by {@link producerConf}.
 *
 * Seed keys accepted but without effect: `akka.dispatcher` (schedulers are injected),
 * `kpl.CredentialsRefreshDelay` (the SDK refreshes credentials), `kpl.Metrics*`,
 * `kpl.Cloudwatch*` (no metrics are published), `kpl.EnableCoreDumps`, `kpl.NativeExecutable`,
 * `kpl.TempDirectory`, `kpl.ThreadingModel` and `kpl.ThreadPoolSize` (no native daemon).
 */
export interface ProducerConf {
  /** `stream-name`, required. */
  readonly streamName: string;
  /** `akka.max-outstanding-requests`, default 1000: user records in flight before input waits. */
  readonly maxOutstandingRequests: number;
  /** `akka.throttling-retry-millis`, default 100: how often a throttled producer checks again. */
  readonly throttlingRetryMillis: number;
  readonly aggregation: AggregationConf;
  readonly collection: CollectionConf;
  /** `kpl.RateLimit`, default 150: per-shard put rate as a percentage of the shard's limits. */
  readonly rateLimitPercent: number;
  /** `kpl.RecordMaxBufferedTime`, default 100: longest a record waits in buffers before sending. */
  readonly recordMaxBufferedTimeMillis: number;
  /** `kpl.RecordTtl`, default 30000 (≥ 100): a record not put within this time fails. */
  readonly recordTtlMillis: number;
  /** `kpl.FailIfThrottled`, default false: fail throttled records at once instead of retrying. */
  readonly failIfThrottled: boolean;
  /** `kpl.RequestTimeout`, default 6000 (100..600000). */
  readonly requestTimeoutMillis: number;
  /** `kpl.ConnectTimeout`, default 6000 (100..300000). */
  readonly connectTimeoutMillis: number;
  /** `kpl.MaxConnections`, default 24 (1..256): concurrent requests to Kinesis. */
  readonly maxConnections: number;
  /** `kpl.MinConnections`, default 1 (1..16, ≤ MaxConnections): connections kept open. */
  readonly minConnections: number;
  /**
   * `kpl.MaxUserRecordSize`, default 1048576: a user record whose data plus partition key is larger
   * fails at once, as Kinesis counts them; aggregates stay within it too. Raise it (up to 10 MiB)
   * for a stream whose maximum record size is raised.
   */
  readonly maxUserRecordSize: number;
  /** `kpl.LogLevel`, default `info`. */
  readonly logLevel: 'info' | 'warning' | 'error';
  readonly aws: ProducerAwsConf;
}

// -------------------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------------------

/** The built-in producer defaults, keyed as in a `default-producer` section (no `stream-name`). */
export const DEFAULT_PRODUCER_SECTION: RawProducerSection = frozenCopy(orThrow(check(ProducerSection, {}, sectionPath('default-producer'))));

function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  if (port === 443 || parsed.port !== '') return url;
  parsed.port = String(port);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/** The one place the raw, seed-keyed section becomes a {@link ProducerConf}, with cross-key checks. */
export function toProducerConf(raw: RawProducerSection, name: string): Checked<ProducerConf> {
  const path = sectionPath(name);
  const { akka, kpl } = raw;
  const streamName = raw['stream-name'];
  const issues: ConfigIssue[] = [];
  if (streamName === undefined) issues.push(streamNameMissing(name));
  if (kpl.MinConnections > kpl.MaxConnections) {
    issues.push({ path: `${path}.kpl.MinConnections`, message: `must not exceed MaxConnections (${kpl.MaxConnections}), got ${kpl.MinConnections}` });
  }
  if (streamName === undefined || issues.length > 0) return invalid(issues);

  return valid(
    frozenCopy<ProducerConf>({
      streamName,
      maxOutstandingRequests: akka['max-outstanding-requests'],
      throttlingRetryMillis: akka['throttling-retry-millis'],
      aggregation: { enabled: kpl.AggregationEnabled, maxCount: kpl.AggregationMaxCount, maxSize: kpl.AggregationMaxSize },
      collection: { maxCount: kpl.CollectionMaxCount, maxSize: kpl.CollectionMaxSize },
      rateLimitPercent: kpl.RateLimit,
      recordMaxBufferedTimeMillis: kpl.RecordMaxBufferedTime,
      recordTtlMillis: kpl.RecordTtl,
      failIfThrottled: kpl.FailIfThrottled,
      requestTimeoutMillis: kpl.RequestTimeout,
      connectTimeoutMillis: kpl.ConnectTimeout,
      maxConnections: kpl.MaxConnections,
      minConnections: kpl.MinConnections,
      maxUserRecordSize: kpl.MaxUserRecordSize,
      logLevel: kpl.LogLevel,
      aws: {
        ...(kpl.Region === undefined ? {} : { region: kpl.Region }),
        ...(kpl.KinesisEndpoint === undefined ? {} : { kinesisEndpoint: withPort(kpl.KinesisEndpoint, kpl.KinesisPort) }),
        verifyCertificate: kpl.VerifyCertificate,
      },
    }),
  );
}

/** {@link producerConf} without throwing: the conf, or every issue. */
export function checkProducerConf(config: KinesisConfig, name: string): Checked<ProducerConf> {
  const raw = resolveSection(ProducerSection, config.source, 'default-producer', name, 'producer');
  return raw.ok ? toProducerConf(raw.value, name) : raw;
}

/**
 * The producer named `name`: section `kinesis.<name>` deep-merged over `kinesis.default-producer`
 * (nested objects key by key), then over the built-in defaults ({@link DEFAULT_PRODUCER_SECTION}).
 *
 * @example
 * producerConf(decodeKinesisConfig({ 'my-producer': { 'stream-name': 's', kpl: { Region: 'eu-west-1' } } }), 'my-producer')
 * @throws {ConfigError} when the section is missing, `stream-name` is missing or empty, the section
 *   holds consumer keys, or MinConnections exceeds MaxConnections.
 */
export function producerConf(config: KinesisConfig, name: string): ProducerConf {
  return orThrow(checkProducerConf(config, name));
}
