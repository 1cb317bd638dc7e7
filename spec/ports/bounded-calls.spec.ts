/**
 * boundedLeaseStore and boundedKinesis must:
 * - pass answers and errors through unchanged, and answer as late as the port does within the limit;
 * - fail a call unanswered at its limit with the port's retryable error, code TimedOut, naming the
 *   call and the limit, and unsubscribe it;
 * - give each call its limit: requests, reads (GetRecords, a subscription's first event) and set-up;
 * - leave PutRecords and the events after a subscription's first alone, and have the fan-out
 *   methods only when the port has them;
 * - cancel a subscription whose first event does not come in time.
 */
import { expect } from 'chai';
import { NEVER, VirtualTimeScheduler, finalize, map, timer, type Observable } from 'rxjs';
import { KinesisCallError, LeaseStoreError, LeaseTableNotFoundError } from '../../lib/model/errors';
import { TIMED_OUT, boundedKinesis, boundedLeaseStore, type CallTimeouts } from '../../lib/ports/bounded-calls';
import type { KinesisFanOutPort, KinesisPort, ShardSubscriptionEvent } from '../../lib/ports/kinesis-port';
import type { LeaseStorePort } from '../../lib/ports/lease-store-port';
import { InMemoryKinesis, InMemoryLeaseStore } from '../../lib/testing';
import { runFor } from '../support/virtual-time';

const TIMEOUTS: CallTimeouts = { requestMillis: 100, readMillis: 1000, setUpMillis: 5000 };
const TABLE = 'app-stream';
const STREAM = 'stream';

/** What a call came to, and when (on the virtual clock). */
interface Seen<T> {
  value?: T;
  error?: unknown;
  at?: number;
  unsubscribed: boolean;
}

function watch<T>(scheduler: VirtualTimeScheduler, call$: Observable<T>): Seen<T> {
  const seen: Seen<T> = { unsubscribed: false };
  call$.subscribe({
    next: (value) => {
      seen.value = value;
      seen.at = scheduler.now();
    },
    error: (error: unknown) => {
      seen.error = error;
      seen.at = scheduler.now();
    },
  });
  return seen;
}

/** Checks that the call behind `seen` is given up at `limit`, with `error` (a name, a class and fields). */
function expectGivenUpAt<T>(
  scheduler: VirtualTimeScheduler,
  seen: Seen<T>,
  given: { readonly unsubscribed: boolean },
  limit: number,
  error: { readonly type: typeof LeaseStoreError | typeof KinesisCallError; readonly operation: string; readonly message: string },
): void {
  const { operation } = error;
  runFor(scheduler, limit - 1);
  expect(seen.error, `${operation} before its limit`).to.equal(undefined);
  runFor(scheduler, 1);
  expect(seen.at, operation).to.equal(limit);
  expect(seen.error, operation).to.be.instanceOf(error.type);
  expect(seen.error, operation).to.include({ operation, code: TIMED_OUT, retryable: true });
  expect((seen.error as Error).message, operation).to.equal(error.message);
  expect(given.unsubscribed, `${operation} given up`).to.equal(true);
}

/** A call that never answers, noting when it is given up. */
function hung<T>(seen: { unsubscribed: boolean }): Observable<T> {
  return NEVER.pipe(finalize(() => (seen.unsubscribed = true)));
}

