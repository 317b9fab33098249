/**
 * Command-line parsing for the project's scripts: node:util parseArgs in strict mode, a `--help`
 * text generated from the same option table, and typed validators that fail with a
 * {@link UsageError} whose one-line message names the flag and the accepted values.
 */
import { parseArgs } from 'node:util';

/** A wrong command line: unknown flag, missing or bad value. Scripts print it and exit 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface OptionBase {
  /** One line for the help text. */
  description: string;
  /** A one-letter alias, e.g. `o` for `-o`. */
  short?: string;
}

export interface StringOption extends OptionBase {
  type: 'string';
  /** Shown in the help text: `--alias <name>`. */
  valueName?: string;
  /** Shown in the help text only; scripts apply their defaults when converting values. */
  defaultText?: string;
  /** Repeatable (`--tests A --tests B`). */
  multiple?: boolean;
}

export interface BooleanOption extends OptionBase {
  type: 'boolean';
}

export type OptionSpec = StringOption | BooleanOption;

export interface CommandSpec {
  /** How to invoke it, e.g. `npm run deploy --`. */
  usage: string;
  /** One-paragraph description for the help text. */
  summary: string;
  options: Readonly<Record<string, OptionSpec>>;
  examples?: readonly string[];
  /** Extra help paragraphs (notes, exit codes). */
  notes?: readonly string[];
}

export type ParsedValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

export type ParseOutcome = { help: true; text: string } | { help: false; values: ParsedValues };

const HELP_FLAGS = new Set(['--help', '-h']);

/** Formats the `--help` text of a command from its option table. */
export function formatHelp(spec: CommandSpec): string {
  const rows: Array<[string, string]> = [];
  for (const [name, option] of Object.entries(spec.options)) {
    const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}`;
    const left = option.type === 'string' ? `${flag} <${option.valueName ?? 'value'}>` : flag;
    let right = option.description;
    if (option.type === 'string' && option.defaultText !== undefined)
      right += ` (default: ${option.defaultText})`;
    if (option.type === 'string' && option.multiple) right += ' [repeatable]';
    rows.push([left, right]);
  }
  rows.push(['-h, --help', 'Show this help and exit.']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = [`Usage: ${spec.usage} [options]`, '', spec.summary, '', 'Options:'];
  for (const [left, right] of rows) lines.push(`  ${left.padEnd(width)}${right}`);
  if (spec.examples?.length) {
    lines.push('', 'Examples:');
    for (const example of spec.examples) lines.push(`  ${example}`);
  }
  for (const note of spec.notes ?? []) lines.push('', note);
  return lines.join('\n');
}

/** Rewrites node's parseArgs errors into one-line messages that point at `--help`. */
function usageErrorFrom(error: unknown): UsageError {
  const err = error as { code?: string; message?: string };
  const message = err.message ?? String(error);
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const flag = /'([^']+)'/.exec(message)?.[1] ?? message;
      return new UsageError(`Unknown option ${flag}.`);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const arg = /'([^']*)'/.exec(message)?.[1] ?? '';
      return new UsageError(`Unexpected argument '${arg}': this command takes only --options.`);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // node writes "Option '-n, --name <value>' argument missing": name the long form.
      const flag = /'(?:-\w, )?(--?[\w-]+)/.exec(message)?.[1] ?? 'an option';
      if (/does not take an argument/.test(message))
        return new UsageError(`Option ${flag} does not take a value.`);
      return new UsageError(`Option ${flag} needs a value.`);
    }
    default:
      return new UsageError(message.split('\n')[0] ?? message);
  }
}

/**
 * Parses `argv` (without node and the script path) against the spec. `--help`/`-h` anywhere
 * before a `--` wins over everything else, so help works even next to a mistyped flag.
 * @throws UsageError for unknown flags, positionals, missing or unexpected values.
 */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): ParseOutcome {
  const beforeTerminator = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  if (beforeTerminator.some((arg) => HELP_FLAGS.has(arg)))
    return { help: true, text: formatHelp(spec) };

  const options: Record<
    string,
    { type: 'string' | 'boolean'; short?: string; multiple?: boolean }
  > = {};
  for (const [name, option] of Object.entries(spec.options)) {
    options[name] = {
      type: option.type,
      ...(option.short ? { short: option.short } : {}),
      ...(option.type === 'string' && option.multiple ? { multiple: true } : {})
    };
  }
  try {
    const { values } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: false
    });
    return { help: false, values: values as ParsedValues };
  } catch (error) {
    throw usageErrorFrom(error);
  }
}

// ---- typed accessors and validators ---------------------------------------------------------

export function stringValue(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.at(-1);
  if (typeof value !== 'string') throw new UsageError(`Option --${name} needs a value.`);
  if (value.trim() === '') throw new UsageError(`Option --${name} needs a non-empty value.`);
  return value.trim();
}

export function booleanValue(values: ParsedValues, name: string): boolean {
  return values[name] === true;
}

/** Values of a repeatable option; each may also be a comma-separated list. */
export function listValue(values: ParsedValues, name: string): string[] {
  const raw = values[name];
  const items = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)];
  const result = items.flatMap((item) => item.split(',')).map((item) => item.trim());
  if (result.some((item) => item === ''))
    throw new UsageError(`Option --${name} has an empty item.`);
  return result;
}

/** An integer within [min, max]. */
export function intInRange(name: string, raw: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw))
    throw new UsageError(
      `Option --${name} must be a whole number from ${min} to ${max}, got '${raw}'.`
    );
  const value = Number(raw);
  if (value < min || value > max)
    throw new UsageError(`Option --${name} must be from ${min} to ${max}, got ${value}.`);
  return value;
}

/** A decimal number within [min, max]. */
export function numberInRange(name: string, raw: string, min: number, max: number): number {
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(raw))
    throw new UsageError(`Option --${name} must be a number from ${min} to ${max}, got '${raw}'.`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new UsageError(`Option --${name} must be from ${min} to ${max}, got ${value}.`);
  return value;
}

/** One of a fixed set of values (exact, case-sensitive: sf's own flags are). */
export function choice<T extends string>(name: string, raw: string, choices: readonly T[]): T {
  const match = choices.find((c) => c === raw);
  if (match === undefined) {
    const hint = choices.find((c) => c.toLowerCase() === raw.toLowerCase());
    throw new UsageError(
      `Option --${name} must be one of ${choices.join(', ')}; got '${raw}'${hint ? ` (did you mean ${hint}?)` : ''}.`
    );
  }
  return match;
}
