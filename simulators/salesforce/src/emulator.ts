/**
 * Starts the whole org emulator: the HTTP server (OAuth, REST, Bulk API 2.0, test driver) and the
 * Pub/Sub API gRPC server over TLS, sharing one emulator context. Returns what a client needs to
 * connect (instance URL, Pub/Sub endpoint, a ready-made integration user token, org id) and
 * `close()`.
 */
import { resolve } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { validateDriverSecret } from '../../../toolkit/src/loopback.ts';
import { listeningUrl } from '../../../toolkit/src/listening-url.ts';
import { createEmulatorContext } from './context.ts';
import { buildHttpApp } from './http/app.ts';
import { DEFAULT_API_VERSION } from './http/versions.ts';
import { DEFAULT_ORGANIZATION_ID } from './ids.ts';
import { FINANCE_USERNAME, MEDIA_USERNAME } from './permissions/users.ts';
import type { FileOptions } from './http/app.ts';
import type { EmulatorConfig, EmulatorContext } from './model.ts';
import { startPubSubServer, type PubSubServerOptions } from './pubsub/server.ts';
import { certificateDir, createSelfSignedCertificate, writeCaFile } from './tls.ts';

export const DEFAULT_HTTP_PORT = 8780;
export const DEFAULT_GRPC_PORT = 8781;
export const DEFAULT_HOST = '127.0.0.1';

/** The connected app the token endpoint accepts unless configured otherwise (local use only). */
export const DEFAULT_CLIENT_ID = 'emulator-client-id';
export const DEFAULT_CLIENT_SECRET = 'emulator-client-secret';
/**
 * The Finance export's own connected app (local use only): its client-credentials flow runs as
 * `finance@emulator.local`, who holds only Finance_Export_Integration.
 */
export const FINANCE_CLIENT_ID = 'emulator-finance-client-id';
export const FINANCE_CLIENT_SECRET = 'emulator-finance-client-secret';
/**
 * The property image migration's own connected app (local use only): its client-credentials
 * flow runs as `media@emulator.local`, who holds only Property_Media_Migration.
 */
export const MEDIA_CLIENT_ID = 'emulator-media-client-id';
export const MEDIA_CLIENT_SECRET = 'emulator-media-client-secret';

export interface StartEmulatorOptions {
  /** SFDX project whose force-app metadata defines the schema (default: the current directory). */
  projectDir?: string;
  host?: string;
  /**
   * Names (host names or addresses) clients reach the emulator by besides loopback and `host`:
   * needed when bound to 0.0.0.0, as Host headers naming anything else are refused (421). The
   * first one makes the instance URL.
   */
  publicHosts?: string[];
  /** 0 picks a free port (tests); default 8780. */
  httpPort?: number;
  /** 0 picks a free port (tests); default 8781. */
  grpcPort?: number;
  config?: Partial<EmulatorConfig>;
  /** fastify/pino logger for the HTTP server (off by default). */
  logger?: FastifyServerOptions['logger'];
  /**
   * Guard the test driver (`/__emulator/*`) with `Authorization: Bearer <driverSecret>`
   * (1-1024 visible ASCII characters). Set or not, the driver answers loopback clients only.
   */
  driverSecret?: string;
  /**
   * Serve REST, Bulk, OAuth and the driver over HTTPS with the emulator's self-signed
   * certificate (the one the Pub/Sub server uses); clients trust `caFile`. Default: HTTP.
   */
  tls?: boolean;
  /** Multipart file uploads: the emulator's size cap and what stays in memory. */
  files?: FileOptions;
  /** Extra Pub/Sub server settings (keepalive, batch size), for tests. */
  pubsub?: Omit<PubSubServerOptions, 'host' | 'port'>;
}

