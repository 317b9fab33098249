// Configuration of the off-platform services: environment variables -> one typed, validated object.
//
// One zod schema; every variable is described once in CONFIG_VARIABLES, which also renders the
// table in docs/services-platform.md (a test keeps the two identical). Invalid input produces one
// ConfigError listing every bad variable; values of secret variables are never echoed.
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LOG_LEVELS, REDACTED } from './logger.ts';
import type { LogLevel } from './logger.ts';

/** Repository root (services/src/platform -> ../../..), the anchor for default data folders. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const DEFAULT_EMBEDDED_PG_DIR = path.join(REPO_ROOT, '.data', 'postgres');
export const DEFAULT_EMBEDDED_PG_PORT = 5439;
export const DEFAULT_HTTP_PORT = 8790;
export const MIN_API_TOKEN_LENGTH = 16;

export interface ConfigVariable {
  name: string;
  /** Default as shown in the docs ('' = unset). */
  default: string;
  secret: boolean;
  description: string;
}

export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  {
    name: 'NODE_ENV',
    default: 'development',
    secret: false,
    description:
      '`development`, `test` or `production`. `production` requires `SERVICE_API_TOKENS` and refuses `SF_PUBSUB_INSECURE_TLS`.'
  },
  {
    name: 'LOG_LEVEL',
    default: 'info',
    secret: false,
    description: `pino level: ${LOG_LEVELS.map((l) => `\`${l}\``).join(', ')}.`
  },
  {
    name: 'HTTP_HOST',
    default: '127.0.0.1',
    secret: false,
    description:
      'Address the HTTP server binds. Loopback by default; set `0.0.0.0` only behind a network boundary.'
  },
  {
    name: 'HTTP_PORT',
    default: String(DEFAULT_HTTP_PORT),
    secret: false,
    description: 'HTTP port (0 = any free port, used by tests).'
  },
  {
    name: 'SERVICE_API_TOKENS',
    default: '',
    secret: true,
    description: `Comma-separated bearer tokens accepted by authenticated service endpoints (each at least ${MIN_API_TOKEN_LENGTH} characters; several allow rotation). Unset: every authenticated endpoint answers 401. Required in production.`
  },
  {
    name: 'DATABASE_URL',
    default: '',
    secret: true,
    description:
      '`postgres://user:password@host:port/database` of the PostgreSQL to use. Unset: an embedded PostgreSQL 17 is started (see `EMBEDDED_PG_*`).'
  },
  {
    name: 'DATABASE_POOL_MAX',
    default: '10',
    secret: false,
    description: 'Maximum connections in the `pg` pool of one process.'
  },
  {
    name: 'EMBEDDED_PG_DIR',
    default: '.data/postgres',
    secret: false,
    description:
      'Folder of the embedded PostgreSQL (cluster in `pgdata/`), reused across runs. The default is relative to the repository root, a value you set is relative to the working directory. Ignored when `DATABASE_URL` is set.'
  },
  {
    name: 'EMBEDDED_PG_PORT',
    default: String(DEFAULT_EMBEDDED_PG_PORT),
    secret: false,
    description:
      'Port of the embedded PostgreSQL on 127.0.0.1 (0 = any free port). Ignored when `DATABASE_URL` is set.'
  },
  {
    name: 'QUEUE_SCHEMA',
    default: 'pgboss',
    secret: false,
    description: 'PostgreSQL schema of the pg-boss job queue tables.'
  },
  {
    name: 'SHUTDOWN_STEP_TIMEOUT_MS',
    default: '10000',
    secret: false,
    description:
      'Time box of each graceful-shutdown step (drain HTTP, stop workers, close pool, stop embedded PostgreSQL).'
  },
  {
    name: 'SF_INSTANCE_URL',
    default: '',
    secret: false,
    description:
      'Salesforce instance (My Domain) URL, e.g. `https://example.my.salesforce.com`, or the emulator `http://127.0.0.1:8780`. Required with `SF_ACCESS_TOKEN`; the token endpoint of the client-credentials flow.'
  },
  {
    name: 'SF_LOGIN_URL',
    default: 'https://login.salesforce.com',
    secret: false,
    description:
      'OAuth login host for the JWT bearer flow (`https://test.salesforce.com` for sandboxes).'
  },
  {
    name: 'SF_CLIENT_ID',
    default: '',
    secret: false,
    description: 'Consumer key of the External Client App / Connected App.'
  },
  {
    name: 'SF_CLIENT_SECRET',
    default: '',
    secret: true,
    description: 'Consumer secret (client-credentials flow). Needs `SF_CLIENT_ID`.'
  },
  {
    name: 'SF_USERNAME',
    default: '',
    secret: false,
    description: 'Integration user for the JWT bearer flow.'
  },
  {
    name: 'SF_JWT_KEY_FILE',
    default: '',
    secret: false,
    description:
      'Path of the PEM private key that signs JWT bearer assertions (must be readable). Needs `SF_CLIENT_ID` and `SF_USERNAME`.'
  },
  {
    name: 'SF_ACCESS_TOKEN',
    default: '',
    secret: true,
    description:
      'A ready-made access token (e.g. printed by `npm run sim:salesforce`); no refresh possible. Needs `SF_INSTANCE_URL`.'
  },
  {
    name: 'SF_API_VERSION',
    default: '65.0',
    secret: false,
    description: 'Salesforce API version, `NN.0`.'
  },
  {
    name: 'SF_PUBSUB_ENDPOINT',
    default: 'api.pubsub.salesforce.com:7443',
    secret: false,
    description: 'Pub/Sub API gRPC endpoint, `host:port` (TLS).'
  },
  {
    name: 'SF_PUBSUB_INSECURE_TLS',
    default: 'false',
    secret: false,
    description:
      '`true` accepts a self-signed Pub/Sub certificate (the local emulator only). Refused when `NODE_ENV=production`.'
  }
];

