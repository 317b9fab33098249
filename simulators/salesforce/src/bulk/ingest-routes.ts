/**
 * HTTP routes of Bulk API 2.0 ingest jobs under `/services/data/vXX.X/jobs/ingest` (API 41.0+).
 */
import type { FastifyInstance } from 'fastify';
import { SalesforceApiError, type UserPermissions } from '../model.ts';
import { notFound } from '../http/versions.ts';
import { jobNotFound } from './errors.ts';
import type { IngestJobs, IngestResultKind } from './ingest-jobs.ts';
import { ownJobId, registerJobResourceRoutes, type JobKind, type JobParams } from './job-routes.ts';
import { requestVersion, withTrailingSlash } from './routing.ts';

/** Ingest jobs exist from API version 41.0. */
const INGEST: JobKind = { path: 'ingest', jobType: 'V2Ingest', firstVersion: 41 };

const RESULT_KINDS: readonly IngestResultKind[] = [
  'successfulResults',
  'failedResults',
  'unprocessedrecords'
];

export function registerIngestRoutes(
  app: FastifyInstance,
  jobs: IngestJobs,
  permissions: UserPermissions
): void {
  const base = registerJobResourceRoutes(app, INGEST, jobs, permissions);

  withTrailingSlash(`${base}/:jobId/batches`, (path) => {
    app.put<{ Params: JobParams }>(path, async (request, reply) => {
      requestVersion(request.params.version, INGEST.firstVersion);
      // Someone else's job is unknown: its data is not stored.
      const id = ownJobId(permissions, request, jobs, request.params.jobId);
      const body: unknown = request.body;
      // The CSV parser of this plugin hands over a Buffer; JSON or form bodies are not job data.
      if (body !== undefined && body !== null && !Buffer.isBuffer(body)) {
        throw new SalesforceApiError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'Job data must be uploaded with Content-Type: text/csv'
        );
      }
      if (!jobs.upload(id, body ?? Buffer.alloc(0))) {
        throw jobNotFound();
      }
      return reply.code(201).send();
    });
  });

  // Result paths match whatever their case: the guide writes `unprocessedrecords`, clients
  // (and the guide's own examples elsewhere) write `unprocessedRecords`, `failedresults`...
  withTrailingSlash(`${base}/:jobId/:resultKind`, (path) => {
    app.get<{ Params: JobParams & { resultKind: string } }>(path, async (request, reply) => {
      requestVersion(request.params.version, INGEST.firstVersion);
      const wanted = request.params.resultKind.toLowerCase();
      const kind = RESULT_KINDS.find((candidate) => candidate.toLowerCase() === wanted);
      if (kind === undefined) throw notFound();
      const id = ownJobId(permissions, request, jobs, request.params.jobId);
      const csv = jobs.results(id, kind);
      if (csv === undefined) throw jobNotFound();
      return reply.type('text/csv').send(csv);
    });
  });
}
