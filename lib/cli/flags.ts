/**
 * Command-line flags: `--name value`, `--name=value` and switches, parsed against a list of known
 * flags, with an error that names the command and the closest known flag for anything else. A
 * value flag may be declared repeatable (`--shard a --shard b`); any other flag is given once.
 * @packageDocumentation
 */
import { suggestKey } from '../config/suggest';
import { ReactiveKinesisError } from '../model/errors';

/** Bad arguments; the message says what is wrong, and the command's usage follows it. */
export class UsageError extends ReactiveKinesisError {
  constructor(
    message: string,
    /** The subcommand whose usage applies, when known. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** A flag a command accepts. */
export interface FlagSpec {
  /** Without the dashes: `events` for `--events`. */
  readonly name: string;
  /** What the value is, for the usage text (`N`, `URL`); absent for a switch, which takes no value. */
  readonly value?: string;
  readonly description: string;
  /** A value flag that may be given more than once; its values are collected in {@link ParsedFlags.lists}. */
  readonly repeatable?: boolean;
}

/** Flags and positional arguments as given. */
export interface ParsedFlags {
  readonly command: string;
  /** The value of each value flag given, by name; repeatable flags are in `lists` instead. */
  readonly values: ReadonlyMap<string, string>;
  /** Every value of each repeatable flag given, in the order given, by name. */
  readonly lists: ReadonlyMap<string, readonly string[]>;
  /** The switches given. */
  readonly switches: ReadonlySet<string>;
  readonly positionals: readonly string[];
  /** `--help` or `-h` was given. */
  readonly help: boolean;
}

/**
 * Parses `args` (after the subcommand) against `specs`. `--` ends the flags; everything after it is
 * positional. A value flag takes the next argument unless that looks like a flag itself.
 * @throws UsageError for an unknown flag, a missing or unexpected value, or a flag that is not
 *   repeatable given twice
 */
export function parseFlags(command: string, args: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const known = new Map(specs.map((spec) => [spec.name, spec]));
  const values = new Map<string, string>();
  const lists = new Map<string, string[]>();
  const switches = new Set<string>();
  const positionals: string[] = [];
  let help = false;
  const fail = (message: string): never => {
    throw new UsageError(message, command);
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const name = (equals < 0 ? arg : arg.slice(0, equals)).replace(/^--?/, '');
    const spec = known.get(name);
    if (spec === undefined || !arg.startsWith('--')) fail(unknownFlagMessage(command, arg.slice(0, equals < 0 ? undefined : equals), [...known.keys()]));
    const flag = spec!;
    if (values.has(flag.name) || switches.has(flag.name)) fail(`--${flag.name} is given more than once`);
    if (flag.value === undefined) {
      if (equals >= 0) fail(`--${flag.name} takes no value, got "${arg.slice(equals + 1)}"`);
      switches.add(flag.name);
      continue;
    }
    let value: string;
    if (equals >= 0) {
      value = arg.slice(equals + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) fail(`--${flag.name} needs a value (${flag.value})`);
      value = next!;
      i += 1;
    }
    if (flag.repeatable === true) lists.set(flag.name, [...(lists.get(flag.name) ?? []), value]);
    else values.set(flag.name, value);
  }
  return { command, values, lists, switches, positionals, help };
}

function unknownFlagMessage(command: string, given: string, known: readonly string[]): string {
  const suggestion = suggestKey(given.replace(/^--?/, ''), known, true);
  const hint = suggestion === undefined ? '' : `; did you mean --${suggestion.key}?`;
  return `unknown option ${given} for ${command}${hint}`;
}

// -------------------------------------------------------------------------------------------------
// typed values
// -------------------------------------------------------------------------------------------------

/** Bounds of an integer flag. */
export interface IntegerBounds {
  readonly min: number;
  readonly max: number;
}

/**
 * The integer value of `--name` (digits, optionally with `_` or `,` between groups: `100_000`), or
 * `fallback` when it is not given.
 * @throws UsageError when it is not an integer within the bounds
 */
export function integerFlag(parsed: ParsedFlags, name: string, fallback: number, bounds: IntegerBounds): number {
  const text = parsed.values.get(name);
  if (text === undefined) return fallback;
  const value = /^\d{1,3}([_,]?\d{3})*$|^\d+$/.test(text) ? Number(text.replace(/[_,]/g, '')) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    throw new UsageError(`--${name} must be a whole number from ${bounds.min} to ${bounds.max}, got "${text}"`, parsed.command);
  }
  return value;
}

/**
 * The value of `--name` when it is one of `choices` (case-insensitive), or `fallback` when not given.
 * @throws UsageError naming the choices otherwise
 */
export function choiceFlag<C extends string>(parsed: ParsedFlags, name: string, choices: readonly C[], fallback: C): C {
  const text = parsed.values.get(name);
  if (text === undefined) return fallback;
  const choice = choices.find((c) => c === text.toLowerCase());
  if (choice === undefined) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${text}"`, parsed.command);
  return choice;
}

/**
 * The value of `--name` when it is an http or https URL, or undefined when not given.
 * @throws UsageError otherwise
 */
export function urlFlag(parsed: ParsedFlags, name: string): string | undefined {
  const text = parsed.values.get(name);
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.host === '') {
    throw new UsageError(`--${name} must be an http:// or https:// URL such as http://127.0.0.1:4566, got "${text}"`, parsed.command);
  }
  return text;
}

/**
 * The non-empty value of `--name`, or undefined when not given.
 * @throws UsageError when it is empty
 */
export function textFlag(parsed: ParsedFlags, name: string): string | undefined {
  const text = parsed.values.get(name);
  if (text !== undefined && text.trim() === '') throw new UsageError(`--${name} must not be empty`, parsed.command);
  return text;
}

/**
 * Every value of the repeatable flag `--name`, in the order given; empty when it is not given.
 * @throws UsageError when a value is empty
 */
export function listFlag(parsed: ParsedFlags, name: string): string[] {
  const texts = parsed.lists.get(name) ?? [];
  if (texts.some((text) => text.trim() === '')) throw new UsageError(`--${name} must not be empty`, parsed.command);
  return [...texts];
}

/**
 * Exactly the positional arguments named in `names`, in order.
 * @throws UsageError when one is missing or there are more
 */
export function positionals(parsed: ParsedFlags, names: readonly string[]): string[] {
  const given = parsed.positionals;
  if (given.length < names.length) {
    throw new UsageError(`missing ${names.slice(given.length).map((n) => `<${n}>`).join(' ')}`, parsed.command);
  }
  if (given.length > names.length) {
    throw new UsageError(`unexpected argument${given.length - names.length > 1 ? 's' : ''}: ${given.slice(names.length).join(' ')}`, parsed.command);
  }
  return [...given];
}