const SECRET_VARIABLES = new Set(CONFIG_VARIABLES.filter((v) => v.secret).map((v) => v.name));

// --- field schemas ------------------------------------------------------------------------------

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `must be an integer from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` })
    );

/** https URL, or http on a loopback host (the local emulator). Trailing slashes are dropped. */
const salesforceUrl = z.string().transform((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an absolute URL such as https://example.my.salesforce.com'
    });
    return z.NEVER;
  }
  const local = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must use https (plain http is accepted only for 127.0.0.1/localhost, e.g. the emulator)'
    });
    return z.NEVER;
  }
  return url.toString().replace(/\/+$/, '');
});

const databaseUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
    } catch {
      return false;
    }
  },
  { error: 'must be a postgres:// or postgresql:// URL' }
);

const booleanFlag = z
  .string()
  .transform((v) => v.toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const readableFile = z.string().refine(
  (file) => {
    try {
      accessSync(file, fsConstants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'file does not exist or is not readable' }
);

const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'test', 'production'], {
      error: 'must be development, test or production'
    })
    .default('development'),
  LOG_LEVEL: z
    .enum(LOG_LEVELS as [LogLevel, ...LogLevel[]], {
      error: `must be one of ${LOG_LEVELS.join(', ')}`
    })
    .default('info'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: integer(0, 65535).default(DEFAULT_HTTP_PORT),
  SERVICE_API_TOKENS: z
    .string()
    .transform((value, ctx) => {
      const tokens = value
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t.length > 0);
      const short = tokens.filter((t) => t.length < MIN_API_TOKEN_LENGTH).length;
      if (short > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `${short} token(s) shorter than ${MIN_API_TOKEN_LENGTH} characters; use long random tokens (e.g. openssl rand -hex 32)`
        });
      }
      return tokens;
    })
    .optional(),
  DATABASE_URL: databaseUrl.optional(),
  DATABASE_POOL_MAX: integer(1, 1000).default(10),
  EMBEDDED_PG_DIR: z.string().min(1).optional(),
  EMBEDDED_PG_PORT: integer(0, 65535).default(DEFAULT_EMBEDDED_PG_PORT),
  QUEUE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,49}$/, {
      error: 'must be a lower-case SQL identifier (letters, digits, underscore; max 50)'
    })
    .default('pgboss'),
  SHUTDOWN_STEP_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  SF_INSTANCE_URL: salesforceUrl.optional(),
  SF_LOGIN_URL: salesforceUrl.default('https://login.salesforce.com'),
  SF_CLIENT_ID: z.string().optional(),
  SF_CLIENT_SECRET: z.string().optional(),
  SF_USERNAME: z.string().optional(),
  SF_JWT_KEY_FILE: readableFile.optional(),
  SF_ACCESS_TOKEN: z.string().optional(),
  SF_API_VERSION: z
    .string()
    .regex(/^\d{2}\.0$/, { error: 'must look like 65.0' })
    .default('65.0'),
  SF_PUBSUB_ENDPOINT: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, {
      error: 'must be host:port, e.g. api.pubsub.salesforce.com:7443'
    })
    .default('api.pubsub.salesforce.com:7443'),
  SF_PUBSUB_INSECURE_TLS: booleanFlag.default(false)
});

