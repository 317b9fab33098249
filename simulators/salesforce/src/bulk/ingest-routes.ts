/**
 * HTTP routes of Bulk API 2.0 ingest jobs under `/services/data/vXX.X/jobs/ingest` (API 41.0+).
 */
import type { FastifyInstance } from 'fastify';
import { SalesforceApiError } from '../model.ts';
import { jobNotFound } from './errors.ts';
import type { IngestJobs, IngestResultKind } from './ingest-jobs.ts';
import { pageOfJobs } from './job-state.ts';
import { jobIdParam, principalOf, requestVersion, sendJob, withTrailingSlash } from './routing.ts';

/** Ingest jobs exist from API version 41.0. */
const FIRST_INGEST_VERSION = 41;

interface JobParams {
  version: string;
  jobId: string;
}

const RESULT_KINDS: readonly IngestResultKind[] = [
  'successfulResults',
  'failedResults',
  'unprocessedrecords'
];

export function registerIngestRoutes(app: FastifyInstance, jobs: IngestJobs): void {
  const base = '/services/data/v:version/jobs/ingest';

  withTrailingSlash(base, (path) => {
    app.post<{ Params: { version: string } }>(path, async (request, reply) => {
      const version = requestVersion(request.params.version, FIRST_INGEST_VERSION);
      return sendJob(reply, jobs.create(request.body, version, principalOf(request)));
    });

    app.get<{
      Params: { version: string };
      Querystring: { queryLocator?: string; jobType?: string };
    }>(path, async (request, reply) => {
      const version = requestVersion(request.params.version, FIRST_INGEST_VERSION);
      const { jobType, queryLocator } = request.query;
      const all = jobType === undefined || jobType === 'V2Ingest' ? jobs.list() : [];
      return sendJob(
        reply,
        pageOfJobs(all, queryLocator, `/services/data/v${version}/jobs/ingest`)
      );
    });
  });

  app.get<{ Params: JobParams }>(`${base}/:jobId`, async (request, reply) => {
    requestVersion(request.params.version, FIRST_INGEST_VERSION);
    const info = jobs.info(jobIdParam(request.params.jobId));
    if (!info) throw jobNotFound();
    return sendJob(reply, info);
  });

  app.patch<{ Params: JobParams }>(`${base}/:jobId`, async (request, reply) => {
    requestVersion(request.params.version, FIRST_INGEST_VERSION);
    const info = jobs.patch(jobIdParam(request.params.jobId), request.body);
    if (!info) throw jobNotFound();
    return sendJob(reply, info);
  });

  app.delete<{ Params: JobParams }>(`${base}/:jobId`, async (request, reply) => {
    requestVersion(request.params.version, FIRST_INGEST_VERSION);
    if (!jobs.delete(jobIdParam(request.params.jobId))) throw jobNotFound();
    return reply.code(204).send();
  });

  withTrailingSlash(`${base}/:jobId/batches`, (path) => {
    app.put<{ Params: JobParams }>(path, async (request, reply) => {
      requestVersion(request.params.version, FIRST_INGEST_VERSION);
      const body: unknown = request.body;
      // The CSV parser of this plugin hands over a Buffer; JSON or form bodies are not job data.
      if (body !== undefined && body !== null && !Buffer.isBuffer(body)) {
        throw new SalesforceApiError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'Job data must be uploaded with Content-Type: text/csv'
        );
      }
      if (!jobs.upload(jobIdParam(request.params.jobId), body ?? Buffer.alloc(0))) {
        throw jobNotFound();
      }
      return reply.code(201).send();
    });
  });

  for (const kind of RESULT_KINDS) {
    withTrailingSlash(`${base}/:jobId/${kind}`, (path) => {
      app.get<{ Params: JobParams }>(path, async (request, reply) => {
        requestVersion(request.params.version, FIRST_INGEST_VERSION);
        const csv = jobs.results(jobIdParam(request.params.jobId), kind);
        if (csv === undefined) throw jobNotFound();
        return reply.type('text/csv').send(csv);
      });
    });
  }
}
