/**
 * REST API versions the emulator answers (v31.0..v66.0, as a current org does) and the two
 * version resources: `GET /services/data` (every version, no authentication needed, as in a
 * real org) and `GET /services/data/vXX.X` (the resources of one version).
 */
import type { FastifyInstance } from 'fastify';
import { SalesforceApiError } from '../model.ts';

export const MIN_API_VERSION = 31;
export const MAX_API_VERSION = 66;
export const DEFAULT_API_VERSION = '65.0';

const SEASONS = ['Summer', 'Winter', 'Spring'] as const;

/** The release name of a major version: v31 was Summer '14, then three releases a year. */
export function releaseLabel(major: number): string {
  const index = major - MIN_API_VERSION;
  const season = SEASONS[index % 3] ?? 'Summer';
  const year = 14 + Math.floor((index + 2) / 3);
  return `${season} '${String(year).padStart(2, '0')}`;
}

/** `{label, url, version}` for every supported version, oldest first (the real order). */
export function listVersions(): Array<{ label: string; url: string; version: string }> {
  const versions = [];
  for (let major = MIN_API_VERSION; major <= MAX_API_VERSION; major++) {
    const version = `${major}.0`;
    versions.push({ label: releaseLabel(major), url: `/services/data/v${version}`, version });
  }
  return versions;
}

/**
 * `65.0` when the URL segment (without its `v`) names a supported version, else undefined.
 * Salesforce only knows `NN.0`.
 */
export function parseApiVersion(raw: string): string | undefined {
  const match = /^(\d{2})\.0$/.exec(raw);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major >= MIN_API_VERSION && major <= MAX_API_VERSION ? raw : undefined;
}

export function versionMajor(version: string): number {
  return Number.parseInt(version, 10);
}

/** What Salesforce answers for any path it does not serve, unsupported versions included. */
export function notFound(): SalesforceApiError {
  return new SalesforceApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}

/** The version of a `/services/data/vXX.X/...` or `/services/async/XX.X/...` URL, if any. */
export function versionInPath(url: string): string | undefined | null {
  const match = /^\/services\/(?:data\/v|async\/)([^/?#]+)/.exec(url.replace(/\/{2,}/g, '/'));
  if (!match) return null;
  return parseApiVersion(match[1] ?? '');
}

/**
 * Collects, as routes are registered on `app` (call it before registering them), the resources
 * the emulator serves under `/services/data/vXX.X/`: the first path segment of each route.
 */
export function collectVersionResources(app: FastifyInstance): ReadonlySet<string> {
  const served = new Set<string>();
  app.addHook('onRoute', (route) => {
    const match = /^\/services\/data\/v:version\/([A-Za-z]+)/.exec(route.url);
    if (match?.[1] !== undefined) served.add(match[1]);
  });
  return served;
}

/**
 * The resources of one version (`GET /services/data/vXX.X`): what the emulator serves (a real
 * org lists more, such as tooling or search, that answer here 404), and `identity` (jsforce
 * reads it).
 */
export function versionResources(
  version: string,
  identityUrl: string,
  served: Iterable<string>
): Record<string, string> {
  const resources: Record<string, string> = {};
  for (const name of served) resources[name] = `/services/data/v${version}/${name}`;
  resources.identity = identityUrl;
  return resources;
}
