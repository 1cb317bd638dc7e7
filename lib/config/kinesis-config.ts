/**
 * Reading the seed's `kinesis` configuration object (seed-spec §1.1): global keys, the
 * `default-consumer` / `default-producer` sections, and any number of named consumer and producer
 * sections. The whole object is checked at once, so one {@link ConfigError} lists every problem.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue } from '../model/errors';
import { describeValue, isPlainObject, nonEmptyString, withDefault } from './codecs';
import { ConsumerSection, CONSUMER_ONLY_KEYS } from './consumer-codec';
import { checkConsumerConf } from './consumer-config';
import { frozenCopy } from './merge';
import { PRODUCER_ONLY_AKKA_KEYS, PRODUCER_ONLY_KEYS, ProducerSection } from './producer-codec';
import { checkProducerConf } from './producer-config';
import { check, distinctIssues } from './report';
import { GLOBAL_KEYS, sectionNames, sectionPath } from './sections';
import { suggestKey } from './suggest';

/** `kinesis.application-name` when absent. The seed's value, kept for lease-table compatibility: set your own. */
export const DEFAULT_APPLICATION_NAME = 'KinesisProducer';

/** A checked `kinesis` configuration; pass it to {@link consumerConf} or {@link producerConf}. */
export interface KinesisConfig {
  /**
   * `kinesis.application-name`, default {@link DEFAULT_APPLICATION_NAME}. Consumers name their
   * lease table `<application-name>-<stream-name>`; producers do not use it.
   */
  readonly applicationName: string;
  /** The consumer and producer section names, in the order written. */
  readonly sectionNames: readonly string[];
  /** The `kinesis` object as given (deep-frozen copy); already checked in full. */
  readonly source: Readonly<Record<string, unknown>>;
}

function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([{ path: file, message: `cannot read the file: ${(error as Error).message}` }]);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (error) {
    throw new ConfigError([{ path: file, message: `not valid JSON: ${(error as Error).message}` }]);
  }
}

/** The inner `kinesis` object of `input`, which may be wrapped as `{ kinesis: {...} }`. */
function unwrap(input: unknown): Record<string, unknown> {
  if (!isPlainObject(input)) {
    throw new ConfigError([{ path: 'kinesis', message: `expected an object or the path of a JSON file, got ${describeValue(input)}` }]);
  }
  if (!('kinesis' in input)) return input;
  const inner = input['kinesis'];
  if (!isPlainObject(inner)) throw new ConfigError([{ path: 'kinesis', message: `expected an object, got ${describeValue(inner)}` }]);
  return inner;
}

function producerKeysOf(section: Record<string, unknown>): string[] {
  const akka = section['akka'];
  return [
    ...PRODUCER_ONLY_KEYS.filter((key) => key in section),
    ...(isPlainObject(akka) ? PRODUCER_ONLY_AKKA_KEYS.filter((key) => key in akka).map((key) => `akka.${key}`) : []),
  ];
}

/** `section` without the keys listed (dotted for one level of nesting). */
function without(section: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...section };
  for (const key of keys) {
    const [outer, inner] = key.split('.') as [string, string?];
    const nested = copy[outer];
    if (inner === undefined) delete copy[outer];
    else if (isPlainObject(nested)) copy[outer] = without(nested, [inner]);
  }
  return copy;
}

/** `config` with section `name` replaced, to check one side of a section that mixes both kinds. */
function withSection(config: KinesisConfig, name: string, section: Record<string, unknown>): KinesisConfig {
  return { ...config, source: { ...config.source, [name]: section } };
}

