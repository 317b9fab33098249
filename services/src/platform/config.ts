// Configuration of the services platform: environment variables -> one typed, validated object.
//
// Written in the toolkit's one configuration style (toolkit/src/env.ts): each variable described
// once; the same table renders the one in docs/services-platform.md (a test keeps them equal).
// Scenario services describe their own variables the same way (e.g. account-sync/config.ts).
import path from 'node:path';
import {
  boolean,
  defineConfig,
  httpUrl,
  integer,
  isLoopbackHost,
  list,
  oneOf,
  optional,
  postgresUrl,
  readableFile,
  text,
  withDefault,
  type ConfigIssue
} from '../../../toolkit/src/env.ts';
import { projectRoot } from '../../../toolkit/src/project.ts';
import { LOG_LEVELS, REDACTED } from './logger.ts';
import type { LogLevel } from './logger.ts';

export { ConfigError } from '../../../toolkit/src/env.ts';

export const DEFAULT_EMBEDDED_PG_DIR = path.join(projectRoot(), '.data', 'postgres');
export const DEFAULT_EMBEDDED_PG_PORT = 5439;
export const DEFAULT_HTTP_PORT = 8790;
export const MIN_API_TOKEN_LENGTH = 16;

export const platformConfig = defineConfig({
  name: 'platform',
  docs: 'docs/services-platform.md',
  variables: {
    NODE_ENV: withDefault(oneOf(['development', 'test', 'production']), 'development', {
      description:
        '`production` requires `DATABASE_URL` (with TLS) and `SERVICE_API_TOKENS`, refuses `SF_PUBSUB_INSECURE_TLS` and plain-http SAP/gateway endpoints.'
    }),
    LOG_LEVEL: withDefault(oneOf(LOG_LEVELS as [LogLevel, ...LogLevel[]]), 'info', {
      description: 'pino level.'
    }),
    LOG_FORMAT: withDefault(oneOf(['auto', 'json', 'pretty']), 'auto', {
      description:
        '`auto`: human-readable lines when stdout is a terminal, JSON lines otherwise (log collectors).'
    }),
    HTTP_HOST: withDefault(text(), '127.0.0.1', {
      description:
        'Address the HTTP server binds. Loopback by default; set `0.0.0.0` only behind a network boundary.'
    }),
    HTTP_PORT: withDefault(integer(0, 65535), String(DEFAULT_HTTP_PORT), {
      description: 'HTTP port (0 = any free port, used by tests).'
    }),
    HTTP_REQUEST_TIMEOUT_MS: withDefault(integer(1000, 600_000), '30000', {
      description:
        'Time a client has to send a whole request (headers and body); slower clients are cut off with 408.'
    }),
    HTTP_MAX_CONNECTIONS: withDefault(integer(1, 100_000), '1000', {
      description:
        'Open connections accepted at once; more are refused so clients cannot exhaust file descriptors.'
    }),
    HTTP_MAX_CONNECTIONS_PER_CLIENT: withDefault(integer(1, 100_000), '100', {
      description:
        'Open connections accepted at once from one address, so one client cannot take them all. Behind a proxy every client has its address: raise it there and let the proxy limit clients.'
    }),
    SERVICE_API_TOKENS: optional(
      list({
        minItemLength: MIN_API_TOKEN_LENGTH,
        itemName: 'token',
        itemHint: 'use long random tokens (e.g. openssl rand -hex 32)'
      }),
      {
        secret: true,
        description: `Comma-separated bearer tokens accepted by authenticated service endpoints (each at least ${MIN_API_TOKEN_LENGTH} characters; several allow rotation). Unset: every authenticated endpoint answers 401. Required in production.`
      }
    ),
    ALLOW_PLAINTEXT: withDefault(boolean(), 'false', {
      description:
        '`true` accepts `http://` SAP and gateway endpoints and a `DATABASE_URL` without `sslmode` when `NODE_ENV=production` (only where TLS terminates in between, e.g. a sidecar). Never for Salesforce.'
    }),
    DATABASE_URL: optional(postgresUrl(), {
      secret: true,
      description:
        '`postgres://user:password@host:port/database` of the PostgreSQL to use. Unset: an embedded PostgreSQL 17 is started (see `EMBEDDED_PG_*`); required in production.'
    }),
    DATABASE_POOL_MAX: withDefault(integer(1, 1000), '10', {
      description: 'Maximum connections in the `pg` pool of one process.'
    }),
    EMBEDDED_PG_DIR: optional(text(), {
      shownDefault: '.data/postgres',
      description:
        'Folder of the embedded PostgreSQL (cluster in `pgdata/`), reused across runs. The default is relative to the repository root, a value you set is relative to the working directory. Ignored when `DATABASE_URL` is set.'
    }),
    EMBEDDED_PG_PORT: withDefault(integer(0, 65535), String(DEFAULT_EMBEDDED_PG_PORT), {
      description:
        'Port of the embedded PostgreSQL on 127.0.0.1 (0 = any free port). Ignored when `DATABASE_URL` is set.'
    }),
    QUEUE_SCHEMA: withDefault(
      text({
        pattern: /^[a-z_][a-z0-9_]{0,49}$/,
        patternMessage: 'must be a lower-case SQL identifier (letters, digits, underscore; max 50)',
        label: 'SQL identifier'
      }),
      'pgboss',
      { description: 'PostgreSQL schema of the pg-boss job queue tables.' }
    ),
    SHUTDOWN_STEP_TIMEOUT_MS: withDefault(integer(100, 600_000), '10000', {
      description:
        'Time box of each graceful-shutdown step (drain HTTP, stop workers, close pool, stop embedded PostgreSQL).'
    }),
    SF_INSTANCE_URL: optional(
      httpUrl({ https: 'always', example: 'https://example.my.salesforce.com' }),
      {
        description:
          'Salesforce instance (My Domain) URL, e.g. `https://example.my.salesforce.com`, or the emulator `http://127.0.0.1:8780`. Required with `SF_ACCESS_TOKEN`; the token endpoint of the client-credentials flow.'
      }
    ),
    SF_LOGIN_URL: withDefault(
      httpUrl({ https: 'always', example: 'https://login.salesforce.com' }),
      'https://login.salesforce.com',
      {
        description:
          'OAuth login host for the JWT bearer flow (`https://test.salesforce.com` for sandboxes).'
      }
    ),
    SF_CLIENT_ID: optional(text(), {
      description: 'Consumer key of the External Client App / Connected App.'
    }),
    SF_CLIENT_SECRET: optional(text(), {
      secret: true,
      description: 'Consumer secret (client-credentials flow). Needs `SF_CLIENT_ID`.'
    }),
    SF_USERNAME: optional(text(), { description: 'Integration user for the JWT bearer flow.' }),
    SF_JWT_KEY_FILE: optional(readableFile(), {
      description:
        'Path of the PEM private key that signs JWT bearer assertions (must be readable). Needs `SF_CLIENT_ID` and `SF_USERNAME`.'
    }),
    SF_ACCESS_TOKEN: optional(text(), {
      secret: true,
      description:
        'A ready-made access token (e.g. printed by `npm run sim:salesforce`); no refresh possible. Needs `SF_INSTANCE_URL`.'
    }),
    SF_API_VERSION: withDefault(
      text({ pattern: /^\d{2}\.0$/, patternMessage: 'must look like 65.0', label: 'NN.0' }),
      '65.0',
      { description: 'Salesforce API version.' }
    ),
    SF_PUBSUB_ENDPOINT: withDefault(
      text({
        pattern: /^[A-Za-z0-9.-]+:\d{1,5}$/,
        patternMessage: 'must be host:port, e.g. api.pubsub.salesforce.com:7443',
        label: 'host:port'
      }),
      'api.pubsub.salesforce.com:7443',
      { description: 'Pub/Sub API gRPC endpoint (TLS).' }
    ),
    SF_PUBSUB_INSECURE_TLS: withDefault(boolean(), 'false', {
      description:
        '`true` accepts a self-signed Pub/Sub certificate (the local emulator only). Refused when `NODE_ENV=production`.'
    })
  },
  rules(v, context, isSet) {
    const issues: ConfigIssue[] = [];
    const need = (variable: string, message: string) => issues.push({ variable, message });
    if (context.production) {
      if (!isSet('SERVICE_API_TOKENS'))
        need('SERVICE_API_TOKENS', 'is required when NODE_ENV=production');
      if (v.SF_PUBSUB_INSECURE_TLS)
        need('SF_PUBSUB_INSECURE_TLS', 'must not be true when NODE_ENV=production');
      if (!isSet('DATABASE_URL'))
        need(
          'DATABASE_URL',
          'is required when NODE_ENV=production (an embedded PostgreSQL keeps data on this machine only)'
        );
      else if (v.DATABASE_URL && !encryptedDatabaseUrl(v.DATABASE_URL) && !context.allowPlaintext)
        need(
          'DATABASE_URL',
          'must use TLS when NODE_ENV=production: add ?sslmode=verify-full (or require), or set ALLOW_PLAINTEXT=true if TLS terminates in between'
        );
    }
    if (isSet('SF_ACCESS_TOKEN') && !isSet('SF_INSTANCE_URL'))
      need('SF_INSTANCE_URL', 'is required when SF_ACCESS_TOKEN is set');
    if (isSet('SF_CLIENT_SECRET') && !isSet('SF_CLIENT_ID'))
      need('SF_CLIENT_ID', 'is required when SF_CLIENT_SECRET is set');
    if (isSet('SF_JWT_KEY_FILE')) {
      if (!isSet('SF_CLIENT_ID')) need('SF_CLIENT_ID', 'is required when SF_JWT_KEY_FILE is set');
      if (!isSet('SF_USERNAME')) need('SF_USERNAME', 'is required when SF_JWT_KEY_FILE is set');
    }
    return issues;
  },
  build(e): PlatformConfig {
    return {
      env: e.NODE_ENV,
      logLevel: e.LOG_LEVEL,
      logFormat: e.LOG_FORMAT,
      http: {
        host: e.HTTP_HOST,
        port: e.HTTP_PORT,
        apiTokens: e.SERVICE_API_TOKENS ?? [],
        requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
        maxConnections: e.HTTP_MAX_CONNECTIONS,
        maxConnectionsPerClient: e.HTTP_MAX_CONNECTIONS_PER_CLIENT
      },
      allowPlaintext: e.ALLOW_PLAINTEXT,
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
      salesforce: {
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
      }
    };
  }
});

