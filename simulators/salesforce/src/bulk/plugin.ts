/**
 * Bulk API 2.0 for the org emulator: query jobs (`/services/data/vXX.X/jobs/query`) and ingest
 * jobs (`/services/data/vXX.X/jobs/ingest`), each request authenticated with a bearer token and
 * counted as one API call, as in a real org.
 *
 * Register it without a prefix (its routes carry the full paths):
 * `app.register(bulkRoutes, { ctx })`. The optional settings slow the job state machine down or
 * shrink result sets, for tests that need to observe InProgress or many locators.
 */
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import type { EmulatorContext } from '../model.ts';
import { authenticate } from '../http/auth.ts';
import { handleError, sendApiError } from '../http/errors.ts';
import { uploadTooLarge } from './errors.ts';
import { bulkFaultsOf } from './faults.ts';
import { DEFAULT_INGEST_JOB_SETTINGS, IngestJobs, type IngestJobSettings } from './ingest-jobs.ts';
import { registerIngestRoutes } from './ingest-routes.ts';
import { JobIds } from './job-state.ts';
import { DEFAULT_QUERY_JOB_SETTINGS, QueryJobs, type QueryJobSettings } from './query-jobs.ts';
import { registerQueryRoutes } from './query-routes.ts';

export interface BulkRoutesOptions extends BulkSettings {
  ctx: EmulatorContext;
}

export interface BulkSettings {
  query?: Partial<QueryJobSettings>;
  ingest?: Partial<IngestJobSettings>;
}

interface Registration {
  clear(): void;
  configure(settings: BulkSettings): void;
}

/** The bulk routes registered for each emulator context (normally one). */
const registrations = new WeakMap<EmulatorContext, Set<Registration>>();

/** Forgets every bulk job of the emulator (for the test driver's reset). */
export function resetBulkJobs(ctx: EmulatorContext): void {
  for (const registration of registrations.get(ctx) ?? []) registration.clear();
  bulkFaultsOf(ctx).clear();
}

/**
 * Changes the job settings of a running emulator (tests that need small result sets or a
 * slower state machine from the whole emulator). Applies to requests from now on.
 */
export function configureBulkJobs(ctx: EmulatorContext, settings: BulkSettings): void {
  for (const registration of registrations.get(ctx) ?? []) registration.configure(settings);
}

export const bulkRoutes: FastifyPluginAsync<BulkRoutesOptions> = async (app, options) => {
  const { ctx } = options;
  const ids = new JobIds();
  // Live objects: configureBulkJobs changes them in place.
  const querySettings: QueryJobSettings = { ...DEFAULT_QUERY_JOB_SETTINGS, ...options.query };
  const ingestSettings: IngestJobSettings = { ...DEFAULT_INGEST_JOB_SETTINGS, ...options.ingest };
  const queryJobs = new QueryJobs(ctx, ids, querySettings, (jobId, error) =>
    app.log.error({ err: error, jobId }, 'bulk query job failed')
  );
  const ingestJobs = new IngestJobs(ctx, ids, ingestSettings);

  const registration: Registration = {
    clear() {
      queryJobs.clear();
      ingestJobs.clear();
    },
    configure(settings) {
      Object.assign(querySettings, settings.query);
      Object.assign(ingestSettings, settings.ingest);
    }
  };
  const registered = registrations.get(ctx) ?? new Set();
  registrations.set(ctx, registered);
  registered.add(registration);
  app.addHook('onClose', async () => {
    registration.clear();
    registered.delete(registration);
  });

  // Scoped to this plugin: the same Salesforce error shapes whoever registers it, and the
  // upload limit explained.
  app.setErrorHandler((error: FastifyError, request, reply) =>
    error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
      ? sendApiError(reply, uploadTooLarge())
      : handleError(error, request, reply)
  );
  // A bad token is refused before the body is read, as Salesforce does.
  app.addHook('onRequest', authenticate(ctx, 'bulk'));
  // Job data: raw CSV bytes up to the documented 150 MB of base64 (about 112 MB of CSV).
  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'buffer', bodyLimit: ingestSettings.maxUploadBytes },
    (_request, body, done) => done(null, body)
  );

  registerQueryRoutes(app, queryJobs, ctx.permissions, bulkFaultsOf(ctx));
  registerIngestRoutes(app, ingestJobs, ctx.permissions);
};
