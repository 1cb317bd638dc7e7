/**
 * How long the consumer lets each Kinesis and lease-table call go unanswered (see
 * `bounded-calls`), derived from the lease timing, unless `options.callTimeouts` says otherwise.
 * @packageDocumentation
 */
import type { CallTimeouts } from '../ports/bounded-calls';

/** The least time a request is given, however short the failover time: a round trip, with the SDK's own retries. */
export const MIN_REQUEST_MILLIS = 1000;
/** The least time a read is given: 10 MiB, the largest GetRecords answer, at 1 MiB/s. */
export const MIN_READ_MILLIS = 10_000;
/** The most time a read is given: the KCL's GetRecords request timeout. */
export const MAX_READ_MILLIS = 30_000;
/** Time given to creating the lease table or registering the stream consumer. */
export const SET_UP_MILLIS = 60_000;

/** What the defaults are derived from: the coordinator's resolved timing. */
export interface LeaseTiming {
  readonly failoverTimeMillis: number;
  /** failover / 3 − epsilon. */
  readonly renewIntervalMillis: number;
}

/**
 * The limits of a consumer's calls: `overrides` where given, else these defaults.
 *
 * - `requestMillis`: the renew interval (failover / 3 − epsilon, 3308 ms by default), at least
 *   {@link MIN_REQUEST_MILLIS}. A renewal that hangs that long still leaves time, within the
 *   failover − epsilon a lease stays valid, for a retry after backoff (and the read-back of the
 *   write that timed out), so one black-holed write does not cost the lease. A Scan bounded by it
 *   cannot make a live lease look expired: its holder moves the counter every renew interval, so
 *   the counter a scan answers with moved at most two renew intervals before the answer, less
 *   than a failover (with the floor, for any failover time from 1.5 s up). Take rounds,
 *   readiness checks and shard syncs skip a round whose call failed and go on at their next one,
 *   so a black-holed call costs them one renew interval more, well within a failover period.
 * - `readMillis`: the failover time, within {@link MIN_READ_MILLIS} and {@link MAX_READ_MILLIS}
 *   (10 s by default). A reader stalled on one GetRecords (or on a subscription's first event)
 *   then waits no longer than a dead worker leaves its shards unread, and a 10 MiB answer still
 *   has 1 MiB/s. Polling retries a read that ran out, as any transient failure, with the same
 *   iterator; later fan-out events are watched by the reader's own liveness check instead.
 * - `setUpMillis`: {@link SET_UP_MILLIS}. Creating the table and registering the stream consumer
 *   happen at start-up, before any lease is held, so no lease timing constrains them; they are
 *   retried when they run out, and the service goes on creating meanwhile, so the limit only keeps
 *   a black-holed request from holding start-up for ever.
 * @throws TypeError when an override is not a positive number of milliseconds
 */
export function callTimeouts(timing: LeaseTiming, overrides: Partial<CallTimeouts> = {}): CallTimeouts {
  const limits: CallTimeouts = {
    requestMillis: overrides.requestMillis ?? Math.max(timing.renewIntervalMillis, MIN_REQUEST_MILLIS),
    readMillis: overrides.readMillis ?? Math.min(MAX_READ_MILLIS, Math.max(timing.failoverTimeMillis, MIN_READ_MILLIS)),
    setUpMillis: overrides.setUpMillis ?? SET_UP_MILLIS,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new TypeError(`consume$: callTimeouts.${name} must be a positive number of milliseconds, got ${String(value)}`);
    }
  }
  return limits;
}
