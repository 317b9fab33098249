// Configuration from environment variables: the one style every process here uses (the services
// platform, each scenario service, the simulators' wiring in the lab).
//
// A configuration is a table of variables, each described once: name, type, default, whether it
// is a secret, what it means. The same table parses the environment (zod underneath), produces
// the error an operator sees, and renders the Markdown tables in the docs (a test keeps them
// equal). Rules that hold for every variable:
//   - a value that is empty or only white space is unset (`VAR=` in a .env file);
//   - values are trimmed;
//   - every problem is reported at once, in one ConfigError, in the table's order;
//   - the value of a secret variable is never echoed, and zod's own messages never quote input.
import { accessSync, constants as fsConstants } from 'node:fs';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

/** What a variable's checks may depend on besides its own value. */
export interface ConfigContext {
  /** NODE_ENV=production. */
  production: boolean;
  /** ALLOW_PLAINTEXT=true: http:// endpoints accepted in production (TLS terminated elsewhere). */
  allowPlaintext: boolean;
}

/** How a variable's raw string becomes a value, and how the docs name its type. */
export interface VariableType<T> {
  schema: z.ZodType<T, string>;
  /** Shown in the docs' Type column, e.g. `integer 1-256`. */
  label: string;
  /** A check that needs the context (e.g. https in production); returns a problem or nothing. */
  check?: (value: T, context: ConfigContext) => string | undefined;
}

interface VariableMeta {
  description: string;
  secret?: boolean;
  /** The default as the docs show it, when that differs from the raw default (e.g. a path). */
  shownDefault?: string;
}

export interface Variable<T> extends VariableType<T> {
  description: string;
  secret: boolean;
  presence: 'required' | 'optional' | 'default';
  /** Raw default, parsed like an input value. */
  defaultValue?: string;
  shownDefault?: string;
}

export function required<T>(type: VariableType<T>, meta: VariableMeta): Variable<T> {
  return { ...type, ...meta, secret: meta.secret ?? false, presence: 'required' };
}

export function optional<T>(type: VariableType<T>, meta: VariableMeta): Variable<T | undefined> {
  return {
    ...(type as unknown as VariableType<T | undefined>),
    ...meta,
    secret: meta.secret ?? false,
    presence: 'optional'
  };
}

export function withDefault<T>(
  type: VariableType<T>,
  defaultValue: string,
  meta: VariableMeta
): Variable<T> {
  return { ...type, ...meta, secret: meta.secret ?? false, presence: 'default', defaultValue };
}

// --- types -------------------------------------------------------------------------------------

export function text(
  options: { pattern?: RegExp; patternMessage?: string; label?: string } = {}
): VariableType<string> {
  const schema = options.pattern
    ? z
        .string()
        .regex(options.pattern, { error: options.patternMessage ?? 'has an invalid format' })
    : z.string();
  return { schema, label: options.label ?? 'text' };
}

export function integer(min: number, max: number): VariableType<number> {
  const message = `must be an integer from ${min} to ${max}`;
  return {
    schema: z
      .string()
      .regex(/^-?\d+$/, { error: message })
      .transform(Number)
      .pipe(
        z
          .number()
          .min(min, { error: `must be at least ${min}` })
          .max(max, { error: `must be at most ${max}` })
      ),
    label: `integer ${min}-${max}`
  };
}

export function boolean(): VariableType<boolean> {
  return {
    schema: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
    label: 'boolean'
  };
}

export function oneOf<const T extends string>(values: readonly [T, ...T[]]): VariableType<T> {
  return {
    schema: z.enum(values, {
      error: `must be one of ${values.join(', ')}`
    }) as unknown as z.ZodType<T, string>,
    label: values.join(' \\| ')
  };
}

/** Comma-separated items, each trimmed, empty items dropped. */
export function list(
  options: { minItemLength?: number; itemName?: string; itemHint?: string } = {}
): VariableType<string[]> {
  const min = options.minItemLength ?? 1;
  return {
    schema: z.string().transform((value, ctx) => {
      const items = value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
      const short = items.filter((item) => item.length < min).length;
      if (short > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `${short} ${options.itemName ?? 'item'}(s) shorter than ${min} characters${options.itemHint ? `; ${options.itemHint}` : ''}`
        });
      }
      return items;
    }),
    label: 'comma-separated list'
  };
}

