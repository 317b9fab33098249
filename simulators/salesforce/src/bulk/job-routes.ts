/**
 * The job resource routes that ingest and query jobs have alike: create and list at
 * `/services/data/vXX.X/jobs/{kind}`, info, state change and delete at `.../jobs/{kind}/{jobId}`.
 * What differs (uploads, results) stays with each kind's routes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { normalizeId } from '../ids.ts';
import type { Principal, UserPermissions } from '../model.ts';
import { jobNotFound } from './errors.ts';
import { pageOfJobs } from './job-state.ts';
import { jobIdParam, principalOf, requestVersion, sendJob, withTrailingSlash } from './routing.ts';

export interface JobParams {
  version: string;
  jobId: string;
}

/** The jobs of one kind, as these routes use them: an unknown id answers undefined or false. */
export interface JobResource {
  create(body: unknown, apiVersion: string, by: Principal): Record<string, unknown>;
  list(): Array<Record<string, unknown>>;
  /** Who created the job (its `createdById`), or undefined for an unknown job. */
  creatorOf(id: string): string | undefined;
  info(id: string): Record<string, unknown> | undefined;
  patch(id: string, body: unknown): Record<string, unknown> | undefined;
  delete(id: string): boolean;
}

export interface JobKind {
  /** The path segment: `ingest` or `query`. */
  path: 'ingest' | 'query';
  /** The `jobType` its jobs report (and the job list filters on). */
  jobType: 'V2Ingest' | 'V2Query';
  /** The API version (major) the resource appeared in. */
  firstVersion: number;
}

function sameUser(a: unknown, b: string): boolean {
  return typeof a === 'string' && (normalizeId(a) ?? a) === (normalizeId(b) ?? b);
}

/**
 * A job is its creator's: another user sees and reaches it only with "Modify All Data" (a real
 * org also lets "Manage Data Integrations" in; the emulator keeps to the one permission). To
 * anyone else a job that is not theirs does not exist: 404 NOT_FOUND, as for an unknown id.
 */
export function mayUseJob(
  permissions: UserPermissions,
  by: Principal,
  createdById: unknown
): boolean {
  return sameUser(createdById, by.userId) || permissions.modifyAllData(by);
}

/** The job id of a URL, once the caller may use that job; else the unknown job's 404. */
export function ownJobId(
  permissions: UserPermissions,
  request: FastifyRequest,
  jobs: Pick<JobResource, 'creatorOf'>,
  raw: string
): string {
  const id = jobIdParam(raw);
  const creator = jobs.creatorOf(id);
  if (creator === undefined || !mayUseJob(permissions, principalOf(request), creator)) {
    throw jobNotFound();
  }
  return id;
}

/** Registers the job resource routes of one kind; returns the base path for the kind's others. */
export function registerJobResourceRoutes(
  app: FastifyInstance,
  kind: JobKind,
  jobs: JobResource,
  permissions: UserPermissions
): string {
  const base = `/services/data/v:version/jobs/${kind.path}`;

  withTrailingSlash(base, (path) => {
    app.post<{ Params: { version: string } }>(path, async (request, reply) => {
      const version = requestVersion(request.params.version, kind.firstVersion);
      return sendJob(reply, jobs.create(request.body, version, principalOf(request)));
    });

    app.get<{
      Params: { version: string };
      Querystring: { queryLocator?: string; jobType?: string };
    }>(path, async (request, reply) => {
      const version = requestVersion(request.params.version, kind.firstVersion);
      const { jobType, queryLocator } = request.query;
      // Only Bulk API 2.0 jobs of this kind live here; a filter on another job type finds none.
      const by = principalOf(request);
      const all =
        jobType === undefined || jobType === kind.jobType
          ? jobs.list().filter((job) => mayUseJob(permissions, by, job.createdById))
          : [];
      const page = pageOfJobs(all, queryLocator, `/services/data/v${version}/jobs/${kind.path}`);
      return sendJob(reply, page);
    });
  });

  app.get<{ Params: JobParams }>(`${base}/:jobId`, async (request, reply) => {
    requestVersion(request.params.version, kind.firstVersion);
    const info = jobs.info(ownJobId(permissions, request, jobs, request.params.jobId));
    if (!info) throw jobNotFound();
    return sendJob(reply, info);
  });

  app.patch<{ Params: JobParams }>(`${base}/:jobId`, async (request, reply) => {
    requestVersion(request.params.version, kind.firstVersion);
    const info = jobs.patch(
      ownJobId(permissions, request, jobs, request.params.jobId),
      request.body
    );
    if (!info) throw jobNotFound();
    return sendJob(reply, info);
  });

  app.delete<{ Params: JobParams }>(`${base}/:jobId`, async (request, reply) => {
    requestVersion(request.params.version, kind.firstVersion);
    if (!jobs.delete(ownJobId(permissions, request, jobs, request.params.jobId)))
      throw jobNotFound();
    return reply.code(204).send();
  });

  return base;
}
