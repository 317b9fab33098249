/**
 * Small routing helpers shared by the query and ingest routes.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../model.ts';
import { notFound, parseApiVersion } from '../http/versions.ts';
import { jobNotFound } from './errors.ts';
import { JobIds, jobJson } from './job-state.ts';

/**
 * The `XX.X` of a `/services/data/vXX.X/jobs/...` URL. Unsupported versions, and versions older
 * than the resource (ingest jobs 41.0, query jobs 47.0), answer like any unknown resource.
 */
export function requestVersion(raw: string, firstMajor: number): string {
  const version = parseApiVersion(raw);
  if (version === undefined || Number.parseInt(version, 10) < firstMajor) throw notFound();
  return version;
}

/**
 * Registers `path` and, where the app does not already ignore trailing slashes, `path/` too:
 * the documentation writes several Bulk API 2.0 URLs with a trailing slash
 * (`/jobs/ingest/`, `.../successfulResults/`) and clients use both forms.
 */
export function withTrailingSlash(path: string, register: (path: string) => void): void {
  register(path);
  try {
    register(`${path}/`);
  } catch (error) {
    // The router already treats `path/` as `path` (ignoreTrailingSlash).
    if (!(error instanceof Error) || !/already declared/i.test(error.message)) throw error;
  }
}

/** Who is calling: set by the authentication hook that guards every bulk route. */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.session?.principal;
  if (!principal) throw new Error('bulk routes reached without an authenticated session');
  return principal;
}

/** The job id of a URL in its 18-character form; anything that is not a job id is unknown. */
export function jobIdParam(raw: string): string {
  const id = JobIds.normalize(raw);
  if (id === undefined) throw jobNotFound();
  return id;
}

/** Job info (or a job list) as JSON, with Salesforce's `apiVersion` spelling. */
export function sendJob(reply: FastifyReply, info: object): FastifyReply {
  return reply.type('application/json;charset=UTF-8').send(jobJson(info));
}
