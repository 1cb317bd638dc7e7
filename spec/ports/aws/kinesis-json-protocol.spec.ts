import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
  ResourceNotFoundException,
  type PutRecordsCommandInput,
} from '@aws-sdk/client-kinesis';
import { JsonShapeSerializer2 } from '@aws-sdk/core/protocols';
import { HttpResponse, type HttpRequest } from '@smithy/core/protocols';
import { expect } from 'chai';
import fc from 'fast-check';
import * as sinon from 'sinon';
import { kinesisClient } from '../../../lib/ports/aws/clients';
import { KinesisJsonProtocol, putRecordsBody } from '../../../lib/ports/aws/kinesis-json-protocol';

/** The commands sent here; `KinesisClient#send` takes one command type at a time. */
type KinesisCommand = PutRecordsCommand | ListShardsCommand | GetRecordsCommand | DescribeStreamSummaryCommand;

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

interface Answer {
  readonly statusCode: number;
  readonly body: string;
}

const OK: Answer = { statusCode: 200, body: '{}' };

/** A request as it left the client: its headers and its body's bytes. */
interface Sent {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * The bytes of a request body. The SDK's own body is a Uint8Array whose string methods warn when
 * used, so the bytes are read through the underlying buffer.
 */
function bytesOf(body: unknown): Buffer {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new Error(`unexpected request body ${String(body)}`);
}

/** Two clients, one with the SDK's protocol and one with KinesisJsonProtocol, whose requests never leave the process. */
function clientPair() {
  const sent: Sent[] = [];
  let answer: Answer = OK;
  const requestHandler = {
    handle: async (request: HttpRequest) => {
      sent.push({ headers: { ...request.headers }, body: bytesOf(request.body) });
      return {
        response: new HttpResponse({
          statusCode: answer.statusCode,
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'request-1' },
          body: Buffer.from(answer.body, 'utf8'),
        }),
      };
    },
  };
  const common = { region: 'us-east-1', credentials, requestHandler, maxAttempts: 1 };
  const sdk = new KinesisClient(common);
  const fast = new KinesisClient({ ...common, protocol: KinesisJsonProtocol });
  return {
    sdk,
    fast,
    answer(next: Answer) {
      answer = next;
    },
    /** What sending `command` through `client` put on the wire. */
    async sent(client: KinesisClient, command: KinesisCommand): Promise<Sent> {
      const before = sent.length;
      await client.send(command as never);
      expect(sent.length, 'requests sent').to.equal(before + 1);
      return sent[before]!;
    },
    destroy() {
      sdk.destroy();
      fast.destroy();
    },
  };
}

const json = (sent: Sent): unknown => JSON.parse(sent.body.toString('utf8'));

/** Strings with what JSON must escape or encode in several bytes: quotes, backslashes, controls, astral and lone surrogates. */
const awkwardString = fc.string({
  unit: fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.constantFrom('"', '\\', '/', '\u0000', '\b', '\f', '\n', '\r', '\t', '\u001f', '\u007f', '\u2028', '\u2029', '\ufeff'),
    fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
  ),
  maxLength: 40,
});

/** Bytes as a plain Uint8Array, a view into the middle of a larger one, or a Buffer slice at a non-zero offset. */
const data = fc
  .tuple(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 9 }), fc.nat({ max: 9 }), fc.constantFrom('plain', 'view', 'buffer'))
  .map(([bytes, before, after, kind]): Uint8Array => {
    if (kind === 'plain') return bytes;
    const whole = new Uint8Array(before + bytes.length + after).fill(0xa5);
    whole.set(bytes, before);
    const view = whole.subarray(before, before + bytes.length);
    return kind === 'view' ? view : Buffer.from(whole.buffer).subarray(before, before + bytes.length);
  });

const entry = fc.record(
  {
    Data: data,
    PartitionKey: fc.option(awkwardString, { nil: undefined }),
    ExplicitHashKey: fc.option(awkwardString, { nil: undefined }),
  },
  { requiredKeys: ['Data', 'PartitionKey'] },
);

const putRecordsInput: fc.Arbitrary<PutRecordsCommandInput> = fc.record(
  {
    Records: fc.array(entry, { maxLength: 8 }),
    StreamName: awkwardString,
    StreamARN: fc.constantFrom('arn:aws:kinesis:us-east-1:123456789012:stream/orders', 'arn:aws:kinesis:us-east-1:123456789012:stream/a"b\\c'),
    StreamId: awkwardString,
    DryRun: fc.oneof(fc.boolean(), fc.constant(undefined)),
  },
  { requiredKeys: ['Records'] },
);

