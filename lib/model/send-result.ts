/**
 * The producer's answer for each user record: exactly one `SendSuccessful` or `SendFailed`.
 * @packageDocumentation
 */
import type { ProducerEvent } from './producer-event';

/** One PutRecords try of a user record, as the KPL reports it. */
export interface Attempt {
  /** Milliseconds from arrival (first attempt) or from the end of the previous attempt, to this one's start. */
  readonly delayMillis: number;
  readonly durationMillis: number;
  readonly success: boolean;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/** The record is in the stream. Every record of one aggregate shares its shard and sequence number. */
export interface SendSuccessful {
  readonly _tag: 'SendSuccessful';
  readonly messageId: string;
  readonly event: ProducerEvent;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly attempts: readonly Attempt[];
}

/** The record was not put; `reason` is the real cause, as a named error. */
export interface SendFailed {
  readonly _tag: 'SendFailed';
  readonly messageId: string;
  readonly event: ProducerEvent;
  readonly reason: Error;
  readonly attempts: readonly Attempt[];
}

export type SendResult = SendSuccessful | SendFailed;

export function isSendSuccessful(result: SendResult): result is SendSuccessful {
  return result._tag === 'SendSuccessful';
}
export function isSendFailed(result: SendResult): result is SendFailed {
  return result._tag === 'SendFailed';
}
