import { expect } from 'chai';
import { EMPTY, from, lastValueFrom, of, toArray } from 'rxjs';
import { committableEvent, mapPayload, mapPayloadAsync } from '../../lib/consumer/committable-event';
import { consumerEvent } from '../../lib/model/consumer-event';
import { CompoundSequenceNumber as Csn } from '../../lib/model/sequence-number';

const event = (seq: string, sub = 0, text = `payload ${seq}/${sub}`) =>
  consumerEvent({
    shardId: 'shardId-000000000001',
    partitionKey: 'pk',
    sequenceNumber: new Csn(seq, sub),
    payload: Buffer.from(text),
    arrivalTime: new Date(0),
  });

describe('CommittableEvent', () => {
  it('starts with the ConsumerEvent as payload and exposes its shard and position', () => {
    const original = event('42', 3);
    const committable = committableEvent(original, () => undefined);
    expect(committable.payload).to.equal(original);
    expect(committable.event).to.equal(original);
    expect(committable.shardId).to.equal('shardId-000000000001');
    expect(committable.sequenceNumber.toString()).to.equal('42/3');
    expect(committable.committed).to.equal(false);
  });

  it('commit() reports once, returns the event itself, and marks it committed', () => {
    const calls: boolean[] = [];
    const committable = committableEvent(event('1'), (ok) => calls.push(ok));
    expect(committable.commit()).to.equal(committable);
    committable.commit(false);
    committable.commit();
    expect(calls).to.deep.equal([true]);
    expect(committable.committed).to.equal(true);
  });

  it('reports a skip as commit(false)', () => {
    const calls: boolean[] = [];
    committableEvent(event('1'), (ok) => calls.push(ok)).commit(false);
    expect(calls).to.deep.equal([false]);
  });

  it('map keeps the binding: committing the mapped event commits the original, once', () => {
    const calls: boolean[] = [];
    const original = committableEvent(event('5', 0, 'hello'), (ok) => calls.push(ok));
    const mapped = original.map((e) => e.payloadAsString().toUpperCase());
    expect(mapped.payload).to.equal('HELLO');
    expect(mapped.sequenceNumber).to.equal(original.sequenceNumber);
    expect(mapped.event).to.equal(original.event);
    mapped.commit();
    original.commit();
    expect(calls).to.deep.equal([true]);
    expect(original.committed).to.equal(true);
  });

  it('mapAsync resolves a Promise or an Observable into the same binding, lazily', async () => {
    const calls: boolean[] = [];
    const original = committableEvent(event('5'), (ok) => calls.push(ok));
    let ran = 0;
    const viaPromise = original.mapAsync(() => {
      ran += 1;
      return Promise.resolve(7);
    });
    expect(ran, 'cold').to.equal(0);
    const seven = await lastValueFrom(viaPromise);
    expect(seven.payload).to.equal(7);
    const many = await lastValueFrom(original.mapAsync(() => from(['first', 'second'])).pipe(toArray()));
    expect(many.map((m) => m.payload), 'only the first value').to.deep.equal(['first']);
    many[0]!.commit();
    expect(calls).to.deep.equal([true]);
  });

  it('mapAsync fails clearly when the function yields nothing, since the event could never be committed', async () => {
    const original = committableEvent(event('8', 2), () => undefined);
    let caught: unknown;
    await lastValueFrom(original.mapAsync(() => EMPTY)).catch((e: unknown) => (caught = e));
    expect(caught).to.be.instanceOf(TypeError);
    expect((caught as Error).message).to.contain('8/2');
  });

  it('mapPayload and mapPayloadAsync keep order and binding', async () => {
    const committed: string[] = [];
    const source = ['1', '2', '3'].map((s) => committableEvent(event(s), () => committed.push(s)));
    const mapped = of(...source).pipe(
      mapPayload((e) => Number(e.sequenceNumber.sequenceNumber)),
      mapPayloadAsync((n) => (n === 2 ? Promise.resolve(n * 10) : of(n * 10))),
      toArray(),
    );
    const result = await lastValueFrom(mapped);
    expect(result.map((r) => r.payload)).to.deep.equal([10, 20, 30]);
    result[2]!.commit();
    result[0]!.commit();
    expect(committed).to.deep.equal(['3', '1']);
  });
});
