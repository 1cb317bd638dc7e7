/**
 * Named error classes. Each has a stable `name` and carries the context a caller needs to act on it;
 * expected outcomes (a lost lease, a failed send, the end of a shard) are values, not errors.
 * @packageDocumentation
 */

/** Base class of every error this library raises, so callers can tell ours from anything else. */
export class ReactiveKinesisError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One thing wrong with a configuration: where, and why. */
export interface ConfigIssue {
  /** Dotted path of the offending key, e.g. `kinesis.my-consumer.worker.batchTimeoutSeconds`. */
  readonly path: string;
  readonly message: string;
}

/** Configuration that cannot be used. Lists every bad path at once, one per line of the message. */
export class ConfigError extends ReactiveKinesisError {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `Invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n'),
    );
  }
}

/** A user record that Kinesis would reject; it fails alone, at once, and nothing else is affected. */
export class InvalidRecordError extends ReactiveKinesisError {
  constructor(
    /** Which part of the record is wrong: `partitionKey`, `data` or `explicitHashKey`. */
    readonly field: 'partitionKey' | 'data' | 'explicitHashKey',
    readonly reason: string,
  ) {
    super(`Invalid record ${field}: ${reason}`);
  }
}

/** A user record that could not be put before its `RecordTtl` ran out; `lastCause` is why the last attempt failed. */
export class RecordExpiredError extends ReactiveKinesisError {
  constructor(
    readonly ttlMillis: number,
    readonly attempts: number,
    readonly lastCause?: unknown,
  ) {
    super(
      `Record not put within RecordTtl ${ttlMillis} ms after ${attempts} attempt(s)` +
        (lastCause instanceof Error ? `; last error: ${lastCause.message}` : ''),
      { cause: lastCause },
    );
  }
}

/** A call to Kinesis failed for a reason not covered by a more specific class. */
export class KinesisCallError extends ReactiveKinesisError {
  constructor(
    readonly operation: string,
    readonly code: string,
    message: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(`Kinesis ${operation} failed (${code}): ${message}`, options);
    this.retryable = options?.retryable ?? false;
  }
  /** True when the same call may succeed if tried again (network faults, 5xx, internal failures). */
  readonly retryable: boolean;
}

/** Kinesis refused a call for throughput (ProvisionedThroughputExceeded, LimitExceeded, KMS throttling). */
export class KinesisThrottledError extends KinesisCallError {
  constructor(operation: string, code: string, message: string, options?: { cause?: unknown }) {
    super(operation, code, message, { ...options, retryable: true });
  }
}

/** A shard iterator older than five minutes; take a new one from the last record delivered. */
export class ExpiredIteratorError extends KinesisCallError {
  constructor(operation: string, message: string, options?: { cause?: unknown }) {
    super(operation, 'ExpiredIteratorException', message, { ...options, retryable: true });
  }
}

/** The stream (or shard) named does not exist. */
export class StreamNotFoundError extends KinesisCallError {
  constructor(
    operation: string,
    readonly streamName: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(operation, 'ResourceNotFoundException', message, options);
  }
}

/** A call to the lease store (DynamoDB) failed. */
export class LeaseStoreError extends ReactiveKinesisError {
  constructor(
    readonly operation: string,
    readonly code: string,
    message: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(`Lease store ${operation} failed (${code}): ${message}`, options);
    this.retryable = options?.retryable ?? false;
  }
  readonly retryable: boolean;
}

/** The lease store refused a call for throughput; back off and try again. */
export class LeaseStoreThrottledError extends LeaseStoreError {
  constructor(operation: string, code: string, message: string, options?: { cause?: unknown }) {
    super(operation, code, message, { ...options, retryable: true });
  }
}

/** The lease table does not exist. */
export class LeaseTableNotFoundError extends LeaseStoreError {
  constructor(
    operation: string,
    readonly tableName: string,
    options?: { cause?: unknown },
  ) {
    super(operation, 'ResourceNotFoundException', `table ${tableName} does not exist`, options);
  }
}

/** An aggregate whose bytes are not a valid KPL record, reported where a caller asked for strict decoding. */
export class CorruptAggregateError extends ReactiveKinesisError {
  constructor(reason: string) {
    super(`Corrupt KPL aggregate: ${reason}`);
  }
}
