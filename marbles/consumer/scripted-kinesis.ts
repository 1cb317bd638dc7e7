/**
 * A KinesisPort whose answers are scripted as cold marble Observables, one per call in order, and
 * which logs each call with its virtual time, for marble tests of the polling loop.
 */
import { throwError, type Observable, type SchedulerLike } from 'rxjs';
import type { GetRecordsOutput, IteratorPosition, KinesisPort, KinesisRecord } from '../../lib/ports/kinesis-port';

export interface Scripted {
  readonly kinesis: KinesisPort;
  /** `t=<time> getShardIterator <position>` / `t=<time> getRecords <iterator> <limit>`, in call order. */
  readonly calls: string[];
}

const describe = (p: IteratorPosition): string =>
  p.type === 'AT_SEQUENCE_NUMBER' || p.type === 'AFTER_SEQUENCE_NUMBER' ? `${p.type} ${p.sequenceNumber}` : p.type;

/** Answers the n-th call of each operation with the n-th scripted Observable. */
export function scriptedKinesis(
  scheduler: SchedulerLike,
  script: { readonly iterators: readonly Observable<string>[]; readonly pages: readonly Observable<GetRecordsOutput>[] },
): Scripted {
  const calls: string[] = [];
  const iterators = [...script.iterators];
  const pages = [...script.pages];
  const unscripted = (what: string) => throwError(() => new Error(`unscripted ${what}`));
  const kinesis: KinesisPort = {
    getShardIterator: (_stream, _shard, position) => {
      calls.push(`t=${scheduler.now()} getShardIterator ${describe(position)}`);
      return iterators.shift() ?? unscripted('getShardIterator');
    },
    getRecords: (iterator, limit) => {
      calls.push(`t=${scheduler.now()} getRecords ${iterator} ${limit}`);
      return pages.shift() ?? unscripted('getRecords');
    },
    listShards: () => unscripted('listShards'),
    putRecords: () => unscripted('putRecords'),
  };
  return { kinesis, calls };
}

/** A Kinesis record with that sequence number. */
export function kinesisRecord(sequenceNumber: string, data = `data ${sequenceNumber}`): KinesisRecord {
  return { sequenceNumber, partitionKey: 'pk', data: Buffer.from(data), approximateArrivalTimestamp: new Date(0) };
}