describe('boundedLeaseStore', () => {
  it('fails each call left unanswered at its limit with a retryable LeaseStoreError TimedOut, and gives it up', () => {
    const cases: ReadonlyArray<readonly [keyof LeaseStorePort, string, number, (port: LeaseStorePort) => Observable<unknown>]> = [
      ['ensureTable', 'CreateTable', TIMEOUTS.setUpMillis, (p) => p.ensureTable(TABLE)],
      ['listLeases', 'Scan', TIMEOUTS.requestMillis, (p) => p.listLeases(TABLE)],
      ['getLease', 'GetItem', TIMEOUTS.requestMillis, (p) => p.getLease(TABLE, 'k')],
      ['createLease', 'PutItem', TIMEOUTS.requestMillis, (p) => p.createLease(TABLE, { leaseKey: 'k', leaseCounter: 0, checkpoint: 'LATEST', checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0, parentShardIds: [] })],
      ['updateLease', 'UpdateItem', TIMEOUTS.requestMillis, (p) => p.updateLease(TABLE, 'k', { expectedCounter: 1 })],
      ['deleteLease', 'DeleteItem', TIMEOUTS.requestMillis, (p) => p.deleteLease(TABLE, 'k', 1)],
    ];
    for (const [, operation, limit, call] of cases) {
      const scheduler = new VirtualTimeScheduler();
      const given = { unsubscribed: false };
      const port = Object.fromEntries(cases.map(([m]) => [m, () => hung(given)])) as unknown as LeaseStorePort;
      const seen = watch(scheduler, call(boundedLeaseStore(port, TIMEOUTS, scheduler)));
      const message = `Lease store ${operation} failed (TimedOut): no answer within ${limit} ms (table ${TABLE})`;
      expectGivenUpAt(scheduler, seen, given, limit, { type: LeaseStoreError, operation, message });
    }
  });

  it('passes answers and errors through as the port gives them, however late within the limit', () => {
    const scheduler = new VirtualTimeScheduler();
    const store = new InMemoryLeaseStore({ scheduler, latencyMillis: TIMEOUTS.requestMillis - 1, tables: [TABLE] });
    const port = boundedLeaseStore(store, TIMEOUTS, scheduler);
    const lease = { leaseKey: 'k', leaseCounter: 0, checkpoint: 'LATEST', checkpointSubSequenceNumber: 0, ownerSwitchesSinceCheckpoint: 0, parentShardIds: [] };
    const created = watch(scheduler, port.createLease(TABLE, lease));
    const missing = watch(scheduler, port.listLeases('no-such-table'));
    scheduler.flush();
    expect(created.value).to.deep.equal({ _tag: 'Written', lease });
    expect(created.at).to.equal(TIMEOUTS.requestMillis - 1);
    expect(missing.error).to.be.instanceOf(LeaseTableNotFoundError);
    expect(store.leases(TABLE)).to.deep.equal([lease]);
  });
});