describe('KinesisJsonProtocol', function () {
  let clients: ReturnType<typeof clientPair>;
  let sdkWrites: sinon.SinonSpy;

  beforeEach(function () {
    clients = clientPair();
    // Counts what went through the SDK's own JSON writer, to tell the native path from the fallback.
    sdkWrites = sinon.spy(JsonShapeSerializer2.prototype, 'write');
  });

  afterEach(function () {
    sdkWrites.restore();
    clients.destroy();
  });

  /** Both clients' requests for the same command, and how many went through the SDK's writer for each. */
  async function bothSend(command: () => KinesisCommand) {
    const writesBefore = sdkWrites.callCount;
    const sdk = await clients.sent(clients.sdk, command());
    const sdkWriterCalls = sdkWrites.callCount - writesBefore;
    const fast = await clients.sent(clients.fast, command());
    const fastWriterCalls = sdkWrites.callCount - writesBefore - sdkWriterCalls;
    return { sdk, fast, sdkWriterCalls, fastWriterCalls };
  }

  function expectSameRequest(sdk: Sent, fast: Sent, target: string) {
    expect(json(fast)).to.deep.equal(json(sdk));
    for (const sent of [sdk, fast]) {
      expect(sent.headers['content-type']).to.equal('application/x-amz-json-1.1');
      expect(sent.headers['x-amz-target']).to.equal(`Kinesis_20131202.${target}`);
      expect(sent.headers['content-length']).to.equal(String(sent.body.byteLength));
    }
  }

  describe('PutRecords', function () {
    it('writes the JSON the SDK writes, for arbitrary inputs, with its own writer', async function () {
      this.timeout(60_000);
      await fc.assert(
        fc.asyncProperty(putRecordsInput, async (input) => {
          const body = putRecordsBody(input);
          expect(body, 'native body').to.be.instanceOf(Buffer);
          const { sdk, fast, sdkWriterCalls, fastWriterCalls } = await bothSend(() => new PutRecordsCommand(input));
          expect(JSON.parse(body!.toString('utf8'))).to.deep.equal(json(sdk));
          expectSameRequest(sdk, fast, 'PutRecords');
          expect(fast.body.equals(body!), 'the native body is what is sent').to.equal(true);
          expect(sdkWriterCalls, 'SDK client through the SDK writer').to.equal(1);
          expect(fastWriterCalls, 'native client through the SDK writer').to.equal(0);
        }),
        { numRuns: 200 },
      );
    });

    it('encodes each record’s bytes, not the whole buffer it is a view of', async function () {
      const backing = Buffer.from('xxxxhello worldyyyy', 'latin1');
      const input = {
        StreamName: 'orders',
        Records: [
          { Data: backing.subarray(4, 15), PartitionKey: 'p' },
          { Data: new Uint8Array(backing.buffer, backing.byteOffset + 1, 2), PartitionKey: 'q' },
          { Data: new Uint8Array(0), PartitionKey: 'r' },
        ],
      };
      expect(JSON.parse(putRecordsBody(input)!.toString('utf8'))).to.deep.equal({
        StreamName: 'orders',
        Records: [
          { Data: Buffer.from('hello world').toString('base64'), PartitionKey: 'p' },
          { Data: Buffer.from('xx').toString('base64'), PartitionKey: 'q' },
          { Data: '', PartitionKey: 'r' },
        ],
      });
      const { sdk, fast } = await bothSend(() => new PutRecordsCommand(input));
      expectSameRequest(sdk, fast, 'PutRecords');
    });

    const outside: Array<[string, unknown]> = [
      ['Data as a string', { StreamName: 's', Records: [{ Data: 'hello', PartitionKey: 'k' }] }],
      ['an unknown member', { StreamName: 's', Records: [{ Data: new Uint8Array([1, 2, 3]), PartitionKey: 'k' }], Extra: 1 }],
      ['a record with an unknown member', { StreamName: 's', Records: [{ Data: new Uint8Array([1, 2, 3]), PartitionKey: 'k', Extra: 'x' }] }],
      ['Records not an array', { StreamName: 's', Records: { 0: { Data: new Uint8Array([1]), PartitionKey: 'k' } } }],
      ['Records a string', { StreamName: 's', Records: 'abc' }],
      ['a non-string PartitionKey', { StreamName: 's', Records: [{ Data: new Uint8Array([1, 2, 3]), PartitionKey: 42 }] }],
      ['a null ExplicitHashKey', { StreamName: 's', Records: [{ Data: new Uint8Array([1]), PartitionKey: 'k', ExplicitHashKey: null }] }],
      ['a null record', { StreamName: 's', Records: [null, { Data: new Uint8Array([1]), PartitionKey: 'k' }] }],
      ['a non-boolean DryRun', { StreamName: 's', Records: [{ Data: new Uint8Array([1]), PartitionKey: 'k' }], DryRun: 'yes' }],
      ['a non-string StreamName', { StreamName: 5, Records: [{ Data: new Uint8Array([1]), PartitionKey: 'k' }] }],
    ];
    for (const [what, input] of outside) {
      it(`leaves an input with ${what} to the SDK, which writes it as without the protocol`, async function () {
        expect(putRecordsBody(input)).to.equal(undefined);
        const { sdk, fast, sdkWriterCalls, fastWriterCalls } = await bothSend(() => new PutRecordsCommand(input as PutRecordsCommandInput));
        expectSameRequest(sdk, fast, 'PutRecords');
        expect(fast.body.equals(sdk.body), 'byte for byte').to.equal(true);
        expect([sdkWriterCalls, fastWriterCalls]).to.deep.equal([1, 1]);
      });
    }

    it('returns undefined for what is not an object', function () {
      for (const input of [undefined, null, 1, 'Records', true]) expect(putRecordsBody(input), String(input)).to.equal(undefined);
    });

    it('reads a PutRecords response into output.Records', async function () {
      const answer = {
        FailedRecordCount: 1,
        Records: [
          { SequenceNumber: '49590338271490256608559692538361571095921575989136588898', ShardId: 'shardId-000000000001' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' },
        ],
        EncryptionType: 'NONE',
      };
      clients.answer({ statusCode: 200, body: JSON.stringify(answer) });
      const output = await clients.fast.send(
        new PutRecordsCommand({ StreamName: 'orders', Records: [{ Data: new Uint8Array([1]), PartitionKey: 'a' }, { Data: new Uint8Array([2]), PartitionKey: 'b' }] }),
      );
      expect(output.Records).to.deep.equal(answer.Records);
      expect(output.FailedRecordCount).to.equal(1);
      expect(output.EncryptionType).to.equal('NONE');
      expect(output.$metadata.httpStatusCode).to.equal(200);
    });

    it('rejects with the SDK’s exception class for an error response', async function () {
      clients.answer({ statusCode: 400, body: JSON.stringify({ __type: 'ResourceNotFoundException', message: 'Stream orders not found' }) });
      const error: unknown = await clients.fast
        .send(new PutRecordsCommand({ StreamName: 'orders', Records: [{ Data: new Uint8Array([1]), PartitionKey: 'a' }] }))
        .then(
          () => undefined,
          (rejection: unknown) => rejection,
        );
      expect(error).to.be.instanceOf(ResourceNotFoundException);
      expect((error as ResourceNotFoundException).message).to.equal('Stream orders not found');
      expect((error as ResourceNotFoundException).$metadata.httpStatusCode).to.equal(400);
    });
  });

  describe('other operations', function () {
    const commands: Array<[string, () => KinesisCommand]> = [
      ['ListShards', () => new ListShardsCommand({ StreamName: 'orders', MaxResults: 100, ShardFilter: { Type: 'AT_LATEST' } })],
      ['GetRecords', () => new GetRecordsCommand({ ShardIterator: 'AAAAAAAAAAH"\\iterator', Limit: 500 })],
      ['DescribeStreamSummary', () => new DescribeStreamSummaryCommand({ StreamName: 'orders\u2028' })],
    ];
    for (const [target, command] of commands) {
      it(`writes ${target} as the SDK does, with its writer`, async function () {
        const { sdk, fast, sdkWriterCalls, fastWriterCalls } = await bothSend(command);
        expectSameRequest(sdk, fast, target);
        expect(fast.body.equals(sdk.body), 'byte for byte').to.equal(true);
        expect([sdkWriterCalls, fastWriterCalls]).to.deep.equal([1, 1]);
      });
    }

    it('writes another operation’s input that carries PutRecords members as the SDK does', async function () {
      // Only what the members say decides the native path, so the operation has to be checked too.
      const stray = { StreamName: 'orders', Records: [{ Data: new Uint8Array([1, 2, 3]), PartitionKey: 'k' }] };
      expect(putRecordsBody(stray), 'a body the native path could write').to.be.instanceOf(Buffer);
      const { sdk, fast, sdkWriterCalls, fastWriterCalls } = await bothSend(() => new DescribeStreamSummaryCommand(stray as never));
      expectSameRequest(sdk, fast, 'DescribeStreamSummary');
      expect(json(fast)).to.deep.equal({ StreamName: 'orders' });
      expect([sdkWriterCalls, fastWriterCalls]).to.deep.equal([1, 1]);
    });

    it('reads other responses as the SDK does', async function () {
      clients.answer({ statusCode: 200, body: JSON.stringify({ Shards: [{ ShardId: 'shardId-000000000000', HashKeyRange: { StartingHashKey: '0', EndingHashKey: '9' }, SequenceNumberRange: { StartingSequenceNumber: '1' } }] }) });
      const sdk = await clients.sdk.send(new ListShardsCommand({ StreamName: 'orders' }));
      const fast = await clients.fast.send(new ListShardsCommand({ StreamName: 'orders' }));
      expect(fast.Shards).to.have.length(1);
      expect(fast.Shards).to.deep.equal(sdk.Shards);
    });
  });

  describe('kinesisClient()', function () {
    it('builds its client with KinesisJsonProtocol', function () {
      const client = kinesisClient({ region: 'us-east-1', credentials });
      try {
        expect(client.config.protocol).to.be.instanceOf(KinesisJsonProtocol);
      } finally {
        client.destroy();
      }
    });
  });
});
