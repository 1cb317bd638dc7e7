/**
 * The per-delivery logs of `npm run chaos`: each worker process appends one JSON line per event it
 * delivers, before committing it, to a file of its own; the run reads them as they grow and once
 * more at the end. A line is written with one `write` call to a file opened for appending, so a
 * worker killed with SIGKILL leaves whole lines only, and an event committed is an event logged.
 *
 * Times are on the machine's monotonic clock (shared by every process on it), so deliveries of
 * different processes and the faults the run injects can be put in one order.
 * @packageDocumentation
 */
import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One event handed to the application by a worker. */
export interface Delivery {
  /** The worker incarnation that delivered it (`w2-3`: slot `w2`, third process in that slot); also its lease owner name. */
  readonly worker: string;
  readonly shardId: string;
  /** The Kinesis sequence number (decimal) and the index of the user record inside its aggregate. */
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number;
  /** The event's own id (its index in the produced set); `null` for a record the run did not produce. */
  readonly eventId: number | null;
  /** The event's `fencingToken`: the lease counter when its shard was acquired, greater for every later tenure. */
  readonly fencingToken: number;
  /** Which acquisition of the shard by this incarnation it came from (1, 2, …): one lease tenure. */
  readonly tenure: number;
  /** When the tenure began (the shard was emitted by `shards$`), in monotonic milliseconds. */
  readonly acquiredAt: number;
  /** When it was delivered, in monotonic milliseconds. */
  readonly at: number;
  /** When it was delivered, `Date.now()`, for people. */
  readonly wallTime: number;
}

/** Milliseconds on the machine's monotonic clock (CLOCK_MONOTONIC: one clock for every process). */
export function monotonicMillis(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/** The log line of a delivery, newline included. */
export function formatDelivery(delivery: Delivery): string {
  return `${JSON.stringify(delivery)}\n`;
}

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The delivery a log line holds, or `undefined` when the line is not one. */
export function parseDelivery(line: string): Delivery | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const d = value as Record<string, unknown>;
  const ok =
    typeof d['worker'] === 'string' &&
    typeof d['shardId'] === 'string' &&
    typeof d['sequenceNumber'] === 'string' &&
    /^\d+$/.test(d['sequenceNumber']) &&
    isInteger(d['subSequenceNumber']) &&
    (d['eventId'] === null || isInteger(d['eventId'])) &&
    isInteger(d['fencingToken']) &&
    isInteger(d['tenure']) &&
    isTime(d['acquiredAt']) &&
    isTime(d['at']) &&
    isTime(d['wallTime']);
  return ok ? (value as Delivery) : undefined;
}

/** The log file of a worker incarnation in `dir`. */
export function deliveryLogPath(dir: string, worker: string): string {
  return join(dir, `${worker}.deliveries`);
}

const LOG_SUFFIX = '.deliveries';
const CHUNK_BYTES = 1 << 20;

/**
 * Reads every delivery log of a directory as the logs grow: each {@link DeliveryLogReader.read}
 * returns the deliveries whose lines were completed since the last one.
 */
export class DeliveryLogReader {
  private readonly offsets = new Map<string, number>();
  /** The unfinished last line of each file, completed by a later read. */
  private readonly partial = new Map<string, string>();
  /** Lines that are not deliveries (a torn or foreign line): a problem to report. */
  malformedLines = 0;

  constructor(private readonly dir: string) {}

  /** The deliveries logged since the last call, file by file. */
  read(): Delivery[] {
    const deliveries: Delivery[] = [];
    for (const name of readdirSync(this.dir).filter((file) => file.endsWith(LOG_SUFFIX)).sort()) {
      const text = (this.partial.get(name) ?? '') + this.readNew(name);
      const lines = text.split('\n');
      this.partial.set(name, lines.pop() ?? '');
      for (const line of lines) {
        const delivery = parseDelivery(line);
        if (delivery === undefined) this.malformedLines += 1;
        else deliveries.push(delivery);
      }
    }
    return deliveries;
  }

  /** Lines left unfinished at the end of the files (a writer killed mid-line). */
  get unfinishedLines(): number {
    return [...this.partial.values()].filter((line) => line !== '').length;
  }

  private readNew(name: string): string {
    const fd = openSync(join(this.dir, name), 'r');
    try {
      const chunks: Buffer[] = [];
      let offset = this.offsets.get(name) ?? 0;
      for (;;) {
        const buffer = Buffer.alloc(CHUNK_BYTES);
        const bytes = readSync(fd, buffer, 0, CHUNK_BYTES, offset);
        if (bytes === 0) break;
        chunks.push(buffer.subarray(0, bytes));
        offset += bytes;
      }
      this.offsets.set(name, offset);
      return Buffer.concat(chunks).toString('utf8');
    } finally {
      closeSync(fd);
    }
  }
}
