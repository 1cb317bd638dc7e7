/**
 * The Kinesis JSON protocol with PutRecords bodies written by Node's native base64.
 *
 * The SDK's JSON serializer base64-encodes blobs one byte at a time in JavaScript. An aggregating
 * producer sends every user record's bytes through it, so at a few hundred thousand records a second
 * that loop alone took a sixth of the producer's process. Here a PutRecords body is written straight
 * into one buffer, each record's data encoded by `Buffer#toString('base64')`. Every other request,
 * a PutRecords input holding anything else, and every response still go through the SDK's codec.
 * @packageDocumentation
 */
import { PutRecordsInput$ } from '@aws-sdk/client-kinesis';
import { AwsJson1_1Protocol } from '@aws-sdk/core/protocols';
import type { Schema, SerdeFunctions, ShapeSerializer } from '@smithy/types';

const INPUT_MEMBERS: ReadonlySet<string> = new Set(['Records', 'StreamName', 'StreamARN', 'StreamId', 'DryRun']);
const ENTRY_MEMBERS: ReadonlySet<string> = new Set(['Data', 'PartitionKey', 'ExplicitHashKey']);
const STRING_MEMBERS = ['StreamName', 'StreamARN', 'StreamId'] as const;
const ENTRY_STRING_MEMBERS = ['PartitionKey', 'ExplicitHashKey'] as const;

/** Whether every own member of `value` is in `members` (absent ones may be `undefined`). */
function hasOnly(value: object, members: ReadonlySet<string>): boolean {
  for (const key in value) if (!members.has(key)) return false;
  return true;
}

/** `,"Name":"value"` for each present string member, or `undefined` when one is not a string. */
function stringMembers(value: Record<string, unknown>, names: readonly string[]): string | undefined {
  let json = '';
  for (const name of names) {
    const member = value[name];
    if (member === undefined) continue;
    if (typeof member !== 'string') return undefined;
    json += `,"${name}":${JSON.stringify(member)}`;
  }
  return json;
}

/**
 * The JSON body of a PutRecords input, as UTF-8 bytes; `undefined` when the input holds anything but
 * the members written here with the types the API gives them (the SDK then writes it).
 * @internal
 */
export function putRecordsBody(input: unknown): Buffer | undefined {
  if (typeof input !== 'object' || input === null || !hasOnly(input, INPUT_MEMBERS)) return undefined;
  const { Records: records, DryRun: dryRun } = input as Record<string, unknown>;
  if (!Array.isArray(records) || !(dryRun === undefined || typeof dryRun === 'boolean')) return undefined;
  const rest = stringMembers(input as Record<string, unknown>, STRING_MEMBERS);
  if (rest === undefined) return undefined;
  const close = `]${rest}${dryRun === undefined ? '' : `,"DryRun":${dryRun}`}}`;

  // First what each record needs, so that the body is one allocation; then the writing.
  const datas: Uint8Array[] = [];
  const tails: string[] = [];
  let size = 0;
  for (const entry of records as unknown[]) {
    if (typeof entry !== 'object' || entry === null || !hasOnly(entry, ENTRY_MEMBERS)) return undefined;
    const data = (entry as Record<string, unknown>)['Data'];
    if (!(data instanceof Uint8Array)) return undefined;
    const members = stringMembers(entry as Record<string, unknown>, ENTRY_STRING_MEMBERS);
    if (members === undefined) return undefined;
    const tail = `"${members}}`;
    datas.push(data);
    tails.push(tail);
    size += 10 + Math.ceil(data.length / 3) * 4 + Buffer.byteLength(tail); // `,{"Data":"` or `{"Data":"`, base64, tail
  }
  const open = '{"Records":[';
  size += open.length + Buffer.byteLength(close);

  const body = Buffer.allocUnsafe(size);
  let at = body.write(open, 0, 'latin1');
  for (let i = 0; i < datas.length; i++) {
    at += body.write(i === 0 ? '{"Data":"' : ',{"Data":"', at, 'latin1');
    const data = datas[i]!;
    at += body.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), at, 'latin1');
    at += body.write(tails[i]!, at, 'utf8');
  }
  at += body.write(close, at, 'utf8');
  return at === size ? body : body.subarray(0, at);
}

/** The SDK's serializer, except that PutRecords inputs it can write go through `putRecordsBody`. */
class PutRecordsSerializer implements ShapeSerializer<string | Uint8Array> {
  private body: Buffer | undefined = undefined;

  constructor(private readonly sdk: ShapeSerializer<string | Uint8Array>) {}

  setSerdeContext(context: SerdeFunctions): void {
    this.sdk.setSerdeContext(context);
  }

  write(schema: Schema, value: unknown): void {
    this.body = schema === PutRecordsInput$ ? putRecordsBody(value) : undefined;
    if (this.body === undefined) this.sdk.write(schema, value);
  }

  flush(): string | Uint8Array {
    const body = this.body;
    if (body === undefined) return this.sdk.flush();
    this.body = undefined;
    return body;
  }
}

/**
 * The Kinesis client's protocol (`awsJson1_1`), with PutRecords bodies base64-encoded natively. Give
 * it as `protocol` to a `KinesisClient` (the constructor, not an instance: the client constructs it
 * with its own settings); `kinesisClient()` does.
 */
export class KinesisJsonProtocol extends AwsJson1_1Protocol {
  constructor(settings: ConstructorParameters<typeof AwsJson1_1Protocol>[0]) {
    super(settings);
    this.serializer = new PutRecordsSerializer(this.serializer);
  }
}