/**
 * Rules across variables, checked on the raw input so they are reported together with the
 * per-variable problems (zod skips object-level refinements once a field has failed).
 */
function crossFieldIssues(input: Record<string, string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const need = (variable: string, message: string) => issues.push({ variable, message });
  const production = input.NODE_ENV === 'production';
  const tokens = (input.SERVICE_API_TOKENS ?? '').split(',').filter((t) => t.trim() !== '');
  if (production && tokens.length === 0) {
    need('SERVICE_API_TOKENS', 'is required when NODE_ENV=production');
  }
  if (production && booleanFlag.safeParse(input.SF_PUBSUB_INSECURE_TLS ?? 'false').data === true) {
    need('SF_PUBSUB_INSECURE_TLS', 'must not be true when NODE_ENV=production');
  }
  if (input.SF_ACCESS_TOKEN && !input.SF_INSTANCE_URL) {
    need('SF_INSTANCE_URL', 'is required when SF_ACCESS_TOKEN is set');
  }
  if (input.SF_CLIENT_SECRET && !input.SF_CLIENT_ID) {
    need('SF_CLIENT_ID', 'is required when SF_CLIENT_SECRET is set');
  }
  if (input.SF_JWT_KEY_FILE && !input.SF_CLIENT_ID) {
    need('SF_CLIENT_ID', 'is required when SF_JWT_KEY_FILE is set');
  }
  if (input.SF_JWT_KEY_FILE && !input.SF_USERNAME) {
    need('SF_USERNAME', 'is required when SF_JWT_KEY_FILE is set');
  }
  return issues;
}

// --- typed configuration ------------------------------------------------------------------------

export type SalesforceAuthMode = 'jwt_bearer' | 'client_credentials' | 'access_token' | 'none';

export interface SalesforceConfig {
  instanceUrl: string | undefined;
  loginUrl: string;
  clientId: string | undefined;
  clientSecret: string | undefined;
  username: string | undefined;
  jwtKeyFile: string | undefined;
  accessToken: string | undefined;
  apiVersion: string;
  pubsubEndpoint: string;
  pubsubInsecureTls: boolean;
  /** Which credentials are configured, strongest first: JWT bearer, client credentials, token. */
  authMode: SalesforceAuthMode;
}

export interface PlatformConfig {
  env: 'development' | 'test' | 'production';
  logLevel: LogLevel;
  http: { host: string; port: number; apiTokens: readonly string[] };
  database: {
    /** Unset: embedded PostgreSQL. */
    url: string | undefined;
    poolMax: number;
    embedded: { dir: string; port: number };
  };
  queue: { schema: string };
  shutdown: { stepTimeoutMs: number };
  salesforce: SalesforceConfig;
}

export interface ConfigIssue {
  variable: string;
  message: string;
}

