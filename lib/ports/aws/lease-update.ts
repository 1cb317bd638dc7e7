/**
 * Builds the conditional UpdateItem for a lease update: the KCL's legacy `Expected` /
 * `AttributeUpdates` semantics written as expressions. Every update is fenced on the counter it
 * expects and moves the counter to `expected + 1`, so two workers can never both win a write; the
 * one exception, `keepCounter` (a KCL 3.x handoff), is fenced on `checkpointOwner` being absent by
 * its caller, so it too can win only once.
 * @packageDocumentation
 */
import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { Lease } from '../../model/lease';
import type { LeaseUpdate } from '../lease-store-port';
import { checkExpectedCounter, checkLeaseUpdate } from '../lease-update-rules';
import { attributeOf, encodeField, LEASE_KEY, type LeaseField } from './lease-item';

/**
 * The UpdateItem request for `update`, returning the whole new item.
 * @throws LeaseStoreError (code `InvalidUpdate`, not retryable) when the update cannot be expressed:
 *   an attribute both set and removed, an attribute that cannot be set or removed, a counter that
 *   is not a non-negative integer, or `incrementOwnerSwitches` together with a value for it
 * @internal
 */
export function toUpdateItemInput(tableName: string, leaseKey: string, update: LeaseUpdate): UpdateItemCommandInput {
  checkLeaseUpdate(update);
  const names: Record<string, string> = { '#leaseCounter': attributeOf('leaseCounter') };
  const values: Record<string, AttributeValue> = { ':expectedCounter': { N: String(update.expectedCounter) } };
  const assignments: string[] = [];
  if (update.keepCounter !== true) {
    values[':newCounter'] = { N: String(update.expectedCounter + 1) };
    assignments.push('#leaseCounter = :newCounter');
  }
  const removals: string[] = [];

  const changes = Object.entries(update.set ?? {}).filter(([, value]) => value !== undefined);
  const removed = new Set<string>(update.remove ?? []);

  for (const [field, value] of changes as Array<[LeaseField, NonNullable<Lease[LeaseField]>]>) {
    names[`#${field}`] = attributeOf(field);
    const encoded = encodeField(field, value);
    // DynamoDB holds no empty set: setting one means the attribute goes away.
    if (encoded === undefined) {
      removals.push(`#${field}`);
    } else {
      values[`:${field}`] = encoded;
      assignments.push(`#${field} = :${field}`);
    }
  }
  for (const field of removed) {
    names[`#${field}`] = attributeOf(field as LeaseField);
    removals.push(`#${field}`);
  }

  const clauses: string[] = [];
  if (assignments.length > 0) clauses.push(`SET ${assignments.join(', ')}`);
  if (removals.length > 0) clauses.push(`REMOVE ${removals.join(', ')}`);
  if (update.incrementOwnerSwitches === true) {
    names['#ownerSwitchesSinceCheckpoint'] = attributeOf('ownerSwitchesSinceCheckpoint');
    values[':one'] = { N: '1' };
    clauses.push('ADD #ownerSwitchesSinceCheckpoint :one');
  }

  // A missing item has no leaseCounter, so the counter condition also refuses to create one.
  const conditions = ['#leaseCounter = :expectedCounter'];
  // `field` must hold `expected`; `null`: it must be absent; `undefined`: no condition.
  const expectField = (field: 'leaseOwner' | 'checkpointOwner', placeholder: string, expected: string | null | undefined): void => {
    if (expected === undefined) return;
    names[`#${field}`] = attributeOf(field);
    if (expected === null) {
      conditions.push(`attribute_not_exists(#${field})`);
    } else {
      values[placeholder] = { S: expected };
      conditions.push(`#${field} = ${placeholder}`);
    }
  };
  expectField('leaseOwner', ':expectedOwner', update.expectedOwner);
  expectField('checkpointOwner', ':expectedCheckpointOwner', update.expectedCheckpointOwner);

  return {
    TableName: tableName,
    Key: { [LEASE_KEY]: { S: leaseKey } },
    UpdateExpression: clauses.join(' '),
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValues: 'ALL_NEW',
  };
}

/**
 * The condition of a delete fenced on the counter, when one is expected.
 * @throws LeaseStoreError (code `InvalidUpdate`) when the counter is not a non-negative integer
 * @internal
 */
export function deleteCondition(
  expectedCounter: number | undefined,
): Pick<UpdateItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  if (expectedCounter === undefined) return {};
  checkExpectedCounter('DeleteItem', expectedCounter);
  return {
    ConditionExpression: '#leaseCounter = :expectedCounter',
    ExpressionAttributeNames: { '#leaseCounter': attributeOf('leaseCounter') },
    ExpressionAttributeValues: { ':expectedCounter': { N: String(expectedCounter) } },
  };
}
