/**
 * What a chaos worker process is started with (its command line's one argument, as JSON), the
 * consumer configuration it builds from that, and the one message it sends its parent.
 * @packageDocumentation
 */
import type { AwsTarget } from '../../lib/cli/aws-flags';
import { consumerConf, type ConsumerConf } from '../../lib/config/consumer-config';
import { decodeKinesisConfig } from '../../lib/config/kinesis-config';

export const CHAOS_APPLICATION_NAME = 'reactive-kinesis-chaos';
const CONSUMER_SECTION = 'chaos-consumer';

/** One worker incarnation's setup. */
export interface ChaosWorkerSetup {
  /** The slot it fills (`w2`); a slot's process is restarted as a new incarnation after a kill or a stop. */
  readonly slot: string;
  /** 1 for the slot's first process, then 2, 3, … */
  readonly incarnation: number;
  readonly streamName: string;
  readonly tableName: string;
  readonly failoverTimeMillis: number;
  readonly aws: AwsTarget;
  /** Where it appends its delivery log. */
  readonly logDir: string;
}

/** Sent by a worker once SIGTERM stops it gracefully rather than ending it: it may be faulted from then on. */
export interface ReadyMessage {
  readonly type: 'ready';
}

/** True when `value` is a {@link ReadyMessage}. */
export function isReadyMessage(value: unknown): value is ReadyMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'ready';
}

/** The lease owner name, and log name, of an incarnation: `w2-3`. */
export function incarnationName(slot: string, incarnation: number): string {
  return `${slot}-${incarnation}`;
}

/**
 * The consumer configuration of a worker: the library's defaults but for a short
 * `kcl.failoverTimeMillis`, so that failovers fit in a short run.
 */
export function chaosConsumerConf(setup: Pick<ChaosWorkerSetup, 'slot' | 'incarnation' | 'streamName' | 'tableName' | 'failoverTimeMillis'>): ConsumerConf {
  const config = {
    'application-name': CHAOS_APPLICATION_NAME,
    [CONSUMER_SECTION]: {
      'stream-name': setup.streamName,
      kcl: { workerId: incarnationName(setup.slot, setup.incarnation), tableName: setup.tableName, failoverTimeMillis: setup.failoverTimeMillis },
    },
  };
  return consumerConf(decodeKinesisConfig(config), CONSUMER_SECTION);
}

/**
 * The setup of a worker from its JSON form.
 * @throws TypeError naming what is missing or malformed
 */
export function decodeChaosWorkerSetup(text: string | undefined): ChaosWorkerSetup {
  const value: unknown = JSON.parse(text ?? 'null');
  const setup = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const problems = [
    ...(['slot', 'streamName', 'tableName', 'logDir'] as const).filter((key) => typeof setup[key] !== 'string' || setup[key] === ''),
    ...(['incarnation', 'failoverTimeMillis'] as const).filter((key) => !(Number.isSafeInteger(setup[key]) && (setup[key] as number) > 0)),
    ...(typeof setup['aws'] === 'object' && setup['aws'] !== null ? [] : ['aws']),
  ];
  if (problems.length > 0) throw new TypeError(`bad chaos worker setup: ${problems.join(', ')} missing or malformed`);
  return value as ChaosWorkerSetup;
}
