/**
 * The KCL's lease item, attribute for attribute (names and DynamoDB types as the KCL's
 * `DynamoDBLeaseSerializer` writes them), so a table can be shared with, or handed back to, a KCL
 * application. DynamoDB stores neither empty sets nor absent values, so those are left out.
 * @packageDocumentation
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { LeaseStoreError } from '../../model/errors';
import type { Lease } from '../../model/lease';

/** A lease table item as the SDK sends and receives it. @internal */
export type LeaseItem = Record<string, AttributeValue>;

type Codec<T> = {
  readonly encode: (value: T) => AttributeValue | undefined;
  readonly decode: (value: AttributeValue, attribute: string) => T | undefined;
};

/** Why an item cannot be read as a lease; becomes a LeaseStoreError naming the item. */
class BadAttribute extends Error {}

const stringCodec: Codec<string> = {
  encode: (value) => ({ S: value }),
  decode: (value, attribute) => {
    if (value.S === undefined) throw new BadAttribute(`${attribute} is not a string (S)`);
    return value.S;
  },
};

const integerCodec: Codec<number> = {
  encode: (value) => ({ N: String(value) }),
  decode: (value, attribute) => {
    const parsed = value.N === undefined ? Number.NaN : Number(value.N);
    if (!Number.isSafeInteger(parsed)) throw new BadAttribute(`${attribute} is not an integer (N), got ${JSON.stringify(value)}`);
    return parsed;
  },
};

const stringSetCodec: Codec<readonly string[]> = {
  encode: (value) => (value.length === 0 ? undefined : { SS: [...value] }),
  decode: (value, attribute) => {
    if (value.SS === undefined) throw new BadAttribute(`${attribute} is not a string set (SS)`);
    return value.SS;
  },
};

/** Every lease field but `leaseKey`, with its attribute name and codec; the KCL's spelling wins. */
const FIELDS = {
  leaseOwner: { attribute: 'leaseOwner', codec: stringCodec },
  leaseCounter: { attribute: 'leaseCounter', codec: integerCodec },
  checkpoint: { attribute: 'checkpoint', codec: stringCodec },
  checkpointSubSequenceNumber: { attribute: 'checkpointSubSequenceNumber', codec: integerCodec },
  ownerSwitchesSinceCheckpoint: { attribute: 'ownerSwitchesSinceCheckpoint', codec: integerCodec },
  parentShardIds: { attribute: 'parentShardId', codec: stringSetCodec },
  childShardIds: { attribute: 'childShardIds', codec: stringSetCodec },
  startingHashKey: { attribute: 'startingHashKey', codec: stringCodec },
  endingHashKey: { attribute: 'endingHashKey', codec: stringCodec },
  pendingCheckpoint: { attribute: 'pendingCheckpoint', codec: stringCodec },
  pendingCheckpointSubSequenceNumber: { attribute: 'pendingCheckpointSubSequenceNumber', codec: integerCodec },
  checkpointOwner: { attribute: 'checkpointOwner', codec: stringCodec },
} as const satisfies { [K in Exclude<keyof Lease, 'leaseKey'>]-?: { attribute: string; codec: Codec<NonNullable<Lease[K]>> } };

/** A lease field stored in an attribute of its own (every field but `leaseKey`). @internal */
export type LeaseField = keyof typeof FIELDS;

/** The KCL's entity marker; items marked as anything else share the table but are not leases. */
const ENTITY_TYPE = 'entityType';

/** The hash key attribute of the lease table. @internal */
export const LEASE_KEY = 'leaseKey';

/** The attribute a lease field is stored under. @internal */
export function attributeOf(field: LeaseField): string {
  return FIELDS[field].attribute;
}

/**
 * The attribute value for one field, or `undefined` when DynamoDB cannot hold it (an empty set):
 * the attribute is then removed or left out.
 * @internal
 */
export function encodeField<K extends LeaseField>(field: K, value: NonNullable<Lease[K]>): AttributeValue | undefined {
  return (FIELDS[field].codec as unknown as Codec<NonNullable<Lease[K]>>).encode(value);
}

/** The item for a lease. @internal */
export function toLeaseItem(lease: Lease): LeaseItem {
  const item: LeaseItem = { [LEASE_KEY]: { S: lease.leaseKey } };
  for (const field of Object.keys(FIELDS) as LeaseField[]) {
    const value = lease[field];
    if (value === undefined) continue;
    const encoded = encodeField(field, value);
    if (encoded !== undefined) item[FIELDS[field].attribute] = encoded;
  }
  return item;
}

/**
 * The lease an item holds, or `undefined` when the item is another KCL entity (its `entityType`
 * is present and not `LEASE`).
 * @throws LeaseStoreError (code `MalformedLease`) naming the item and attribute that cannot be read
 * @internal
 */
export function fromLeaseItem(item: LeaseItem, operation: string): Lease | undefined {
  const entityType = item[ENTITY_TYPE];
  if (entityType !== undefined && entityType.S !== 'LEASE') return undefined;
  const key = item[LEASE_KEY]?.S;
  if (key === undefined) {
    throw new LeaseStoreError(operation, 'MalformedLease', `item has no string ${LEASE_KEY}: ${JSON.stringify(item)}`);
  }
  try {
    const fields: Record<string, unknown> = {};
    for (const field of Object.keys(FIELDS) as LeaseField[]) {
      const { attribute, codec } = FIELDS[field];
      const value = item[attribute];
      if (value !== undefined) fields[field] = codec.decode(value, attribute);
    }
    const leaseCounter = required(fields, 'leaseCounter');
    const checkpoint = required(fields, 'checkpoint');
    return {
      ...fields,
      leaseKey: key,
      leaseCounter,
      checkpoint,
      // The KCL writes both counters on every lease; items from hand-made tables may lack them.
      checkpointSubSequenceNumber: fields['checkpointSubSequenceNumber'] ?? 0,
      ownerSwitchesSinceCheckpoint: fields['ownerSwitchesSinceCheckpoint'] ?? 0,
      parentShardIds: fields['parentShardIds'] ?? [],
    } as Lease;
  } catch (error) {
    if (!(error instanceof BadAttribute)) throw error;
    throw new LeaseStoreError(operation, 'MalformedLease', `lease ${key}: ${error.message}`);
  }
}

function required(fields: Record<string, unknown>, field: LeaseField): unknown {
  if (fields[field] === undefined) throw new BadAttribute(`${attributeOf(field)} is missing`);
  return fields[field];
}
