/**
 * Deterministic fault injection for the in-memory fakes. A rule names an operation and a fault, and
 * says when it fires: on the next `times` matching calls, with a `probability` drawn from a seeded
 * generator, for calls a `when` predicate accepts, or any combination of the three. Rules are tried
 * in the order they were added and the first that fires wins; a call no rule fires on runs normally.
 *
 * ```ts
 * const kinesis = new InMemoryKinesis({ scheduler, faults: { seed: 42 } });
 * kinesis.faults.add({ operation: 'getRecords', fault: 'throttle', times: 2 });
 * kinesis.faults.add({ operation: 'putRecordsEntry', fault: 'throttle', probability: 0.3 });
 * kinesis.faults.add({ operation: 'getRecords', fault: 'hang', when: (call) => call.shardId === 'shardId-000000000001' });
 * ```
 *
 * Given the same seed and the same sequence of calls, the same calls fail.
 * @packageDocumentation
 */
import { mulberry32, type Random } from './prng';

/** The Kinesis calls a fault can be injected into. */
export type KinesisOperation =
  | 'listShards'
  | 'getShardIterator'
  | 'getRecords'
  | 'putRecords'
  | 'createStream'
  | 'deleteStream'
  | 'splitShard'
  | 'mergeShards'
  | 'ensureStreamConsumer'
  | 'subscribeToShard';

/** The lease-store calls a fault can be injected into. */
export type LeaseStoreOperation =
  | 'ensureTable'
  | 'listLeases'
  | 'getLease'
  | 'createLease'
  | 'updateLease'
  | 'deleteLease'
  | 'deleteTable';

/**
 * What an injected fault does to a whole call.
 * - `throttle`: the call is refused for throughput (`KinesisThrottledError` / `LeaseStoreThrottledError`); nothing changes.
 * - `transient`: the call fails with a retryable internal error (`KinesisCallError` / `LeaseStoreError`,
 *   `retryable: true`); nothing changes.
 * - `lostResponse`: the call takes effect, then its response is lost. `InMemoryLeaseStore`'s client
 *   then sends the call again, as the SDK's retry does (see its `maxAttempts`), and the next attempt
 *   faces the rules anew: a conditional write's retry then typically answers `ConditionFailed` with
 *   `maybeApplied: true`. The caller sees a retryable error although the write happened when no
 *   attempt is left (`maxAttempts: 1`, or every attempt's answer lost), and always from `InMemoryKinesis`.
 * - `hang`: the call never responds and has no effect, for timeout tests.
 */
export type CallFault = 'throttle' | 'transient' | 'lostResponse' | 'hang';

/** What an injected fault does to one PutRecords entry: it comes back `Failed` with this error code. */
export type EntryFault = 'throttle' | 'internalFailure';

/**
 * When a rule fires. With none of the fields, it fires on every matching call until cleared. Each
 * attempt a fake's client sends again after a lost answer is matched as a call of its own.
 */
export interface FaultTiming<Call> {
  /** Fire on this many calls, then retire. A positive integer. */
  readonly times?: number;
  /** Fire with this probability (0..1) on each matching call, drawn from the seeded generator. */
  readonly probability?: number;
  /** Only calls this accepts are considered (neither `times` nor the generator is touched otherwise). */
  readonly when?: (call: Call) => boolean;
}

/** What a Kinesis call rule's `when` sees. */
export interface KinesisCall {
  readonly operation: KinesisOperation;
  readonly streamName?: string;
  /**
   * For getShardIterator, splitShard, mergeShards, subscribeToShard, and getRecords when the
   * iterator is readable.
   */
  readonly shardId?: string;
}

/** What a `putRecordsEntry` rule's `when` sees: one entry, already routed to its shard. */
export interface PutRecordsEntryCall {
  readonly streamName: string;
  readonly shardId: string;
  readonly partitionKey: string;
  /** Position of the entry in its request. */
  readonly index: number;
}

/** A fault rule for `InMemoryKinesis`. */
export type KinesisFaultRule =
  | (FaultTiming<KinesisCall> & { readonly operation: KinesisOperation; readonly fault: CallFault })
  | (FaultTiming<KinesisCall> & { readonly operation: 'getRecords'; readonly fault: 'expiredIterator' })
  | (FaultTiming<PutRecordsEntryCall> & { readonly operation: 'putRecordsEntry'; readonly fault: EntryFault });

/** What a lease-store rule's `when` sees. */
export interface LeaseStoreCall {
  readonly operation: LeaseStoreOperation;
  readonly tableName: string;
  /** For getLease, createLease, updateLease and deleteLease. */
  readonly leaseKey?: string;
}

