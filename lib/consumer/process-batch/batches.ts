/**
 * Cuts a shard's event stream into batches, the unit the seed's worker processed.
 *
 * In the seed a batch was what one GetRecords call returned. A shard pipeline emits the events of
 * one page synchronously, one after the other, and pages apart in time (a GetRecords round trip
 * and `idleTimeBetweenReadsInMillis` at least), so a batch here is: the events that arrive within
 * `windowMillis` of the first one (0, the default, means in the same turn of the scheduler: one
 * page), cut into pieces of at most `maxRecords` (`kcl.maxRecords`). Events that arrive while a
 * batch is being processed are not added to it: they form the next batches.
 * @packageDocumentation
 */
import { buffer, concatMap, connect, exhaustMap, filter, timer, type OperatorFunction, type SchedulerLike } from 'rxjs';

/** How events are grouped. */
export interface BatchWindow {
  /** The largest batch. */
  readonly maxRecords: number;
  /** How long after the first event of a batch others may still join it. */
  readonly windowMillis: number;
  readonly scheduler: SchedulerLike;
}

/** Splits `items` into consecutive pieces of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const pieces: T[][] = [];
  for (let start = 0; start < items.length; start += size) pieces.push(items.slice(start, start + size));
  return pieces;
}

/**
 * Groups events into batches: never empty, in order, each at most `maxRecords` long. When the
 * source completes, the events of the open window form the last batch.
 */
export function batches<T>({ maxRecords, windowMillis, scheduler }: BatchWindow): OperatorFunction<T, T[]> {
  return (source) =>
    source.pipe(
      connect((events$) =>
        events$.pipe(
          // The first event of a window starts its timer; events until it fires join the window.
          buffer(events$.pipe(exhaustMap(() => timer(windowMillis, scheduler)))),
          filter((batch) => batch.length > 0),
          concatMap((batch) => chunks(batch, maxRecords)),
        ),
      ),
    );
}