/** A path that must exist and be readable. */
export function readableFile(): VariableType<string> {
  return {
    schema: z.string().refine(
      (file) => {
        try {
          accessSync(file, fsConstants.R_OK);
          return true;
        } catch {
          return false;
        }
      },
      { error: 'file does not exist or is not readable' }
    ),
    label: 'file path'
  };
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * An http(s) base URL, trailing slashes dropped. `https: 'always'` (Salesforce) accepts plain
 * http only on a loopback host (a local emulator); `https: 'production'` (SAP, a gateway) accepts
 * http anywhere outside production, and in production only with ALLOW_PLAINTEXT=true.
 */
export function httpUrl(options: {
  https: 'always' | 'production';
  example: string;
}): VariableType<string> {
  return {
    schema: z.string().transform((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: `must be an absolute URL such as ${options.example}`
        });
        return z.NEVER;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL' });
        return z.NEVER;
      }
      if (options.https === 'always' && url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must use https (plain http is accepted only for 127.0.0.1/localhost, e.g. the emulator)'
        });
        return z.NEVER;
      }
      return url.toString().replace(/\/+$/, '');
    }),
    label: options.https === 'always' ? 'https URL' : 'http(s) URL',
    check:
      options.https === 'production'
        ? (value, context) =>
            context.production && value.startsWith('http:') && !context.allowPlaintext
              ? 'must use https when NODE_ENV=production (set ALLOW_PLAINTEXT=true only if a TLS-terminating proxy sits in between)'
              : undefined
        : undefined
  };
}

export function postgresUrl(): VariableType<string> {
  return {
    schema: z.string().refine(
      (value) => {
        try {
          const url = new URL(value);
          return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
        } catch {
          return false;
        }
      },
      { error: 'must be a postgres:// or postgresql:// URL' }
    ),
    label: 'postgres URL'
  };
}

// --- definitions -------------------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Variables = Record<string, Variable<any>>;

export type Values<V extends Variables> = {
  [K in keyof V]: V[K] extends Variable<infer T> ? T : never;
};