/** Every invalid variable, one per line; a message, never a stack trace. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map((issue) => `  - ${issue.variable}: ${issue.message}`);
    super(
      `Invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}\n` +
        'See docs/services-platform.md for every variable.'
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates the configuration; throws ConfigError listing every invalid variable. */
export function loadConfig(env: Env = process.env): PlatformConfig {
  // `VAR=` (empty) means unset, as in most .env conventions.
  const input: Record<string, string> = {};
  for (const variable of CONFIG_VARIABLES) {
    const value = env[variable.name];
    if (value !== undefined && value.trim() !== '') input[variable.name] = value.trim();
  }

  const parsed = envSchema.safeParse(input);
  const issues: ConfigIssue[] = (parsed.error?.issues ?? []).map((issue) => {
    const variable = String(issue.path[0] ?? 'configuration');
    const raw = input[variable];
    const shown =
      raw !== undefined && !SECRET_VARIABLES.has(variable) ? ` (got "${truncate(raw)}")` : '';
    return { variable, message: `${issue.message}${shown}` };
  });
  issues.push(...crossFieldIssues(input));
  if (!parsed.success || issues.length > 0) {
    // Listed in the documented order, so the message reads like the table.
    const order = new Map(CONFIG_VARIABLES.map((v, i) => [v.name, i]));
    issues.sort((a, b) => (order.get(a.variable) ?? 99) - (order.get(b.variable) ?? 99));
    throw new ConfigError(dedupe(issues));
  }
  const e = parsed.data;

  const salesforce: SalesforceConfig = {
    instanceUrl: e.SF_INSTANCE_URL,
    loginUrl: e.SF_LOGIN_URL,
    clientId: e.SF_CLIENT_ID,
    clientSecret: e.SF_CLIENT_SECRET,
    username: e.SF_USERNAME,
    jwtKeyFile: e.SF_JWT_KEY_FILE ? path.resolve(e.SF_JWT_KEY_FILE) : undefined,
    accessToken: e.SF_ACCESS_TOKEN,
    apiVersion: e.SF_API_VERSION,
    pubsubEndpoint: e.SF_PUBSUB_ENDPOINT,
    pubsubInsecureTls: e.SF_PUBSUB_INSECURE_TLS,
    authMode:
      e.SF_JWT_KEY_FILE && e.SF_CLIENT_ID && e.SF_USERNAME
        ? 'jwt_bearer'
        : e.SF_CLIENT_ID && e.SF_CLIENT_SECRET
          ? 'client_credentials'
          : e.SF_ACCESS_TOKEN
            ? 'access_token'
            : 'none'
  };

  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT, apiTokens: e.SERVICE_API_TOKENS ?? [] },
    database: {
      url: e.DATABASE_URL,
      poolMax: e.DATABASE_POOL_MAX,
      embedded: {
        dir: e.EMBEDDED_PG_DIR ? path.resolve(e.EMBEDDED_PG_DIR) : DEFAULT_EMBEDDED_PG_DIR,
        port: e.EMBEDDED_PG_PORT
      }
    },
    queue: { schema: e.QUEUE_SCHEMA },
    shutdown: { stepTimeoutMs: e.SHUTDOWN_STEP_TIMEOUT_MS },
    salesforce
  };
}

/**
 * For entry points: the configuration, or the ConfigError message on stderr and exit code 1
 * (no stack trace: a wrong variable is the operator's input, not a bug).
 */
export function loadConfigOrExit(env: Env = process.env): PlatformConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** The configuration with every secret masked, safe to log at start-up. */
export function describeConfig(config: PlatformConfig): Record<string, unknown> {
  const mask = (value: string | undefined) => (value ? REDACTED : undefined);
  return {
    env: config.env,
    logLevel: config.logLevel,
    http: {
      host: config.http.host,
      port: config.http.port,
      apiTokens: `${config.http.apiTokens.length} configured`
    },
    database: {
      mode: config.database.url ? 'external' : 'embedded',
      url: config.database.url ? maskUrlPassword(config.database.url) : undefined,
      poolMax: config.database.poolMax,
      embedded: config.database.url ? undefined : config.database.embedded
    },
    queue: config.queue,
    shutdown: config.shutdown,
    salesforce: {
      ...config.salesforce,
      clientSecret: mask(config.salesforce.clientSecret),
      accessToken: mask(config.salesforce.accessToken)
    }
  };
}

export function maskUrlPassword(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = REDACTED;
    return url.toString();
  } catch {
    return REDACTED;
  }
}

/** The Markdown table of docs/services-platform.md, generated from CONFIG_VARIABLES. */
export function renderConfigTable(): string {
  const rows = CONFIG_VARIABLES.map((v) => {
    const def = v.default === '' ? '(unset)' : `\`${v.default}\``;
    return `| \`${v.name}\` | ${def} | ${v.secret ? 'yes' : 'no'} | ${v.description} |`;
  });
  return ['| Variable | Default | Secret | Meaning |', '| --- | --- | --- | --- |', ...rows].join(
    '\n'
  );
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
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
