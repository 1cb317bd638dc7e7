/**
 * Records captured from the real KPL, with the user records that went into them, from
 * awslabs/kinesis-aggregation (python/test/test_deagg.py and python/test/test_agg.py).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UserRecord } from '../../lib/kpl';

interface StoredUserRecord {
  partitionKey: string;
  explicitHashKey?: string;
  dataText: string;
}

interface StoredAggregate {
  source: string;
  kinesisPartitionKey: string;
  sequenceNumber: string;
  aggregateBase64: string;
  userRecords: StoredUserRecord[];
}

interface StoredVectors {
  withEhks: StoredAggregate;
  noEhks: StoredAggregate;
  kinesisAnalytics: StoredAggregate;
  nonAggregated: { source: string; kinesisPartitionKey: string; sequenceNumber: string; dataBase64: string; dataText: string };
}

export interface KplVector {
  readonly name: string;
  readonly aggregate: Uint8Array;
  readonly userRecords: readonly UserRecord[];
}

const stored = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'kpl-generated.json'), 'utf8')) as StoredVectors;

function vector(name: string, v: StoredAggregate): KplVector {
  return {
    name,
    aggregate: new Uint8Array(Buffer.from(v.aggregateBase64, 'base64')),
    userRecords: v.userRecords.map((u) => ({
      partitionKey: u.partitionKey,
      ...(u.explicitHashKey === undefined ? {} : { explicitHashKey: u.explicitHashKey }),
      data: new Uint8Array(Buffer.from(u.dataText, 'utf8')),
    })),
  };
}

/** Four user records, each with its own partition key and explicit hash key. */
export const WITH_EHKS = vector('KPL aggregate with explicit hash keys', stored.withEhks);
/** Eight user records with distinct partition keys and no explicit hash keys. */
export const NO_EHKS = vector('KPL aggregate without explicit hash keys', stored.noEhks);
/** Four user records sharing one partition key and one explicit hash key (index reuse). */
export const SHARED_KEYS = vector('KPL aggregate with shared keys (via Kinesis Analytics)', stored.kinesisAnalytics);
export const KPL_AGGREGATES: readonly KplVector[] = [WITH_EHKS, NO_EHKS, SHARED_KEYS];

/** A plain record the KPL sent without aggregating it. */
export const NON_AGGREGATED = {
  data: new Uint8Array(Buffer.from(stored.nonAggregated.dataBase64, 'base64')),
  text: stored.nonAggregated.dataText,
};
