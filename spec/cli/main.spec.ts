import { expect } from 'chai';
import type { CliIo } from '../../lib/cli/command';
import { COMMANDS, commandUsage, mainUsage, runCli } from '../../lib/cli/main';

/** Runs the command line in process and keeps what it printed. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (text) => out.push(text), err: (text) => err.push(text) };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('cli/main', () => {
  it('without a command, prints the usage on stderr and exits 2', async () => {
    const { code, out, err } = await run();
    expect(code).to.equal(2);
    expect(out).to.equal('');
    expect(err).to.equal(mainUsage());
  });

  it('--help prints the usage on stdout and exits 0; the hidden worker is not listed', async () => {
    const { code, out } = await run('--help');
    expect(code).to.equal(0);
    expect(out).to.match(/^usage: reactive-kinesis <command> \[options\]/);
    for (const name of ['demo', 'tail', 'leases', 'lag', 'rewind']) expect(out).to.match(new RegExp(`^  ${name} +\\S`, 'm'));
    expect(out).not.to.match(/^ +worker /m);
  });

  it('names an unknown command and exits 2', async () => {
    const { code, err } = await run('produce');
    expect(code).to.equal(2);
    expect(err).to.match(/^reactive-kinesis: unknown command "produce"/);
  });

  it('<command> --help lists the options of that command', async () => {
    const { code, out } = await run('tail', '--help');
    expect(code).to.equal(0);
    expect(out).to.equal(commandUsage(COMMANDS.find((c) => c.name === 'tail')!));
    expect(out).to.match(/^ {2}--from trim-horizon\|latest +where to start/m);
    expect(out).to.match(/^ {2}--endpoint-kinesis URL +Kinesis endpoint/m);
    expect(out).to.match(/^ {2}--help +show this help$/m);
  });

  it('a bad flag or argument exits 2 before anything is done, saying what is wrong', async () => {
    const cases: [string[], string][] = [
      [['tail'], 'reactive-kinesis tail: missing <stream>'],
      [['tail', 's', '--from', 'middle'], 'reactive-kinesis tail: --from must be one of trim-horizon, latest, got "middle"'],
      [['leases', 't', '--endpoint-dynamodb', 'localhost'], 'reactive-kinesis leases: --endpoint-dynamodb must be an http:// or https:// URL such as http://127.0.0.1:4566, got "localhost"'],
      [['demo', '--kill-worker', '--workers', '1'], 'reactive-kinesis demo: --kill-worker needs at least 2 workers to fail over to'],
      [['demo', '--evnts', '5'], 'reactive-kinesis demo: unknown option --evnts for demo; did you mean --events?'],
      [['lag', 's', 'extra'], 'reactive-kinesis lag: unexpected argument: extra'],
    ];
    for (const [argv, message] of cases) {
      const { code, out, err } = await run(...argv);
      expect(code, argv.join(' ')).to.equal(2);
      expect(out).to.equal('');
      const [first, synopsis, hint] = err.split('\n');
      expect(first).to.equal(message);
      expect(synopsis).to.match(new RegExp(`^usage: reactive-kinesis ${argv[0]} `));
      expect(hint).to.equal(`(reactive-kinesis ${argv[0]} --help describes the options)`);
    }
  });

  it('the worker refuses to run without its setup', async () => {
    const { code, err } = await run('worker', '{"workerId":""}');
    expect(code).to.equal(2);
    expect(err).to.match(/^reactive-kinesis worker: bad worker setup: workerId must be a non-empty string; streamName/);
  });
});