export interface RunningEmulator {
  /** `http://127.0.0.1:8780` (`https://` with `tls`). */
  instanceUrl: string;
  /**
   * PEM file of the certificate HTTPS (with `tls`) and Pub/Sub serve; point
   * `NODE_EXTRA_CA_CERTS`, `SF_CA_FILE` or curl's `--cacert` at it. Removed on close.
   */
  caFile: string;
  /** `127.0.0.1:8781` (TLS, self-signed). */
  pubsubEndpoint: string;
  /** A token of the integration user, valid for the configured lifetime of emulated time. */
  accessToken: string;
  /** A token of the System Administrator (`admin@emulator.local`), for fixtures and tests. */
  adminAccessToken: string;
  organizationId: string;
  /** The secret `/__emulator/*` requires (`Authorization: Bearer <driverSecret>`), if any. */
  driverSecret: string | undefined;
  ctx: EmulatorContext;
  app: FastifyInstance;
  close(): Promise<void>;
}

export function defaultConfig(projectDir: string): EmulatorConfig {
  return {
    projectDir,
    apiVersion: DEFAULT_API_VERSION,
    organizationId: DEFAULT_ORGANIZATION_ID,
    eventRetentionMs: 72 * 60 * 60 * 1000,
    // A real org's default session timeout.
    accessTokenLifetimeMs: 2 * 60 * 60 * 1000,
    // An Enterprise Edition org's base allocation.
    dailyApiMax: 100_000,
    clientId: DEFAULT_CLIENT_ID,
    clientSecret: DEFAULT_CLIENT_SECRET,
    clientCredentialsApps: [
      {
        clientId: FINANCE_CLIENT_ID,
        clientSecret: FINANCE_CLIENT_SECRET,
        username: FINANCE_USERNAME
      },
      {
        clientId: MEDIA_CLIENT_ID,
        clientSecret: MEDIA_CLIENT_SECRET,
        username: MEDIA_USERNAME
      }
    ]
  };
}

export async function startSalesforceEmulator(
  options: StartEmulatorOptions = {}
): Promise<RunningEmulator> {
  const projectDir = resolve(options.projectDir ?? options.config?.projectDir ?? process.cwd());
  const config: EmulatorConfig = { ...defaultConfig(projectDir), ...options.config, projectDir };
  const host = options.host ?? DEFAULT_HOST;
  const driverSecret = validateDriverSecret(options.driverSecret);
  const ctx = await createEmulatorContext(config);
  // One identity for both servers, so one CA file lets a client trust REST and Pub/Sub.
  const certificate = await createSelfSignedCertificate(host);
  const ca = await writeCaFile(certificate, certificateDir(projectDir));

  let app: FastifyInstance;
  try {
    app = await buildHttpApp(ctx, {
      ...(options.tls ? { https: certificate } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      ...(driverSecret !== undefined ? { driverSecret } : {}),
      ...(options.files !== undefined ? { files: options.files } : {}),
      ...(options.publicHosts !== undefined ? { publicHosts: options.publicHosts } : {}),
      bindHost: host
    });
    await app.listen({ host, port: options.httpPort ?? DEFAULT_HTTP_PORT });
  } catch (error) {
    await ca.remove();
    await ctx.close();
    throw error;
  }
  const instanceUrl = listeningUrl(
    app.server,
    options.publicHosts?.[0] ?? host,
    options.tls ? 'https' : 'http'
  );

  let pubsub;
  try {
    pubsub = await startPubSubServer(ctx, {
      ...options.pubsub,
      certificate,
      host,
      port: options.grpcPort ?? DEFAULT_GRPC_PORT
    });
  } catch (error) {
    await app.close();
    await ca.remove();
    await ctx.close();
    throw error;
  }

  const session = ctx.sessions.issue(ctx.integrationUser.username);
  const adminSession = ctx.sessions.issue(ctx.adminUser.username);
  let closed: Promise<void> | undefined;
  return {
    instanceUrl,
    caFile: ca.path,
    pubsubEndpoint: pubsub.endpoint,
    accessToken: session.accessToken,
    adminAccessToken: adminSession.accessToken,
    organizationId: config.organizationId,
    driverSecret,
    ctx,
    app,
    close() {
      closed ??= (async () => {
        const results = await Promise.allSettled([app.close(), pubsub.close()]);
        // Last: persistence writes what the servers changed before they stopped.
        results.push(...(await Promise.allSettled([ctx.close(), ca.remove()])));
        const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failure) throw failure.reason;
      })();
      return closed;
    }
  };
}
