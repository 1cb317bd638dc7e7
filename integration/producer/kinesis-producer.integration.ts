/**
 * KinesisProducer and kinesisSink against kinesis-local, as the seed's integration tests did:
 * one event sent and found again under the shard and sequence number its result names, and a
 * hundred events through the sink, all read back.
 */
import { expect } from 'chai';
import { firstValueFrom, from } from 'rxjs';
import { decodeKinesisConfig, producerConf } from '../../lib/config';
import { decodeAggregatedRecord } from '../../lib/kpl';
import type { GetRecordsOutput, KinesisPort, KinesisRecord } from '../../lib/ports/kinesis-port';
import { KinesisProducer } from '../../lib/producer/kinesis-producer';
import { kinesisSink } from '../../lib/producer/sink';
import { freshStreamPerTest } from './fresh-stream';

async function readShard(port: KinesisPort, stream: string, shardId: string): Promise<KinesisRecord[]> {
  const records: KinesisRecord[] = [];
  let iterator: string | undefined = await firstValueFrom(port.getShardIterator(stream, shardId, { type: 'TRIM_HORIZON' }));
  while (iterator !== undefined) {
    const page: GetRecordsOutput = await firstValueFrom(port.getRecords(iterator, 10000));
    records.push(...page.records);
    iterator = page.records.length === 0 ? undefined : page.nextShardIterator;
  }
  return records;
}

describe('KinesisProducer and kinesisSink on kinesis-local', function () {
  this.timeout(60_000);
  const fixture = freshStreamPerTest(2);

  const conf = () => producerConf(decodeKinesisConfig({ producer: { 'stream-name': fixture.stream } }), 'producer');

  it('sends one event and names where it was stored', async function () {
    const producer = KinesisProducer.create(conf(), { kinesis: fixture.client });
    const result = await producer.send({ partitionKey: 'the-key', payload: 'the payload' });
    await producer.stop();
    const stored = await readShard(fixture.port, fixture.stream, result.shardId);
    const record = stored.find((r) => r.sequenceNumber === result.sequenceNumber)!;
    expect(record).to.not.equal(undefined);
    expect(Buffer.from(record.data).toString()).to.equal('the payload');
    expect(record.partitionKey).to.equal('the-key');
  });

  it('drains 100 events through the sink; all are read back', async function () {
    const events = Array.from({ length: 100 }, (_, i) => ({ partitionKey: `key-${i}`, payload: `payload-${i}` }));
    await kinesisSink(conf(), { kinesis: fixture.client })(from(events));
    const shards = await firstValueFrom(fixture.port.listShards(fixture.stream));
    const payloads: string[] = [];
    for (const shard of shards) {
      for (const record of await readShard(fixture.port, fixture.stream, shard.shardId)) {
        const users = decodeAggregatedRecord(record.data) ?? [{ data: record.data }];
        payloads.push(...users.map((u) => Buffer.from(u.data).toString()));
      }
    }
    expect(payloads.sort()).to.deep.equal(events.map((e) => e.payload).sort());
  });
});
