// The command-line flag parser: `--flag value`, `--flag=value`, repeated flags, booleans (`--flag`,
// `--flag=true|false`), `--` to end the options, `-` as a plain argument (stdin), `-h`/`--help`.
// Flags are declared per command (FlagSpec), so an unknown or misspelt flag is a usage error naming
// it instead of being taken for a value.
import { usageError } from './errors.js';

export interface FlagSpec {
  /** The name without dashes, e.g. `batch-lines`. */
  readonly name: string;
  readonly kind: 'string' | 'boolean';
  /** May be given several times (string flags); its values are kept in order. */
  readonly repeated?: boolean;
  /** Placeholder of the value in the help, e.g. `COL`. */
  readonly value?: string;
  /** One line for the help. */
  readonly help: string;
}

/** What the command line said: flags by name, and the arguments that are not flags. */
export class ParsedFlags {
  readonly positionals: readonly string[];
  readonly help: boolean;
  private readonly values: ReadonlyMap<string, readonly string[]>;

  constructor(positionals: readonly string[], values: ReadonlyMap<string, readonly string[]>, help: boolean) {
    this.positionals = positionals;
    this.values = values;
    this.help = help;
  }

  /** The value of a string flag, or null when it was not given. */
  string(name: string): string | null {
    const values = this.values.get(name);
    return values === undefined ? null : (values[values.length - 1] ?? null);
  }

  /** Every value of a repeatable string flag, in order. */
  strings(name: string): readonly string[] {
    return this.values.get(name) ?? [];
  }

  /** A boolean flag: true when given (or given `=true`). */
  boolean(name: string): boolean {
    return this.string(name) === 'true';
  }

  /** Whether the flag was given at all. */
  has(name: string): boolean {
    return this.values.has(name);
  }
}

const BOOLEAN_VALUES: Record<string, string> = { true: 'true', false: 'false', '1': 'true', '0': 'false', yes: 'true', no: 'false' };

/**
 * Parses `argv` (the arguments after the command name) against `specs`. Throws a usage error for an
 * unknown flag, a string flag without a value, a bad boolean value, or a non-repeatable flag given twice.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const positionals: string[] = [];
  const values = new Map<string, string[]>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw usageError(`unknown option ${arg}`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = byName.get(name);
    if (spec === undefined) throw usageError(`unknown option --${name}`);
    let value: string;
    if (spec.kind === 'boolean') {
      const given = eq === -1 ? 'true' : arg.slice(eq + 1).toLowerCase();
      const normal = BOOLEAN_VALUES[given];
      if (normal === undefined) throw usageError(`--${name} takes no value, or true/false (got "${arg.slice(eq + 1)}")`);
      value = normal;
    } else if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw usageError(`--${name} needs a value${next === undefined ? '' : ` (got ${next}; write --${name}=${next} if that is the value)`}`);
      }
      value = next;
      i++;
    }
    const list = values.get(name);
    if (list === undefined) values.set(name, [value]);
    else if (spec.repeated || spec.kind === 'boolean') list.push(value);
    else throw usageError(`--${name} given more than once`);
  }
  return new ParsedFlags(positionals, values, help);
}

/**
 * The positional arguments a command takes, by name (`['NAME']`), each required: a usage error when
 * one is missing or more are given.
 */
export function requirePositionals(flags: ParsedFlags, names: readonly string[]): string[] {
  const given = flags.positionals;
  if (given.length < names.length) throw usageError(`missing ${names.slice(given.length).join(' ')}`);
  if (given.length > names.length) throw usageError(`unexpected argument${given.length - names.length === 1 ? '' : 's'}: ${given.slice(names.length).join(' ')}`);
  return [...given];
}

/** A required string flag's value; a usage error naming it (and what it is) when missing or empty. */
export function requireFlag(flags: ParsedFlags, name: string, what: string): string {
  const value = flags.string(name);
  if (value === null || value === '') throw usageError(`--${name} is required: ${what}`);
  return value;
}

/** The string flags among `names` that were given, as an object (for an admin API body). */
export function givenStrings(flags: ParsedFlags, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = flags.string(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/** A flag's value as a whole number from 1 to `max`; a usage error naming the flag otherwise. */
export function positiveInteger(flag: string, value: string, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw usageError(`--${flag} "${value}": expected a whole number from 1 to ${max}`);
  return n;
}

/** A `true|false` flag's value, or null when not given. */
export function booleanValue(flags: ParsedFlags, name: string): boolean | null {
  const value = flags.string(name);
  if (value === null) return null;
  const normal = BOOLEAN_VALUES[value.toLowerCase()];
  if (normal === undefined) throw usageError(`--${name} takes true or false (got "${value}")`);
  return normal === 'true';
}
