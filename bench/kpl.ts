/**
 * KPL aggregation throughput: this library against aws-kinesis-agg, in the same process, on the
 * same records. 100,000 user records of 100 random bytes with random 16-hex-character partition
 * keys are aggregated into Kinesis records of at most 1 MiB (each library sizing its own chunks),
 * then the same aggregates, shaped like SDK v3 GetRecords output, are deaggregated by both.
 *
 *   npx tsx bench/kpl.ts [records] [runs]
 */
import { randomBytes } from 'node:crypto';
import { AggregateBuilder, decodeAggregatedRecord } from '../lib/kpl';
import type { KinesisEntry } from '../lib/kpl';
import { awsKinesisAgg } from './aws-kinesis-agg';
import type { AnchorEncodedRecord, AnchorKinesisRecordV3 } from './aws-kinesis-agg';
import { compare, formatRate, perSecond } from './measure';

const RECORD_COUNT = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 9);
const MAX_RECORD_BYTES = 1024 * 1024;
const SEQUENCE_NUMBER = '49581544954143914480256700934210366840104395343224897586';

const records: { partitionKey: string; data: Buffer }[] = Array.from({ length: RECORD_COUNT }, () => ({
  partitionKey: randomBytes(8).toString('hex'),
  data: randomBytes(100),
}));

function aggregateOurs(): KinesisEntry[] {
  const entries: KinesisEntry[] = [];
  const builder = new AggregateBuilder();
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (!builder.tryAdd(record, MAX_RECORD_BYTES)) {
      entries.push(builder.build());
      builder.clear();
      builder.add(record);
    }
  }
  if (builder.count > 0) entries.push(builder.build());
  return entries;
}

function aggregateAnchor(): AnchorEncodedRecord[] {
  const encoded: AnchorEncodedRecord[] = [];
  new awsKinesisAgg.RecordAggregator().aggregateRecords(records, true, (err, record) => {
    if (err) throw err;
    if (record) encoded.push(record);
  });
  return encoded;
}

// Both deaggregate the same bytes, as an SDK v3 consumer receives them (plain Uint8Array).
const kinesisRecords: AnchorKinesisRecordV3[] = aggregateOurs().map((entry) => ({
  Data: new Uint8Array(entry.data),
  PartitionKey: entry.partitionKey,
  SequenceNumber: SEQUENCE_NUMBER,
  ApproximateArrivalTimestamp: new Date(0),
}));

function deaggregateOurs(): number {
  let count = 0;
  for (let i = 0; i < kinesisRecords.length; i++) count += decodeAggregatedRecord(kinesisRecords[i]!.Data)?.length ?? 1;
  return count;
}

/** With `toBytes`, also turns each record's base64 `Data` back into bytes, which is what a consumer needs. */
function deaggregateAnchor(toBytes: boolean): number {
  let count = 0;
  for (let i = 0; i < kinesisRecords.length; i++) {
    awsKinesisAgg.deaggregateSync(kinesisRecords[i]!, true, (err, userRecords = []) => {
      if (err) throw err;
      if (toBytes) for (const user of userRecords) count += Buffer.from(user.Data, 'base64').length === 0 ? 0 : 1;
      else count += userRecords.length;
    });
  }
  return count;
}

function sameAggregates(): boolean {
  const ours = aggregateOurs();
  const anchor = aggregateAnchor();
  return ours.length === anchor.length && ours.every((entry, i) => Buffer.from(entry.data).equals(anchor[i]!.data));
}

if (deaggregateOurs() !== RECORD_COUNT || deaggregateAnchor(true) !== RECORD_COUNT) {
  throw new Error('deaggregation lost records');
}

const options = { runs: RUNS, warmups: 3, blocks: 3 };
const rows = [
  ['aggregate', compare(aggregateOurs, aggregateAnchor, options)],
  ['deaggregate', compare(deaggregateOurs, () => deaggregateAnchor(false), options)],
  // Ours already yields bytes; the anchor yields base64 that a consumer must decode.
  ['deaggregate to bytes', compare(deaggregateOurs, () => deaggregateAnchor(true), options)],
] as const;

console.log(
  `${RECORD_COUNT} user records of 100 B, 16-hex-char keys, into ${kinesisRecords.length} Kinesis records ≤ 1 MiB; ` +
    `median of ${RUNS} runs (3 alternating blocks, after 3 warm-ups); node ${process.version}`,
);
console.log(`aggregates byte-identical to aws-kinesis-agg's: ${sameAggregates() ? 'yes' : 'no'}`);
console.log('user records/s         reactive-kinesis   aws-kinesis-agg   ratio   (ms per run, ours | anchor)');
for (const [name, { ours, anchor }] of rows) {
  const oursRate = perSecond(RECORD_COUNT, ours.medianMs);
  const anchorRate = perSecond(RECORD_COUNT, anchor.medianMs);
  console.log(
    `${name.padEnd(22)} ${formatRate(oursRate).padStart(16)}   ${formatRate(anchorRate).padStart(15)}` +
      `   ${`${(oursRate / anchorRate).toFixed(2)}x`.padStart(5)}   (${spread(ours.runsMs)} | ${spread(anchor.runsMs)})`,
  );
}

function spread(runsMs: readonly number[]): string {
  return `${Math.min(...runsMs).toFixed(0)}–${Math.max(...runsMs).toFixed(0)}`;
}
