/**
 * The emulator's HTTP server: OAuth, the REST API, Bulk API 2.0 and the test driver on one
 * fastify instance, with Salesforce's error shapes everywhere (see errors.ts).
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { parseJsonBodies } from '../../../../toolkit/src/json-body.ts';
import type { EmulatorContext } from '../model.ts';
import type { MemoryRecordStore } from '../store/types.ts';
import { FileStore } from '../files/file-store.ts';
import { stringifyJavaJson } from '../java-json.ts';
import { isSubrequest } from './auth.ts';
import { installGzip } from './compression.ts';
import { bulkRoutes } from '../bulk/plugin.ts';
import { driverRoutes } from '../driver/plugin.ts';
import { installErrorHandling, jsonParserError } from './errors.ts';
import { installHostCheck } from './host-check.ts';
import { oauthRoutes } from './oauth.ts';
import { restRoutes } from './rest/index.ts';
import { QueryCursors } from './rest/query-cursors.ts';
import { collectVersionResources, notFound, versionInPath } from './versions.ts';

export interface HttpAppOptions {
  /** fastify/pino logger settings; off by default (tests), on in the CLI. */
  logger?: FastifyServerOptions['logger'];
  /**
   * When set, `/__emulator/*` requires `Authorization: Bearer <driverSecret>`. Set or not, it
   * answers loopback clients only.
   */
  driverSecret?: string;
  /** Serve HTTPS with this certificate and key (see tls.ts); plain HTTP without. */
  https?: { certPem: string; keyPem: string };
  /** Uploaded files (multipart blob inserts): caps and where large ones are kept. */
  files?: FileOptions;
  /** The address the server listens on: a Host header may name it (unless a wildcard). */
  bindHost?: string;
  /** Further names clients reach the emulator by (a LAN name when bound to 0.0.0.0). */
  publicHosts?: string[];
}

export interface FileOptions {
  /**
   * The largest file one multipart insert accepts. Salesforce allows 2 GB for ContentVersion
   * and 500 MB for other objects; a lower cap saves disk in tests (default: no lower cap).
   */
  maxBytes?: number;
  /** Files up to this size are kept inline in their record (default 16 MB); larger go to disk. */
  inlineBytes?: number;
}

/** How soon after a write deleted records' files are removed. */
const SWEEP_DELAY_MS = 100;

/** REST bodies up to 50 MB, as a real org accepts (Bulk uploads set their own limit). */
const BODY_LIMIT = 50 * 1024 * 1024;

export async function buildHttpApp(
  ctx: EmulatorContext,
  options: HttpAppOptions = {}
): Promise<FastifyInstance> {
  const app = Fastify({
    // The instance is typed for node:http; an https server serves the same handlers (fastify's
    // types only split them to type `request.raw`, which nothing here reads TLS details from).
    ...(options.https
      ? ({ https: { cert: options.https.certPem, key: options.https.keyPem } } as object)
      : {}),
    logger: options.logger ?? false,
    bodyLimit: BODY_LIMIT,
    routerOptions: {
      // Salesforce serves `/limits/` and `/limits` alike.
      ignoreTrailingSlash: true,
      // Clients that keep the instance URL with its trailing slash call `//services/data`;
      // Salesforce answers those as if the slash were single (the sf CLI relies on it).
      ignoreDuplicateSlashes: true,
      // Record ids, locators and external-id values as path segments can be long.
      maxParamLength: 2048
    }
  });
  installErrorHandling(app);
  // DNS rebinding: only requests addressed to a loopback name or the configured host.
  installHostCheck(app, {
    ...(options.bindHost !== undefined ? { bindHost: options.bindHost } : {}),
    ...(options.publicHosts !== undefined ? { publicHosts: options.publicHosts } : {}),
    tls: options.https !== undefined,
    skip: (request) => isSubrequest(ctx, request)
  });
  // Doubles as an org writes them (`100.0`, `1.0E7`): see java-json.ts.
  app.setReplySerializer((payload) => stringifyJavaJson(payload));
  // Composite reads its subrequests' bodies itself: they stay plain.
  installGzip(app, (request) => isSubrequest(ctx, request));

  // Bad JSON is Salesforce's JSON_PARSER_ERROR.
  parseJsonBodies(app, jsonParserError);

  // The org's clock on every answer (HTTP `Date`), as a real org's servers stamp theirs: clients
  // that take "now" from Salesforce (the Finance export's window) see the emulator's clock,
  // advanced by the driver or not.
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('date', ctx.clock.now().toUTCString());
  });

  // An unsupported API version is an unknown resource, before anything else is checked.
  app.addHook('onRequest', async (request) => {
    if (versionInPath(request.url) === undefined) throw notFound();
  });

  const cursors = new QueryCursors(ctx.clock);
  // With persistence, large files are kept next to the records file so they survive restarts.
  const persistPath = ctx.config.persistPath;
  const files = new FileStore({
    ...(persistPath !== undefined ? { dir: `${persistPath}.files` } : {}),
    ...(options.files?.inlineBytes !== undefined ? { inlineBytes: options.files.inlineBytes } : {})
  });
  // A deleted ContentVersion's file goes too (swept shortly after a write, not on every one).
  let sweep: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> = Promise.resolve();
  const changes = ctx.store as Partial<Pick<MemoryRecordStore, 'onChange'>>;
  changes.onChange?.(() => {
    sweep ??= setTimeout(() => {
      sweep = undefined;
      sweeping = sweeping
        .then(() => files.sweep((id) => ctx.store.get('ContentVersion', id) !== undefined))
        .catch(() => undefined);
    }, SWEEP_DELAY_MS);
    sweep.unref();
  });
  app.addHook('onClose', async () => {
    clearTimeout(sweep);
    await sweeping;
    await files.close();
  });
  const resources = collectVersionResources(app);
  await app.register(oauthRoutes, { ctx });
  await app.register(restRoutes, {
    ctx,
    cursors,
    resources,
    files: {
      files,
      ...(options.files?.maxBytes !== undefined ? { maxBytes: options.files.maxBytes } : {})
    }
  });
  await app.register(bulkRoutes, { ctx });
  await app.register(driverRoutes, {
    ctx,
    cursors,
    ...(options.driverSecret !== undefined ? { secret: options.driverSecret } : {})
  });
  return app;
}
