/**
 * What the delivery logs of a chaos run say, checked against what was produced, the faults
 * injected and the lease table at the end. Pure: the run gathers the inputs, this judges them.
 *
 * - Lost: produced (acknowledged) events never delivered.
 * - Duplicates: every delivery of a record (a shard position) after its first, each attributed to
 *   the fault that preceded its redelivery: for a zombie delivery, the pause of the worker making
 *   it; otherwise the latest fault that hit a worker after it had delivered the record and before
 *   the redelivering tenure began, since that worker's end or silence is what made its work be
 *   done again. An event the producer put twice (a retry after an answer was lost) is two records:
 *   counted apart, as producer copies.
 * - Zombie deliveries: a delivery of shard S with fencing token t when another worker had already
 *   logged a delivery of S with a greater token, i.e. a worker still emitting after its lease was
 *   taken over. All the processes share the machine's monotonic clock, so "already" is exact.
 * - Order: within one tenure (one acquisition of a shard by one worker) positions strictly increase.
 * - Checkpoints: against the last delivered record of each shard.
 * @packageDocumentation
 */
import type { Lease } from '../../lib/model/lease';
import { CompoundSequenceNumber } from '../../lib/model/sequence-number';
import type { Delivery } from './delivery-log';
import type { FaultKind } from './fault-schedule';

/** A fault as it was injected. */
export interface FaultRecord {
  readonly kind: FaultKind;
  /** The incarnation hit (`w2-3`). */
  readonly worker: string;
  /** When the signal was sent, in monotonic milliseconds. */
  readonly at: number;
}

/** Where an acknowledged event was put. */
export interface ProducedRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
}

/** What the analysis is given. */
export interface AnalysisInput {
  /** Acknowledged events by id. */
  readonly produced: ReadonlyMap<number, ProducedRecord>;
  /** Events whose send failed: they may be in the stream all the same (put, but the answer was lost). */
  readonly sendFailed: ReadonlySet<number>;
  readonly deliveries: readonly Delivery[];
  readonly faults: readonly FaultRecord[];
  /** The lease table once every worker was stopped gracefully; absent when it could not be read. */
  readonly leasesAfterStop?: readonly Lease[];
  /** The lease table while the workers still ran, after the drain; absent when not read. */
  readonly leasesAtDrain?: readonly Lease[];
}

/** What a duplicate is put down to. */
export type DuplicateCause = FaultKind | 'unattributed';

export interface ZombieSample {
  readonly worker: string;
  readonly shardId: string;
  readonly eventId: number | null;
  readonly token: number;
  /** The other worker that had already delivered the shard with a newer token. */
  readonly newerWorker: string;
  readonly newerToken: number;
  /** How long after that worker's first delivery with the newer token this one came. */
  readonly lateByMillis: number;
}

export interface OrderViolation {
  readonly worker: string;
  readonly shardId: string;
  readonly tenure: number;
  readonly previous: string;
  readonly next: string;
}

/** One shard's checkpoint in a lease table read. */
export interface CheckpointFinding {
  readonly shardId: string;
  readonly owner: string | null;
  readonly checkpoint: string;
  /** The highest position delivered (by anyone); null when nothing was. */
  readonly lastDelivered: string | null;
  /** The highest position acknowledged to the producer; null when nothing was. */
  readonly lastProduced: string | null;
  /** The checkpoint is past every delivered record: records may be skipped. */
  readonly ahead: boolean;
  /** Distinct delivered positions after the checkpoint (delivered and committed, not yet checkpointed). */
  readonly behind: number;
}

export interface Findings {
  readonly produced: number;
  /** Deliveries of produced events, duplicates included. */
  readonly deliveries: number;
  /** Produced events delivered at least once. */
  readonly distinct: number;
  /** Events found at more than one position of the stream, each extra one counted (the producer put them again after a lost answer). */
  readonly producerCopies: number;
  /** Events delivered although their send failed (they were put, but the answer was lost). */
  readonly deliveredAfterSendFailed: number;
  readonly lost: number;
  /** The lowest lost ids, for a look at the logs. */
  readonly lostSample: readonly number[];
  /** Deliveries of records the run did not produce. */
  readonly unexpected: number;
  readonly duplicates: Readonly<Record<DuplicateCause, number>> & {
    readonly total: number;
    /** Some duplicates after graceful stops, to look them up in the logs. */
    readonly afterTermSample: readonly { readonly eventId: number; readonly shardId: string; readonly workers: readonly string[] }[];
  };
  readonly zombies: {
    readonly count: number;
    readonly byWorker: Readonly<Record<string, number>>;
    readonly sample: readonly ZombieSample[];
  };
  readonly order: { readonly tenures: number; readonly violations: number; readonly sample: readonly OrderViolation[] };
  /** Per fault (in the order given): the duplicates and zombie deliveries put down to it. */
  readonly perFault: readonly { readonly duplicates: number; readonly zombies: number }[];
  readonly checkpointsAtDrain?: readonly CheckpointFinding[];
  readonly checkpointsAfterStop?: readonly CheckpointFinding[];
}