function checkSection(config: KinesisConfig, name: string): readonly ConfigIssue[] {
  const section = config.source[name];
  if (!isPlainObject(section)) {
    const meant = suggestKey(name, GLOBAL_KEYS);
    return [
      {
        path: sectionPath(name),
        message:
          meant === undefined
            ? `expected a consumer or producer section (an object), got ${describeValue(section)}`
            : `unknown key; did you mean "${meant.key}"?`,
      },
    ];
  }
  const consumerKeys = CONSUMER_ONLY_KEYS.filter((key) => key in section);
  const producerKeys = producerKeysOf(section);
  const issues: ConfigIssue[] = [];
  if (consumerKeys.length > 0 && producerKeys.length > 0) {
    issues.push({
      path: sectionPath(name),
      message:
        `mixes consumer keys (${consumerKeys.join(', ')}) and producer keys (${producerKeys.join(', ')}); ` +
        'a section is either a consumer or a producer',
    });
  }
  if (consumerKeys.length === 0 && producerKeys.length === 0) {
    // Only shared keys (stream-name, akka.dispatcher): fine if it serves as either kind.
    const asConsumer = checkConsumerConf(config, name);
    const asProducer = checkProducerConf(config, name);
    if (!asConsumer.ok && !asProducer.ok) issues.push(...asConsumer.issues, ...asProducer.issues);
    return issues;
  }
  if (consumerKeys.length > 0) {
    const checked = checkConsumerConf(withSection(config, name, without(section, producerKeys)), name);
    if (!checked.ok) issues.push(...checked.issues);
  }
  if (producerKeys.length > 0) {
    const checked = checkProducerConf(withSection(config, name, without(section, consumerKeys)), name);
    if (!checked.ok) issues.push(...checked.issues);
  }
  return issues;
}

/**
 * Checks a whole `kinesis` configuration and returns it for {@link consumerConf} /
 * {@link producerConf}.
 *
 * `input` is either a plain object or the path of a JSON file (relative paths resolve against the
 * working directory). The object is the seed's `kinesis` object, either wrapped as
 * `{ kinesis: {...} }` (other top-level keys, such as the rest of an application's config, are
 * then ignored) or the inner object itself. Because a top-level `kinesis` key always means the
 * wrapped form, no section may be named `kinesis`.
 *
 * Inside it: `application-name`; `akka` (Akka dispatcher definitions, accepted and ignored);
 * `default-consumer` and `default-producer`; every other key is a consumer or a producer section,
 * told apart by its keys (`kcl`, `worker`, `checkpointer` versus `kpl`, `akka.max-outstanding-requests`,
 * `akka.throttling-retry-millis`). A section with only `stream-name` can serve as either, and is
 * accepted when it is valid as one of them.
 *
 * Unlike the seed, keys are exact-case and an unknown key is an error with a "did you mean"
 * suggestion. Numbers may be written as numeric strings and booleans as `"true"`/`"false"` (as in
 * HOCON); `null` means "not set", restoring the built-in default. Rules that relate two keys
 * (AT_TIMESTAMP needs a timestamp, MinConnections ≤ MaxConnections…) are checked once the values
 * of that section are each valid.
 *
 * @throws {ConfigError} listing every bad path, e.g.
 *   `kinesis.my-consumer.worker.batchTimeoutSeconds: expected an integer in 1..2147483 (seconds), got "ten"`.
 */
export function decodeKinesisConfig(input: unknown): KinesisConfig {
  const inner = unwrap(typeof input === 'string' ? readJsonFile(input) : input);
  const source = frozenCopy(inner);
  const issues: ConfigIssue[] = [];

  const applicationName = check(withDefault(nonEmptyString, DEFAULT_APPLICATION_NAME), source['application-name'], sectionPath('application-name'));
  if (!applicationName.ok) issues.push(...applicationName.issues);
  const akka = source['akka'];
  if (akka !== undefined && akka !== null && !isPlainObject(akka)) {
    issues.push({ path: sectionPath('akka'), message: `expected an object of Akka dispatcher settings (ignored), got ${describeValue(akka)}` });
  }
  const consumerDefaults = check(ConsumerSection, source['default-consumer'], sectionPath('default-consumer'));
  if (!consumerDefaults.ok) issues.push(...consumerDefaults.issues);
  const producerDefaults = check(ProducerSection, source['default-producer'], sectionPath('default-producer'));
  if (!producerDefaults.ok) issues.push(...producerDefaults.issues);

  const config: KinesisConfig = Object.freeze({
    applicationName: applicationName.ok ? applicationName.value : DEFAULT_APPLICATION_NAME,
    sectionNames: Object.freeze(sectionNames(source)),
    source,
  });
  for (const name of config.sectionNames) issues.push(...checkSection(config, name));

  if (issues.length > 0) throw new ConfigError(distinctIssues(issues));
  return config;
}