export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Every invalid variable of every configuration being loaded, one per line; never a stack. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(
    issues: readonly ConfigIssue[],
    hint = 'See the docs for every variable.',
    subject?: string
  ) {
    const lines = issues.map((issue) => `  - ${issue.variable}: ${issue.message}`);
    const what = subject ? `${subject} configuration` : 'configuration';
    super(
      `Invalid ${what} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}\n${hint}`
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export interface ConfigDefinition<V extends Variables, T> {
  /** Who reads it (`platform`, `account-sync`, ...): the docs' heading, the error's hint. */
  name: string;
  /** Where the docs describe it, e.g. `docs/account-sync.md`. */
  docs: string;
  variables: V;
  /**
   * Rules across variables. They run even when some variables failed to parse (those are
   * undefined in `values`; `isSet` still tells whether the operator set one), so an operator sees
   * every problem at once.
   */
  rules?: (
    values: Partial<Values<V>>,
    context: ConfigContext,
    isSet: (name: keyof V & string) => boolean
  ) => ConfigIssue[];
  /** `Invalid <subject> configuration` in the error; unset: `Invalid configuration`. */
  subject?: string;
  build: (values: Values<V>, context: ConfigContext) => T;
}

/** A loadable configuration: what a process (or the docs) needs of a definition. */
export interface Config<T> {
  name: string;
  docs: string;
  variables: Variables;
  /** Parses the environment; throws ConfigError listing every problem. */
  load(env?: Env): T;
  /** The problems without throwing, and the value when there were none. */
  parse(env: Env): { value: T; issues: [] } | { value: undefined; issues: ConfigIssue[] };
}

export function contextOf(env: Env): ConfigContext {
  const allow = unset(env.ALLOW_PLAINTEXT)
    ? undefined
    : boolean().schema.safeParse(env.ALLOW_PLAINTEXT.trim());
  return {
    production: env.NODE_ENV?.trim() === 'production',
    allowPlaintext: allow?.success === true && allow.data
  };
}

function unset(value: string | undefined): value is undefined {
  return value === undefined || value.trim() === '';
}

/** What an error may quote of a (non-secret) value: credentials in a URL masked, truncated. */
function shownValue(value: string): string {
  const masked = value.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi, '$1***@');
  return masked.length > 60 ? `${masked.slice(0, 57)}...` : masked;
}

export function defineConfig<V extends Variables, T>(
  definition: ConfigDefinition<V, T>
): Config<T> & { variables: V } {
  const parse = (env: Env) => {
    const context = contextOf(env);
    const values: Record<string, unknown> = {};
    const issues: ConfigIssue[] = [];
    for (const [name, variable] of Object.entries(definition.variables)) {
      const raw = unset(env[name]) ? variable.defaultValue : env[name].trim();
      if (raw === undefined) {
        if (variable.presence === 'required')
          issues.push({ variable: name, message: 'is required' });
        values[name] = undefined;
        continue;
      }
      const parsed = variable.schema.safeParse(raw);
      if (!parsed.success) {
        const shown = variable.secret ? '' : ` (got "${shownValue(raw)}")`;
        for (const issue of parsed.error.issues) {
          issues.push({ variable: name, message: `${issue.message}${shown}` });
        }
        continue;
      }
      const problem = variable.check?.(parsed.data, context);
      if (problem) issues.push({ variable: name, message: problem });
      values[name] = parsed.data;
    }
    if (definition.rules) {
      const isSet = (name: string) => !unset(env[name]);
      issues.push(...definition.rules(values as Partial<Values<V>>, context, isSet));
    }
    if (issues.length > 0) {
      // In the table's order, so the message reads like the docs.
      const order = new Map(Object.keys(definition.variables).map((name, i) => [name, i]));
      const sorted = dedupe(issues).sort(
        (a, b) => (order.get(a.variable) ?? 1e9) - (order.get(b.variable) ?? 1e9)
      );
      return { value: undefined, issues: sorted };
    }
    return { value: definition.build(values as Values<V>, context), issues: [] as [] };
  };
  return {
    name: definition.name,
    docs: definition.docs,
    variables: definition.variables,
    parse,
    load(env = process.env) {
      const result = parse(env);
      if (result.issues.length > 0)
        throw new ConfigError(result.issues, hintFor([definition]), definition.subject);
      return result.value as T;
    }
  };
}

function hintFor(definitions: ReadonlyArray<{ name: string; docs: string }>): string {
  const docs = [...new Set(definitions.map((d) => d.docs))];
  return `See ${docs.join(', ')} for every variable.`;
}

/**
 * Loads several configurations from one environment (a process running the platform and its
 * services): every problem of every one in one ConfigError.
 */
export function loadConfigs<const C extends ReadonlyArray<Config<unknown>>>(
  env: Env,
  configs: C
): { [K in keyof C]: C[K] extends Config<infer T> ? T : never } {
  const issues: ConfigIssue[] = [];
  const values = configs.map((config) => {
    const result = config.parse(env);
    issues.push(...result.issues);
    return result.value;
  });
  if (issues.length > 0) throw new ConfigError(dedupe(issues), hintFor(configs));
  return values as { [K in keyof C]: C[K] extends Config<infer T> ? T : never };
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.variable}\0${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The Markdown table of a configuration's variables, as the docs show it. */
export function renderVariableTable(config: { variables: Variables }): string {
  const rows = Object.entries(config.variables).map(([name, v]) => {
    const shown = v.shownDefault ?? v.defaultValue;
    const def =
      v.presence === 'required' ? '**required**' : shown === undefined ? '(unset)' : `\`${shown}\``;
    return `| \`${name}\` | ${v.label} | ${def} | ${v.secret ? 'yes' : 'no'} | ${v.description} |`;
  });
  return [
    '| Variable | Type | Default | Secret | Meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows
  ].join('\n');
}
