/**
 * HTTP routes of Bulk API 2.0 query jobs under `/services/data/vXX.X/jobs/query` (API 47.0+).
 */
import { pipeline } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { acceptsGzip } from '../http/compression.ts';
import { invalidMaxRecords, jobNotFound, versionMismatch } from './errors.ts';
import { ownJobId, registerJobResourceRoutes, type JobKind, type JobParams } from './job-routes.ts';
import type { QueryJobs } from './query-jobs.ts';
import { requestVersion } from './routing.ts';
import type { UserPermissions } from '../model.ts';

/** Query jobs exist from API version 47.0. */
const QUERY: JobKind = { path: 'query', jobType: 'V2Query', firstVersion: 47 };

function parseMaxRecords(raw: unknown): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw);
  if (!/^[1-9]\d{0,9}$/.test(text)) throw invalidMaxRecords(text);
  return Number(text);
}

export function registerQueryRoutes(
  app: FastifyInstance,
  jobs: QueryJobs,
  permissions: UserPermissions
): void {
  const base = registerJobResourceRoutes(app, QUERY, jobs, permissions);

  app.get<{ Params: JobParams; Querystring: { locator?: string; maxRecords?: string } }>(
    `${base}/:jobId/results`,
    async (request, reply) => {
      const version = requestVersion(request.params.version, QUERY.firstVersion);
      const id = ownJobId(permissions, request, jobs, request.params.jobId);
      const jobVersion = jobs.apiVersionOf(id);
      if (jobVersion === undefined) throw jobNotFound();
      if (jobVersion !== version) throw versionMismatch(jobVersion, version);
      const maxRecords = parseMaxRecords(request.query.maxRecords);
      // An empty `locator=` is the first set, as when the parameter is absent.
      const locator = request.query.locator === '' ? undefined : request.query.locator;
      const set = jobs.results(id, locator, maxRecords);
      if (!set) throw jobNotFound();
      reply
        .header('Sforce-Locator', set.nextLocator)
        .header('Sforce-NumberOfRecords', String(set.numberOfRecords))
        .header('Vary', 'Accept-Encoding')
        .type('text/csv');
      if (acceptsGzip(request)) {
        reply.header('Content-Encoding', 'gzip');
        const gzip = createGzip();
        // A failing or abandoned set tears the compressed stream down with it.
        pipeline(set.body, gzip, (error) => {
          if (error) request.log.warn({ err: error }, 'bulk results stream ended early');
        });
        return reply.send(gzip);
      }
      return reply.send(set.body);
    }
  );
}