/** TLS is asked for (`sslmode` require/verify-*), or the server is on this machine. */
function encryptedDatabaseUrl(value: string): boolean {
  const url = new URL(value);
  const mode = url.searchParams.get('sslmode');
  return (
    mode === 'require' ||
    mode === 'verify-ca' ||
    mode === 'verify-full' ||
    isLoopbackHost(url.hostname)
  );
}

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
  logFormat: 'auto' | 'json' | 'pretty';
  http: {
    host: string;
    port: number;
    apiTokens: readonly string[];
    requestTimeoutMs: number;
    maxConnections: number;
    maxConnectionsPerClient: number;
  };
  /** http:// endpoints for SAP and gateways accepted in production. */
  allowPlaintext: boolean;
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

/** Reads and validates the configuration; throws ConfigError listing every invalid variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): PlatformConfig {
  return platformConfig.load(env);
}

/** The configuration with every secret masked, safe to log at start-up. */
export function describeConfig(config: PlatformConfig): Record<string, unknown> {
  const mask = (value: string | undefined) => (value ? REDACTED : undefined);
  return {
    env: config.env,
    logLevel: config.logLevel,
    http: { ...config.http, apiTokens: `${config.http.apiTokens.length} configured` },
    allowPlaintext: config.allowPlaintext,
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