/** A fault rule for `InMemoryLeaseStore`. */
export type LeaseStoreFaultRule = FaultTiming<LeaseStoreCall> & {
  readonly operation: LeaseStoreOperation;
  readonly fault: CallFault;
};

/** Constructor options shared by the fakes. */
export interface FaultOptions<Rule> {
  /** Seed of the generator behind `probability` (default 1). */
  readonly seed?: number;
  /** Rules active from the start. */
  readonly rules?: readonly Rule[];
}

type AnyRule = FaultTiming<never> & { readonly operation: string; readonly fault: string };

interface ActiveRule<Rule> {
  readonly rule: Rule;
  remaining: number;
}

/**
 * The rules of one fake, and the generator they draw from. Reached as `fake.faults`.
 * @typeParam Rule the rule type of that fake
 */
export class FaultInjector<Rule extends AnyRule> {
  private active: ActiveRule<Rule>[] = [];
  private readonly random: Random;

  /**
   * @param allowed the faults each operation accepts
   * @param options seed and initial rules
   */
  constructor(
    private readonly allowed: Readonly<Record<string, readonly string[]>>,
    options: FaultOptions<Rule> = {},
  ) {
    this.random = mulberry32(options.seed ?? 1);
    for (const rule of options.rules ?? []) this.add(rule);
  }

  /**
   * Adds a rule after those already present.
   * @throws TypeError when the operation, fault, `times` or `probability` is not valid
   */
  add(rule: Rule): this {
    const faults = this.allowed[rule.operation];
    if (faults === undefined) {
      throw new TypeError(`unknown operation ${JSON.stringify(rule.operation)}; expected one of ${Object.keys(this.allowed).join(', ')}`);
    }
    if (!faults.includes(rule.fault)) {
      throw new TypeError(`fault ${JSON.stringify(rule.fault)} does not apply to ${rule.operation}; expected one of ${faults.join(', ')}`);
    }
    if (rule.times !== undefined && !(Number.isSafeInteger(rule.times) && rule.times > 0)) {
      throw new TypeError(`times must be a positive integer, got ${rule.times}`);
    }
    if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
      throw new TypeError(`probability must be between 0 and 1, got ${rule.probability}`);
    }
    this.active.push({ rule, remaining: rule.times ?? Infinity });
    return this;
  }

  /** Removes every rule. The generator keeps its state, so a run stays reproducible. */
  clear(): void {
    this.active = [];
  }

  /** The rules still active (a rule given `times` retires after firing that often). */
  get rules(): readonly Rule[] {
    return this.active.map((a) => a.rule);
  }

  /**
   * The fault to inject into this call, if any; consumes one firing of the rule that fires.
   * @internal
   */
  decide<Call>(operation: string, call: Call): Rule['fault'] | undefined {
    for (const entry of this.active) {
      const { rule } = entry;
      if (rule.operation !== operation) continue;
      if (rule.when !== undefined && !(rule.when as (c: Call) => boolean)(call)) continue;
      if (rule.probability !== undefined && !(this.random() < rule.probability)) continue;
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.active = this.active.filter((a) => a !== entry);
      return rule.fault;
    }
    return undefined;
  }
}

const CALL_FAULTS: readonly CallFault[] = ['throttle', 'transient', 'lostResponse', 'hang'];

/** @internal Which faults each Kinesis operation accepts. */
export const KINESIS_FAULTS: Readonly<Record<KinesisOperation | 'putRecordsEntry', readonly string[]>> = {
  listShards: CALL_FAULTS,
  getShardIterator: CALL_FAULTS,
  getRecords: [...CALL_FAULTS, 'expiredIterator'],
  putRecords: CALL_FAULTS,
  createStream: CALL_FAULTS,
  deleteStream: CALL_FAULTS,
  splitShard: CALL_FAULTS,
  mergeShards: CALL_FAULTS,
  ensureStreamConsumer: CALL_FAULTS,
  subscribeToShard: CALL_FAULTS,
  putRecordsEntry: ['throttle', 'internalFailure'],
};

/** @internal Which faults each lease-store operation accepts. */
export const LEASE_STORE_FAULTS: Readonly<Record<LeaseStoreOperation, readonly string[]>> = {
  ensureTable: CALL_FAULTS,
  listLeases: CALL_FAULTS,
  getLease: CALL_FAULTS,
  createLease: CALL_FAULTS,
  updateLease: CALL_FAULTS,
  deleteLease: CALL_FAULTS,
  deleteTable: CALL_FAULTS,
};
