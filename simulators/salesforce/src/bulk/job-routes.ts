/**
 * The job resource routes that ingest and query jobs have alike: create and list at
 * `/services/data/vXX.X/jobs/{kind}`, info, state change and delete at `.../jobs/{kind}/{jobId}`.
 * What differs (uploads, results) stays with each kind's routes.
 */
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../model.ts';
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

/** Registers the job resource routes of one kind; returns the base path for the kind's others. */
export function registerJobResourceRoutes(
  app: FastifyInstance,
  kind: JobKind,
  jobs: JobResource
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
      const all = jobType === undefined || jobType === kind.jobType ? jobs.list() : [];
      const page = pageOfJobs(all, queryLocator, `/services/data/v${version}/jobs/${kind.path}`);
      return sendJob(reply, page);
    });
  });

  app.get<{ Params: JobParams }>(`${base}/:jobId`, async (request, reply) => {
    requestVersion(request.params.version, kind.firstVersion);
    const info = jobs.info(jobIdParam(request.params.jobId));
    if (!info) throw jobNotFound();
    return sendJob(reply, info);
  });

  app.patch<{ Params: JobParams }>(`${base}/:jobId`, async (request, reply) => {
    requestVersion(request.params.version, kind.firstVersion);
    const info = jobs.patch(jobIdParam(request.params.jobId), request.body);
    if (!info) throw jobNotFound();
    return sendJob(reply, info);
  });

  app.delete<{ Params: JobParams }>(`${base}/:jobId`, async (request, reply) => {
    requestVersion(request.params.version, kind.firstVersion);
    if (!jobs.delete(jobIdParam(request.params.jobId))) throw jobNotFound();
    return reply.code(204).send();
  });

  return base;
}