const SAMPLE = 10;

const positionOf = (delivery: Delivery): CompoundSequenceNumber => new CompoundSequenceNumber(delivery.sequenceNumber, delivery.subSequenceNumber);
const positionKey = (delivery: Delivery): string => `${delivery.shardId}/${delivery.sequenceNumber}/${delivery.subSequenceNumber}`;

/** Judges a run; see the module notes. */
export function analyse(input: AnalysisInput): Findings {
  const deliveries = [...input.deliveries].sort((a, b) => a.at - b.at);
  const ours = (delivery: Delivery): delivery is Delivery & { readonly eventId: number } =>
    delivery.eventId !== null && (input.produced.has(delivery.eventId) || input.sendFailed.has(delivery.eventId));
  const zombies = findZombies(deliveries);
  const { duplicates, perFault } = attributeDuplicates(deliveries.filter(ours), input.faults, zombies.isZombie);
  const delivered = new Set<number>();
  const positions = new Set<string>();
  let ofOurs = 0;
  for (const delivery of deliveries) {
    if (!ours(delivery)) continue;
    ofOurs += 1;
    delivered.add(delivery.eventId);
    positions.add(positionKey(delivery));
  }
  const lostIds = [...input.produced.keys()].filter((id) => !delivered.has(id)).sort((a, b) => a - b);
  return {
    produced: input.produced.size,
    deliveries: ofOurs,
    distinct: [...delivered].filter((id) => input.produced.has(id)).length,
    producerCopies: positions.size - delivered.size,
    deliveredAfterSendFailed: [...delivered].filter((id) => input.sendFailed.has(id)).length,
    lost: lostIds.length,
    lostSample: lostIds.slice(0, SAMPLE),
    unexpected: deliveries.length - ofOurs,
    duplicates,
    zombies: zombies.summary,
    order: checkOrder(deliveries),
    perFault,
    ...(input.leasesAtDrain === undefined ? {} : { checkpointsAtDrain: checkCheckpoints(input.leasesAtDrain, deliveries, input.produced) }),
    ...(input.leasesAfterStop === undefined ? {} : { checkpointsAfterStop: checkCheckpoints(input.leasesAfterStop, deliveries, input.produced) }),
  };
}

/** Zombie deliveries, per shard in time order; see the module notes. */
function findZombies(deliveries: readonly Delivery[]): { isZombie: (delivery: Delivery) => boolean; summary: Findings['zombies'] } {
  // Per shard, per worker: the newest token it has delivered with, and when it first did.
  const newest = new Map<string, Map<string, { token: number; since: number }>>();
  const zombies = new Set<Delivery>();
  const byWorker: Record<string, number> = {};
  const sample: ZombieSample[] = [];
  for (const delivery of deliveries) {
    const token = delivery.fencingToken;
    const workers = newest.get(delivery.shardId) ?? new Map<string, { token: number; since: number }>();
    newest.set(delivery.shardId, workers);
    let newer: { worker: string; token: number; since: number } | undefined;
    for (const [worker, seen] of workers) {
      if (worker !== delivery.worker && seen.token > token && (newer === undefined || seen.token > newer.token)) newer = { worker, ...seen };
    }
    if (newer !== undefined) {
      zombies.add(delivery);
      byWorker[delivery.worker] = (byWorker[delivery.worker] ?? 0) + 1;
      if (sample.length < SAMPLE) {
        sample.push({
          worker: delivery.worker,
          shardId: delivery.shardId,
          eventId: delivery.eventId,
          token,
          newerWorker: newer.worker,
          newerToken: newer.token,
          lateByMillis: Math.round(delivery.at - newer.since),
        });
      }
    }
    const own = workers.get(delivery.worker);
    if (own === undefined || token > own.token) workers.set(delivery.worker, { token, since: delivery.at });
  }
  return { isZombie: (delivery) => zombies.has(delivery), summary: { count: zombies.size, byWorker, sample } };
}

