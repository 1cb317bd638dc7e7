import { expect } from 'chai';
import { UsageError, choiceFlag, integerFlag, listFlag, parseFlags, positionals, textFlag, urlFlag, type FlagSpec } from '../../lib/cli/flags';

const SPECS: readonly FlagSpec[] = [
  { name: 'events', value: 'N', description: 'events' },
  { name: 'kill-worker', description: 'kill one' },
  { name: 'endpoint-kinesis', value: 'URL', description: 'endpoint' },
  { name: 'format', value: 'text|json', description: 'format' },
  { name: 'shard', value: 'SHARD', repeatable: true, description: 'a shard' },
];

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('cli/flags', () => {
  describe('parseFlags', () => {
    it('reads value flags in both forms, switches and positionals', () => {
      const parsed = parseFlags('demo', ['s1', '--events', '10', '--kill-worker', '--format=json', 's2'], SPECS);
      expect(parsed.command).to.equal('demo');
      expect([...parsed.values]).to.deep.equal([
        ['events', '10'],
        ['format', 'json'],
      ]);
      expect([...parsed.switches]).to.deep.equal(['kill-worker']);
      expect(parsed.positionals).to.deep.equal(['s1', 's2']);
      expect(parsed.help).to.equal(false);
    });

    it('takes everything after -- as positional, and - alone as positional', () => {
      const parsed = parseFlags('tail', ['-', '--', '--events', '-x'], SPECS);
      expect(parsed.positionals).to.deep.equal(['-', '--events', '-x']);
      expect(parsed.values.size).to.equal(0);
    });

    it('notes --help and -h', () => {
      expect(parseFlags('demo', ['--help'], SPECS).help).to.equal(true);
      expect(parseFlags('demo', ['-h', '--events', '3'], SPECS).help).to.equal(true);
    });

    it('names an unknown flag and the closest known one', () => {
      const error = usageError(() => parseFlags('demo', ['--evnts', '3'], SPECS));
      expect(error.message).to.equal('unknown option --evnts for demo; did you mean --events?');
      expect(error.command).to.equal('demo');
      expect(usageError(() => parseFlags('demo', ['--zzzzzz'], SPECS)).message).to.equal('unknown option --zzzzzz for demo');
    });

    it('refuses single-dash flags other than -h', () => {
      expect(usageError(() => parseFlags('demo', ['-events', '3'], SPECS)).message).to.match(/^unknown option -events for demo/);
    });

    it('refuses a value flag without its value, at the end or before another flag', () => {
      expect(usageError(() => parseFlags('demo', ['--events'], SPECS)).message).to.equal('--events needs a value (N)');
      expect(usageError(() => parseFlags('demo', ['--events', '--kill-worker'], SPECS)).message).to.equal('--events needs a value (N)');
    });

    it('takes an empty value given with =, and leaves its check to the reader', () => {
      expect(parseFlags('demo', ['--format='], SPECS).values.get('format')).to.equal('');
    });

    it('refuses a value on a switch and a flag given twice', () => {
      expect(usageError(() => parseFlags('demo', ['--kill-worker=yes'], SPECS)).message).to.equal('--kill-worker takes no value, got "yes"');
      expect(usageError(() => parseFlags('demo', ['--events', '1', '--events=2'], SPECS)).message).to.equal('--events is given more than once');
      expect(usageError(() => parseFlags('demo', ['--kill-worker', '--kill-worker'], SPECS)).message).to.equal('--kill-worker is given more than once');
    });
  });

  describe('repeatable flags', () => {
    it('collects every value of a repeatable flag, in order and in both forms, apart from the other values', () => {
      const parsed = parseFlags('rewind', ['--shard', 'a', '--events', '1', '--shard=b', '--shard', 'a'], SPECS);
      expect([...parsed.lists]).to.deep.equal([['shard', ['a', 'b', 'a']]]);
      expect([...parsed.values]).to.deep.equal([['events', '1']]);
      expect(listFlag(parsed, 'shard')).to.deep.equal(['a', 'b', 'a']);
    });
    it('gives an empty list when the flag is absent, and refuses an empty value', () => {
      expect(listFlag(parseFlags('rewind', [], SPECS), 'shard')).to.deep.equal([]);
      expect(usageError(() => listFlag(parseFlags('rewind', ['--shard', 'a', '--shard='], SPECS), 'shard')).message).to.equal('--shard must not be empty');
    });
    it('still needs a value each time', () => {
      expect(usageError(() => parseFlags('rewind', ['--shard', 'a', '--shard'], SPECS)).message).to.equal('--shard needs a value (SHARD)');
    });
  });

  describe('integerFlag', () => {
    const bounds = { min: 1, max: 1_000_000 };
    it('reads digits, with _ or , between groups of three', () => {
      expect(integerFlag(parseFlags('demo', ['--events', '2000'], SPECS), 'events', 5, bounds)).to.equal(2000);
      expect(integerFlag(parseFlags('demo', ['--events', '100_000'], SPECS), 'events', 5, bounds)).to.equal(100_000);
      expect(integerFlag(parseFlags('demo', ['--events', '1,000'], SPECS), 'events', 5, bounds)).to.equal(1000);
    });
    it('gives the fallback when the flag is absent', () => {
      expect(integerFlag(parseFlags('demo', [], SPECS), 'events', 5, bounds)).to.equal(5);
    });
    it('refuses what is not a whole number within the bounds, quoting it', () => {
      for (const text of ['abc', '1.5', '-3', '1e3', '10_00', '', '0', '1000001']) {
        const error = usageError(() => integerFlag(parseFlags('demo', [`--events=${text}`], SPECS), 'events', 5, bounds));
        expect(error.message).to.equal(`--events must be a whole number from 1 to 1000000, got "${text}"`);
      }
    });
  });

  describe('choiceFlag', () => {
    it('reads a choice, ignoring case, or gives the fallback', () => {
      expect(choiceFlag(parseFlags('tail', ['--format', 'JSON'], SPECS), 'format', ['text', 'json'], 'text')).to.equal('json');
      expect(choiceFlag(parseFlags('tail', [], SPECS), 'format', ['text', 'json'], 'text')).to.equal('text');
    });
    it('names the choices when the value is none of them', () => {
      expect(usageError(() => choiceFlag(parseFlags('tail', ['--format', 'xml'], SPECS), 'format', ['text', 'json'], 'text')).message).to.equal(
        '--format must be one of text, json, got "xml"',
      );
    });
  });

  describe('urlFlag', () => {
    it('reads http and https URLs', () => {
      expect(urlFlag(parseFlags('demo', ['--endpoint-kinesis', 'http://127.0.0.1:4566'], SPECS), 'endpoint-kinesis')).to.equal('http://127.0.0.1:4566');
      expect(urlFlag(parseFlags('demo', ['--endpoint-kinesis', 'https://kinesis.eu-west-1.amazonaws.com'], SPECS), 'endpoint-kinesis')).to.equal(
        'https://kinesis.eu-west-1.amazonaws.com',
      );
      expect(urlFlag(parseFlags('demo', [], SPECS), 'endpoint-kinesis')).to.equal(undefined);
    });
    it('refuses anything else with an example', () => {
      for (const text of ['127.0.0.1:4566', 'ftp://host', 'localhost', 'http://']) {
        expect(usageError(() => urlFlag(parseFlags('demo', [`--endpoint-kinesis=${text}`], SPECS), 'endpoint-kinesis')).message).to.equal(
          `--endpoint-kinesis must be an http:// or https:// URL such as http://127.0.0.1:4566, got "${text}"`,
        );
      }
    });
  });

  describe('textFlag', () => {
    it('reads a value and refuses a blank one', () => {
      expect(textFlag(parseFlags('demo', ['--format', 'x'], SPECS), 'format')).to.equal('x');
      expect(usageError(() => textFlag(parseFlags('demo', ['--format', ' '], SPECS), 'format')).message).to.equal('--format must not be empty');
    });
  });

  describe('positionals', () => {
    it('gives exactly the named arguments', () => {
      expect(positionals(parseFlags('tail', ['s'], SPECS), ['stream'])).to.deep.equal(['s']);
    });
    it('names what is missing, and what is too much', () => {
      expect(usageError(() => positionals(parseFlags('tail', [], SPECS), ['stream'])).message).to.equal('missing <stream>');
      expect(usageError(() => positionals(parseFlags('tail', ['a', 'b', 'c'], SPECS), ['stream'])).message).to.equal('unexpected arguments: b c');
      expect(usageError(() => positionals(parseFlags('demo', ['x'], SPECS), [])).message).to.equal('unexpected argument: x');
    });
  });
});
