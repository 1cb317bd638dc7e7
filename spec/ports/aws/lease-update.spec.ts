import { expect } from 'chai';
import { LeaseStoreError } from '../../../lib/model/errors';
import { deleteCondition, toUpdateItemInput } from '../../../lib/ports/aws/lease-update';
import type { LeaseUpdate } from '../../../lib/ports/lease-store-port';

describe('toUpdateItemInput', function () {
  it('fences a renewal on the counter and moves it on by one', function () {
    expect(toUpdateItemInput('t', 'shardId-1', { expectedCounter: 41 })).to.deep.equal({
      TableName: 't',
      Key: { leaseKey: { S: 'shardId-1' } },
      UpdateExpression: 'SET #leaseCounter = :newCounter',
      ConditionExpression: '#leaseCounter = :expectedCounter',
      ExpressionAttributeNames: { '#leaseCounter': 'leaseCounter' },
      ExpressionAttributeValues: { ':expectedCounter': { N: '41' }, ':newCounter': { N: '42' } },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('writes a take: new owner, owner switches counted, handoff marker removed, old owner checked', function () {
    const input = toUpdateItemInput('t', 'shardId-1', {
      expectedCounter: 3,
      expectedOwner: 'worker-1',
      set: { leaseOwner: 'worker-2' },
      remove: ['checkpointOwner'],
      incrementOwnerSwitches: true,
    });
    expect(input.UpdateExpression).to.equal(
      'SET #leaseCounter = :newCounter, #leaseOwner = :leaseOwner REMOVE #checkpointOwner ADD #ownerSwitchesSinceCheckpoint :one',
    );
    expect(input.ConditionExpression).to.equal('#leaseCounter = :expectedCounter AND #leaseOwner = :expectedOwner');
    expect(input.ExpressionAttributeNames).to.deep.equal({
      '#leaseCounter': 'leaseCounter',
      '#leaseOwner': 'leaseOwner',
      '#checkpointOwner': 'checkpointOwner',
      '#ownerSwitchesSinceCheckpoint': 'ownerSwitchesSinceCheckpoint',
    });
    expect(input.ExpressionAttributeValues).to.deep.equal({
      ':expectedCounter': { N: '3' },
      ':newCounter': { N: '4' },
      ':leaseOwner': { S: 'worker-2' },
      ':one': { N: '1' },
      ':expectedOwner': { S: 'worker-1' },
    });
  });

  it('writes a checkpoint with child shards, and turns an empty set into a removal', function () {
    const input = toUpdateItemInput('t', 'k', {
      expectedCounter: 0,
      set: { checkpoint: 'SHARD_END', checkpointSubSequenceNumber: 0, childShardIds: ['c1', 'c2'], parentShardIds: undefined } as LeaseUpdate['set'],
      remove: ['pendingCheckpoint', 'pendingCheckpointSubSequenceNumber'],
    });
    expect(input.UpdateExpression).to.equal(
      'SET #leaseCounter = :newCounter, #checkpoint = :checkpoint, #checkpointSubSequenceNumber = :checkpointSubSequenceNumber, ' +
        '#childShardIds = :childShardIds REMOVE #pendingCheckpoint, #pendingCheckpointSubSequenceNumber',
    );
    expect(input.ExpressionAttributeValues?.[':childShardIds']).to.deep.equal({ SS: ['c1', 'c2'] });
    const emptied = toUpdateItemInput('t', 'k', { expectedCounter: 0, set: { childShardIds: [] } });
    expect(emptied.UpdateExpression).to.equal('SET #leaseCounter = :newCounter REMOVE #childShardIds');
  });

  it('requires no owner with expectedOwner null', function () {
    expect(toUpdateItemInput('t', 'k', { expectedCounter: 0, expectedOwner: null }).ConditionExpression).to.equal(
      '#leaseCounter = :expectedCounter AND attribute_not_exists(#leaseOwner)',
    );
  });

  it('writes a handoff: new owner and checkpoint owner, counter kept, fenced on it and on no checkpoint owner', function () {
    const input = toUpdateItemInput('t', 'k', {
      expectedCounter: 7,
      expectedOwner: 'victim',
      expectedCheckpointOwner: null,
      keepCounter: true,
      set: { leaseOwner: 'thief', checkpointOwner: 'victim' },
    });
    expect(input.UpdateExpression).to.equal('SET #leaseOwner = :leaseOwner, #checkpointOwner = :checkpointOwner');
    expect(input.ConditionExpression).to.equal(
      '#leaseCounter = :expectedCounter AND #leaseOwner = :expectedOwner AND attribute_not_exists(#checkpointOwner)',
    );
    expect(input.ExpressionAttributeValues).to.deep.equal({
      ':expectedCounter': { N: '7' },
      ':leaseOwner': { S: 'thief' },
      ':checkpointOwner': { S: 'victim' },
      ':expectedOwner': { S: 'victim' },
    });
  });

  it('requires a given checkpoint owner with expectedCheckpointOwner', function () {
    const input = toUpdateItemInput('t', 'k', { expectedCounter: 2, expectedCheckpointOwner: 'victim', remove: ['checkpointOwner'] });
    expect(input.UpdateExpression).to.equal('SET #leaseCounter = :newCounter REMOVE #checkpointOwner');
    expect(input.ConditionExpression).to.equal('#leaseCounter = :expectedCounter AND #checkpointOwner = :expectedCheckpointOwner');
    expect(input.ExpressionAttributeValues?.[':expectedCheckpointOwner']).to.deep.equal({ S: 'victim' });
  });

  for (const [label, update, reason] of [
    ['keeps the counter and changes nothing', { expectedCounter: 0, keepCounter: true }, 'must change something'],
    ['sets and removes one attribute', { expectedCounter: 0, set: { leaseOwner: 'a' }, remove: ['leaseOwner'] }, 'leaseOwner changed twice'],
    ['sets and increments the owner switches', { expectedCounter: 0, set: { ownerSwitchesSinceCheckpoint: 0 }, incrementOwnerSwitches: true }, 'ownerSwitchesSinceCheckpoint changed twice'],
    ['sets the counter', { expectedCounter: 0, set: { leaseCounter: 9 } }, 'leaseCounter cannot be set'],
    ['removes the checkpoint', { expectedCounter: 0, remove: ['checkpoint'] }, 'checkpoint cannot be removed'],
    ['expects a negative counter', { expectedCounter: -1 }, 'non-negative integer'],
    ['expects a fractional counter', { expectedCounter: 0.5 }, 'non-negative integer'],
  ] as Array<[string, LeaseUpdate, string]>) {
    it(`refuses an update that ${label}`, function () {
      expect(() => toUpdateItemInput('t', 'k', update))
        .to.throw(LeaseStoreError, reason)
        .with.property('code', 'InvalidUpdate');
    });
  }
});

describe('deleteCondition', function () {
  it('fences on the counter only when one is expected', function () {
    expect(deleteCondition(undefined)).to.deep.equal({});
    expect(deleteCondition(2)).to.deep.equal({
      ConditionExpression: '#leaseCounter = :expectedCounter',
      ExpressionAttributeNames: { '#leaseCounter': 'leaseCounter' },
      ExpressionAttributeValues: { ':expectedCounter': { N: '2' } },
    });
    expect(() => deleteCondition(-2)).to.throw(LeaseStoreError, 'non-negative integer');
  });
});
