/**
 * batches must:
 * - cut a list into consecutive pieces of at most the given size;
 * - group the events that arrive together (within the window) into one batch, cut to maxRecords;
 * - never emit an empty batch, and emit the open window when the source completes.
 */
import { expect } from 'chai';
import { Subject, VirtualTimeScheduler, concat, delay, from, of } from 'rxjs';
import { batches, chunks } from '../../../lib/consumer/process-batch/batches';
import { settle } from '../../testing/virtual-time';

describe('batches', () => {
  it('chunks a list', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).to.deep.equal([[1, 2], [3, 4], [5]]);
    expect(chunks([], 3)).to.deep.equal([]);
    expect(chunks([1], 1)).to.deep.equal([[1]]);
  });

  it('groups what arrives together, cut to maxRecords, and keeps later arrivals apart', () => {
    const scheduler = new VirtualTimeScheduler();
    const source = concat(from([1, 2, 3]), of(4, 5).pipe(delay(10, scheduler)), of(6).pipe(delay(10, scheduler)));
    const result = settle(scheduler, source.pipe(batches({ maxRecords: 2, windowMillis: 0, scheduler })));
    expect(result.values).to.deep.equal([[1, 2], [3], [4, 5], [6]]);
    expect(result.completed).to.equal(true);
  });

  it('joins arrivals within the window of the first', () => {
    const scheduler = new VirtualTimeScheduler();
    const source = new Subject<number>();
    const seen: number[][] = [];
    source.pipe(batches({ maxRecords: 10, windowMillis: 5, scheduler })).subscribe((b) => seen.push(b));
    source.next(1);
    scheduler.schedule(() => source.next(2), 4);
    scheduler.schedule(() => source.next(3), 6);
    scheduler.flush();
    expect(seen).to.deep.equal([[1, 2], [3]]);
  });

  it('emits no empty batch, and the open window on completion', () => {
    const scheduler = new VirtualTimeScheduler();
    expect(settle(scheduler, of<number>().pipe(batches({ maxRecords: 2, windowMillis: 0, scheduler }))).values).to.deep.equal([]);
    const source = new Subject<number>();
    const seen: number[][] = [];
    source.pipe(batches({ maxRecords: 10, windowMillis: 5, scheduler })).subscribe((b) => seen.push(b));
    source.next(1);
    source.complete();
    expect(seen).to.deep.equal([[1]]);
  });
});
