/**
 * HTTP routes of Bulk API 2.0 query jobs under `/services/data/vXX.X/jobs/query` (API 47.0+).
 */
import { pipeline, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { constants, createGzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { SalesforceApiError } from '../model.ts';
import { acceptsGzip } from '../http/compression.ts';
import { invalidMaxRecords, jobNotFound, versionMismatch } from './errors.ts';
import { ownJobId, registerJobResourceRoutes, type JobKind, type JobParams } from './job-routes.ts';
import type { BulkFaults } from './faults.ts';
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

/** A 5xx the driver armed for a results request (faults.ts), in Salesforce's error shape. */
function serverFault(status: number): SalesforceApiError {
  return status === 503
    ? new SalesforceApiError(503, 'SERVER_UNAVAILABLE', 'Service temporarily unavailable')
    : new SalesforceApiError(
        status,
        'UNKNOWN_EXCEPTION',
        'An unexpected error occurred. Please include this ErrorId if you contact support.'
      );
}

/**
 * The first `limit` bytes of a set, then the connection is dropped (a driver fault): the client
 * sees a response cut short, as when a proxy or the network fails mid-download.
 */
function cutShort(body: Readable, limit: number, reply: FastifyReply): Readable {
  return Readable.from(
    (async function* () {
      let sent = 0;
      for await (const chunk of body) {
        const bytes = Buffer.from(chunk as string);
        const room = limit - sent;
        if (bytes.length >= room) {
          if (room > 0) yield bytes.subarray(0, room);
          break;
        }
        sent += bytes.length;
        yield bytes;
      }
      body.destroy();
      // Let the bytes leave before the socket goes.
      await sleep(50);
      reply.raw.destroy();
    })()
  );
}

export function registerQueryRoutes(
  app: FastifyInstance,
  jobs: QueryJobs,
  permissions: UserPermissions,
  faults: BulkFaults
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
      const fault = faults.takeResults();
      if (fault?.kind === 'status') throw serverFault(fault.status);
      const set = jobs.results(id, locator, maxRecords);
      if (!set) throw jobNotFound();
      const body = fault?.kind === 'drop' ? cutShort(set.body, fault.afterBytes, reply) : set.body;
      reply
        .header('Sforce-Locator', set.nextLocator)
        .header('Sforce-NumberOfRecords', String(set.numberOfRecords))
        .header('Vary', 'Accept-Encoding')
        .type('text/csv');
      if (acceptsGzip(request)) {
        reply.header('Content-Encoding', 'gzip');
        // A cut-short set flushes every chunk, so its first bytes do reach the client.
        const gzip = createGzip(fault ? { flush: constants.Z_SYNC_FLUSH } : {});
        // A failing or abandoned set tears the compressed stream down with it.
        pipeline(body, gzip, (error) => {
          if (error) request.log.warn({ err: error }, 'bulk results stream ended early');
        });
        return reply.send(gzip);
      }
      return reply.send(body);
    }
  );
}
