/**
 * One user record as `tail` prints it: a line of text, or a JSON object per line.
 * @packageDocumentation
 */
import type { ConsumerEvent } from '../model/consumer-event';

/** How `tail` prints records. */
export type RecordFormat = 'text' | 'json';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The payload as text when it is valid UTF-8 without control characters (other than tab), else
 * `undefined`: such a payload is shown in base64 instead.
 */
export function printableText(payload: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000a-\u001f\u007f]/.test(text) ? undefined : text;
}

/** The record as one line: shard, sequence number/sub-sequence number, partition key, payload. */
export function formatRecordText(event: ConsumerEvent): string {
  const { shardId, sequenceNumber, partitionKey, payload } = event;
  const text = printableText(payload);
  return `${shardId}  ${sequenceNumber.toString()}  ${partitionKey}  ${text ?? `base64:${Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64')}`}`;
}

/** The record as one JSON object: `data` when the payload is printable text, else `dataBase64`. */
export function formatRecordJson(event: ConsumerEvent): string {
  const { shardId, sequenceNumber, partitionKey, explicitHashKey, payload, arrivalTime } = event;
  const text = printableText(payload);
  return JSON.stringify({
    shardId,
    sequenceNumber: sequenceNumber.sequenceNumber,
    subSequenceNumber: sequenceNumber.subSequenceNumber,
    partitionKey,
    ...(explicitHashKey === undefined ? {} : { explicitHashKey }),
    arrivalTime: arrivalTime.toISOString(),
    ...(text === undefined ? { dataBase64: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64') } : { data: text }),
  });
}

/** The formatter for `format`. */
export function recordFormatter(format: RecordFormat): (event: ConsumerEvent) => string {
  return format === 'json' ? formatRecordJson : formatRecordText;
}