/** Counts and attributes duplicates (of the deliveries of produced events); see the module notes. */
function attributeDuplicates(
  deliveries: readonly (Delivery & { readonly eventId: number })[],
  faults: readonly FaultRecord[],
  isZombie: (delivery: Delivery) => boolean,
): Pick<Findings, 'duplicates' | 'perFault'> {
  const faultsOf = new Map<string, FaultRecord[]>();
  for (const fault of faults) faultsOf.set(fault.worker, [...(faultsOf.get(fault.worker) ?? []), fault]);
  const perFault = new Map<FaultRecord, { duplicates: number; zombies: number }>(faults.map((fault) => [fault, { duplicates: 0, zombies: 0 }]));
  const counts: Record<DuplicateCause, number> = { kill: 0, pause: 0, term: 0, unattributed: 0 };
  const afterTermSample: { eventId: number; shardId: string; workers: string[] }[] = [];
  const earlier = new Map<string, Delivery[]>();
  let total = 0;

  const latest = (candidates: Iterable<FaultRecord>): FaultRecord | undefined => {
    let best: FaultRecord | undefined;
    for (const fault of candidates) if (best === undefined || fault.at > best.at) best = fault;
    return best;
  };
  const pauseBefore = (delivery: Delivery) => latest((faultsOf.get(delivery.worker) ?? []).filter((f) => f.kind === 'pause' && f.at <= delivery.at));
  const causeOf = (delivery: Delivery, before: readonly Delivery[]): FaultRecord | undefined =>
    isZombie(delivery)
      ? pauseBefore(delivery)
      : latest(before.flatMap((previous) => (faultsOf.get(previous.worker) ?? []).filter((f) => f.at >= previous.at && f.at <= delivery.acquiredAt)));

  for (const delivery of deliveries) {
    const key = positionKey(delivery);
    const before = earlier.get(key);
    if (before === undefined) {
      earlier.set(key, [delivery]);
      // A zombie delivery of a record nobody else delivered is no duplicate, but still the pause's doing.
      const fault = isZombie(delivery) ? pauseBefore(delivery) : undefined;
      if (fault !== undefined) perFault.get(fault)!.zombies += 1;
      continue;
    }
    total += 1;
    const fault = causeOf(delivery, before);
    counts[fault?.kind ?? 'unattributed'] += 1;
    if (fault !== undefined) {
      const tally = perFault.get(fault)!;
      tally.duplicates += 1;
      if (isZombie(delivery)) tally.zombies += 1;
    }
    if (fault?.kind === 'term' && afterTermSample.length < SAMPLE) {
      afterTermSample.push({ eventId: delivery.eventId, shardId: delivery.shardId, workers: [...before, delivery].map((d) => d.worker) });
    }
    before.push(delivery);
  }
  return { duplicates: { total, ...counts, afterTermSample }, perFault: faults.map((fault) => perFault.get(fault)!) };
}

/** Positions strictly increase within each tenure. */
function checkOrder(deliveries: readonly Delivery[]): Findings['order'] {
  const last = new Map<string, CompoundSequenceNumber>();
  const sample: OrderViolation[] = [];
  let violations = 0;
  for (const delivery of deliveries) {
    const key = `${delivery.worker} ${delivery.shardId} ${delivery.tenure}`;
    const position = positionOf(delivery);
    const previous = last.get(key);
    if (previous !== undefined && !position.isAfter(previous)) {
      violations += 1;
      if (sample.length < SAMPLE) {
        sample.push({ worker: delivery.worker, shardId: delivery.shardId, tenure: delivery.tenure, previous: previous.toString(), next: position.toString() });
      }
    }
    last.set(key, position);
  }
  return { tenures: last.size, violations, sample };
}

/** Each lease's checkpoint against the last record delivered, and produced, on its shard. */
function checkCheckpoints(leases: readonly Lease[], deliveries: readonly Delivery[], produced: ReadonlyMap<number, ProducedRecord>): CheckpointFinding[] {
  const positions = new Map<string, CompoundSequenceNumber[]>();
  for (const delivery of deliveries) {
    const shard = positions.get(delivery.shardId) ?? [];
    positions.set(delivery.shardId, shard);
    shard.push(positionOf(delivery));
  }
  const lastProduced = new Map<string, bigint>();
  for (const record of produced.values()) {
    const sequence = BigInt(record.sequenceNumber);
    if (sequence > (lastProduced.get(record.shardId) ?? -1n)) lastProduced.set(record.shardId, sequence);
  }
  return [...leases]
    .sort((a, b) => a.leaseKey.localeCompare(b.leaseKey))
    .map((lease) => {
      const checkpoint = new CompoundSequenceNumber(lease.checkpoint, /^\d+$/.test(lease.checkpoint) ? lease.checkpointSubSequenceNumber : 0);
      const delivered = positions.get(lease.leaseKey) ?? [];
      const last = delivered.reduce<CompoundSequenceNumber | undefined>((max, p) => (max === undefined || p.isAfter(max) ? p : max), undefined);
      const after = new Set(delivered.filter((p) => p.isAfter(checkpoint)).map((p) => p.toString()));
      const producedLast = lastProduced.get(lease.leaseKey);
      return {
        shardId: lease.leaseKey,
        owner: lease.leaseOwner ?? null,
        checkpoint: checkpoint.toString(),
        lastDelivered: last?.toString() ?? null,
        lastProduced: producedLast === undefined ? null : String(producedLast),
        ahead: checkpoint.sequenceNumber !== 'SHARD_END' && !checkpoint.isSentinel && (last === undefined || checkpoint.isAfter(last)),
        behind: after.size,
      };
    });
}
