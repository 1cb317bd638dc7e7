import { expect } from 'chai';
import { aborted$, ExitCode } from '../../lib/cli/command';

describe('cli/command', () => {
  it('aborted$ emits once when the signal is aborted, then completes', () => {
    const controller = new AbortController();
    const seen: string[] = [];
    aborted$(controller.signal).subscribe({ next: () => seen.push('next'), complete: () => seen.push('complete') });
    expect(seen).to.deep.equal([]);
    controller.abort();
    controller.abort();
    expect(seen).to.deep.equal(['next', 'complete']);
  });

  it('aborted$ emits at once for a signal aborted already', () => {
    const seen: string[] = [];
    aborted$(AbortSignal.abort()).subscribe({ next: () => seen.push('next'), complete: () => seen.push('complete') });
    expect(seen).to.deep.equal(['next', 'complete']);
  });

  it('exit codes: 0 ok, 1 failure, 2 usage, 130 interrupted', () => {
    expect(ExitCode).to.deep.equal({ ok: 0, failure: 1, usage: 2, interrupted: 130 });
  });
});
