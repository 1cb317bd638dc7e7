/**
 * The fakes must pass the same port contracts as the real services (the emulators run them in
 * integration/), so tests written against the fakes hold against Kinesis and DynamoDB.
 */
import { lastValueFrom, VirtualTimeScheduler, type Observable } from 'rxjs';
import { kinesisPortContract } from '../ports/kinesis-port.contract';
import { leaseStorePortContract } from '../ports/lease-store-port.contract';
import { InMemoryKinesis } from '../../lib/testing/in-memory-kinesis';
import { InMemoryLeaseStore } from '../../lib/testing/in-memory-lease-store';
import { advance } from './virtual-time';

/** Runs a port call to completion on virtual time. */
function runOn(scheduler: VirtualTimeScheduler): <T>(observable$: Observable<T>) => Promise<T> {
  return <T>(observable$: Observable<T>): Promise<T> => {
    const result = lastValueFrom(observable$);
    scheduler.flush();
    return result;
  };
}

/** A virtual clock started at a realistic date, so arrival times look like real ones. */
function virtualClock(): VirtualTimeScheduler {
  const scheduler = new VirtualTimeScheduler();
  advance(scheduler, Date.UTC(2024, 0, 1));
  return scheduler;
}

kinesisPortContract('InMemoryKinesis', async () => {
  const scheduler = virtualClock();
  return {
    port: new InMemoryKinesis({ scheduler, latencyMillis: 3 }),
    run: runOn(scheduler),
    elapse: async (millis) => advance(scheduler, millis),
  };
});

leaseStorePortContract('InMemoryLeaseStore', async () => {
  const scheduler = virtualClock();
  return { port: new InMemoryLeaseStore({ scheduler, latencyMillis: 3 }), run: runOn(scheduler) };
});