describe('boundedKinesis', () => {
  /** A Kinesis port (with fan-out) every call of which hangs. */
  function hungKinesis(given: { unsubscribed: boolean }, subscription: AsyncIterator<ShardSubscriptionEvent>): KinesisPort & KinesisFanOutPort {
    return {
      listShards: () => hung(given),
      getShardIterator: () => hung(given),
      getRecords: () => hung(given),
      putRecords: () => hung(given),
      ensureStreamConsumer: () => hung(given),
      subscribeToShard: () => ({ [Symbol.asyncIterator]: () => subscription }),
    };
  }

  const neverAnswering = (): AsyncIterator<ShardSubscriptionEvent> & { returned: boolean } => {
    const iterator = {
      returned: false,
      next: () => new Promise<IteratorResult<ShardSubscriptionEvent>>(() => undefined),
      return: () => {
        iterator.returned = true;
        return Promise.resolve({ done: true as const, value: undefined });
      },
    };
    return iterator;
  };

  it('fails ListShards and GetShardIterator at the request limit, GetRecords at the read limit, ensureStreamConsumer at the set-up limit', () => {
    const cases: ReadonlyArray<readonly [string, number, string, (port: KinesisPort & Partial<KinesisFanOutPort>) => Observable<unknown>]> = [
      ['ListShards', TIMEOUTS.requestMillis, `stream ${STREAM}`, (p) => p.listShards(STREAM)],
      ['GetShardIterator', TIMEOUTS.requestMillis, `shard s of stream ${STREAM}`, (p) => p.getShardIterator(STREAM, 's', { type: 'LATEST' })],
      ['GetRecords', TIMEOUTS.readMillis, 'shard iterator', (p) => p.getRecords('iterator', 10)],
      ['RegisterStreamConsumer', TIMEOUTS.setUpMillis, `consumer efo of stream ${STREAM}`, (p) => p.ensureStreamConsumer!(STREAM, 'efo')],
    ];
    for (const [operation, limit, what, call] of cases) {
      const scheduler = new VirtualTimeScheduler();
      const given = { unsubscribed: false };
      const seen = watch(scheduler, call(boundedKinesis(hungKinesis(given, neverAnswering()), TIMEOUTS, scheduler)));
      const message = `Kinesis ${operation} failed (TimedOut): no answer within ${limit} ms (${what})`;
      expectGivenUpAt(scheduler, seen, given, limit, { type: KinesisCallError, operation, message });
    }
  });

  it('leaves PutRecords alone: the producer bounds its own sends', () => {
    const scheduler = new VirtualTimeScheduler();
    const given = { unsubscribed: false };
    const seen = watch(scheduler, boundedKinesis(hungKinesis(given, neverAnswering()), TIMEOUTS, scheduler).putRecords(STREAM, []));
    runFor(scheduler, 10 * TIMEOUTS.setUpMillis);
    expect(seen.error).to.equal(undefined);
    expect(given.unsubscribed).to.equal(false);
  });

  it('passes answers through, and has the fan-out methods only when the port has them', () => {
    const scheduler = new VirtualTimeScheduler();
    const kinesis = new InMemoryKinesis({ scheduler, latencyMillis: TIMEOUTS.requestMillis - 1, streams: { [STREAM]: 2 } });
    const port = boundedKinesis(kinesis, TIMEOUTS, scheduler);
    const shards = watch(scheduler, port.listShards(STREAM).pipe(map((list) => list.map((s) => s.shardId))));
    scheduler.flush();
    expect(shards.value).to.deep.equal(['shardId-000000000000', 'shardId-000000000001']);
    expect(port.subscribeToShard).to.be.a('function');

    const { ensureStreamConsumer: _e, subscribeToShard: _s, ...pollingOnly } = hungKinesis({ unsubscribed: false }, neverAnswering());
    const bounded = boundedKinesis(pollingOnly, TIMEOUTS, scheduler);
    expect(bounded.ensureStreamConsumer).to.equal(undefined);
    expect(bounded.subscribeToShard).to.equal(undefined);
  });

  it('rejects the first next() of a subscription that has not answered at the read limit, and cancels the subscription', async () => {
    const scheduler = new VirtualTimeScheduler();
    const subscription = neverAnswering();
    const port = boundedKinesis(hungKinesis({ unsubscribed: false }, subscription), TIMEOUTS, scheduler);
    const iterator = port.subscribeToShard!('arn', 's', { type: 'LATEST' })[Symbol.asyncIterator]();
    let failure: unknown;
    const first = iterator.next().catch((error: unknown) => (failure = error));
    runFor(scheduler, TIMEOUTS.readMillis - 1);
    await Promise.resolve();
    expect(failure).to.equal(undefined);
    runFor(scheduler, 1);
    await first;
    expect(failure).to.be.instanceOf(KinesisCallError);
    expect(failure).to.include({ operation: 'SubscribeToShard', code: TIMED_OUT, retryable: true });
    expect((failure as Error).message).to.contain(`no answer within ${TIMEOUTS.readMillis} ms (first event of shard s)`);
    expect(subscription.returned, 'cancelled').to.equal(true);
  });

  it('leaves the events after the first to the reader: a later next() may take as long as it takes', async () => {
    const scheduler = new VirtualTimeScheduler();
    const event: ShardSubscriptionEvent = { records: [], continuationSequenceNumber: '1', millisBehindLatest: 0 };
    let calls = 0;
    const late = (): Promise<IteratorResult<ShardSubscriptionEvent>> =>
      new Promise((resolve) => {
        calls += 1;
        // The first answers just in time, the second long after the read limit.
        timer(calls === 1 ? TIMEOUTS.readMillis - 1 : 10 * TIMEOUTS.readMillis, scheduler).subscribe(() => resolve({ done: false, value: event }));
      });
    const subscription: AsyncIterator<ShardSubscriptionEvent> = { next: late, return: () => Promise.resolve({ done: true, value: undefined }) };
    const port = boundedKinesis(hungKinesis({ unsubscribed: false }, subscription), TIMEOUTS, scheduler);
    const iterator = port.subscribeToShard!('arn', 's', { type: 'LATEST' })[Symbol.asyncIterator]();
    const first = iterator.next();
    runFor(scheduler, TIMEOUTS.readMillis - 1);
    expect(await first).to.deep.equal({ done: false, value: event });
    const second = iterator.next();
    runFor(scheduler, 10 * TIMEOUTS.readMillis);
    expect(await second).to.deep.equal({ done: false, value: event });
  });
});
