import { expect } from 'chai';
import { basename, dirname } from 'node:path';
import { cliEntry, workerExecArgv } from '../../../lib/cli/demo/worker-process';

describe('cli/demo/worker-process', () => {
  it('the entry is main next to the demo folder, in the form of this module (.ts here)', () => {
    const entry = cliEntry();
    expect(basename(entry)).to.equal('main.ts');
    expect(basename(dirname(entry))).to.equal('cli');
  });

  it('passes the parent\'s Node flags on, loader included', () => {
    const tsx = ['--require', '/x/tsx/dist/preflight.cjs', '--import', 'file:///x/tsx/dist/loader.mjs'];
    expect(workerExecArgv('/app/lib/cli/main.ts', tsx)).to.deep.equal(tsx);
    expect(workerExecArgv('/app/lib/cli/main.ts', ['--import=tsx'])).to.deep.equal(['--import=tsx']);
    expect(workerExecArgv('/app/dist/cli/main.js', ['--max-old-space-size=512'])).to.deep.equal(['--max-old-space-size=512']);
  });

  it('adds tsx to a TypeScript entry run from a process without a loader flag', () => {
    expect(workerExecArgv('/app/lib/cli/main.ts', [])).to.deep.equal(['--require', 'tsx/cjs']);
    expect(workerExecArgv('/app/dist/cli/main.js', [])).to.deep.equal([]);
  });
});
