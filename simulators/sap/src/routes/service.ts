/**
 * The `API_BUSINESS_PARTNER` OData V2 paths. Every request passes, in this order: the request
 * counter, the configured latency, failure injection, basic auth, then CSRF (a GET/HEAD with
 * `x-csrf-token: Fetch` gets a token; POST/PATCH/PUT/DELETE need a valid one). Served:
 *
 * - `GET /` (service document, the usual token fetch), `GET /$metadata`
 * - `GET|POST /A_BusinessPartner` (`$filter` on SearchTerm1, BusinessPartner,
 *   OrganizationBPName1 with `eq`/`and`; `$top`, `$skip`, `$inlinecount`, `$expand`)
 * - `GET|PATCH /A_BusinessPartner('<n>')`, `GET /A_BusinessPartner('<n>')/<navigation>`
 * - `GET|PATCH /A_BusinessPartnerAddress(BusinessPartner='<n>',AddressID='<id>')`,
 *   `GET|POST /A_BusinessPartnerAddress(...)/to_PhoneNumber` and `/to_URLAddress`
 * - `GET|PATCH /A_AddressPhoneNumber(AddressID='<id>',Person='',OrdinalNumber='<k>')` and
 *   `/A_AddressHomePageURL(...)` (same keys; no ETag on these)
 *
 * Data is JSON only: a GET or POST must ask for it (`Accept: application/json` or
 * `$format=json`), otherwise 406 (a real system would answer Atom XML).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate } from '../auth.ts';
import type { SapContext } from '../context.ts';
import { ENTITY_TYPES, SERVICE_PATH } from '../entities.ts';
import { badRequest, notFoundError, SapODataError } from '../errors.ts';
import { checkIfMatch } from '../etag.ts';
import { injectedError } from '../errors.ts';
import { buildMetadata } from '../metadata.ts';
import {
  FULL_EXPAND,
  parseExpand,
  parseResourcePath,
  Serializer,
  type ResourcePath
} from '../odata.ts';
import {
  COMMUNICATION_TYPES,
  communicationsOf,
  type CommunicationKind,
  type StoredPartner
} from '../store.ts';
import type { Json } from '../validation.ts';

const NAVIGATION_KINDS: Record<string, CommunicationKind | undefined> = {
  to_PhoneNumber: 'phone',
  to_URLAddress: 'url'
};

const MODIFYING = new Set(['POST', 'PATCH', 'PUT', 'DELETE', 'MERGE']);

interface SapRequestState {
  user: string;
  path: string;
  query: URLSearchParams;
}

declare module 'fastify' {
  interface FastifyRequest {
    sap?: SapRequestState;
  }
}

/** One request to an entity set, as the routes of the sets take it. */
interface EntityCall {
  request: FastifyRequest;
  reply: FastifyReply;
  sap: SapRequestState;
  method: string;
  resource: ResourcePath;
  serializer: Serializer;
}

/** The decoded path below the service root and the query of a request URL. */
function splitUrl(url: string): { path: string; query: URLSearchParams } {
  const at = url.indexOf('?');
  const rawPath = at < 0 ? url : url.slice(0, at);
  let path = rawPath.slice(SERVICE_PATH.length).replace(/^\/+/, '');
  try {
    path = decodeURIComponent(path);
  } catch {
    throw badRequest(`Invalid URI: ${rawPath}`);
  }
  return { path, query: new URLSearchParams(at < 0 ? '' : url.slice(at + 1)) };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** An OData V2 JSON answer: the payload under `d`, after the given headers (ETag, Location). */
function sendData(reply: FastifyReply, data: unknown, headers: Record<string, string> = {}) {
  return reply.headers(headers).type('application/json; charset=utf-8').send({ d: data });
}

function serviceUrlOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}${SERVICE_PATH}`;
}

function requireJson(request: FastifyRequest, query: URLSearchParams): void {
  if (query.get('$format') === 'json') return;
  if ((header(request, 'accept') ?? '').toLowerCase().includes('json')) return;
  throw new SapODataError(
    406,
    '/IWBEP/CM_MGW_RT/030',
    'The simulator serves JSON only: send Accept: application/json or $format=json'
  );
}

/** `$filter` as the simulator understands it: `Prop eq 'value'` joined by `and`. */
function filterOf(text: string | null): (values: Json) => boolean {
  if (!text) return () => true;
  const allowed = [
    'SearchTerm1',
    'BusinessPartner',
    'OrganizationBPName1',
    'BusinessPartnerIsBlocked'
  ];
  const tests = text.split(/\s+and\s+/i).map((clause) => {
    const match = /^\s*(\w+)\s+eq\s+(?:'((?:[^']|'')*)'|(true|false))\s*$/.exec(clause);
    if (!match?.[1] || !allowed.includes(match[1])) {
      throw new SapODataError(
        501,
        '/IWBEP/CM_MGW_RT/059',
        `$filter '${clause.trim()}' is not supported by the simulator (only ${allowed.join(', ')} with eq, joined by and)`
      );
    }
    const name = match[1];
    const expected =
      match[3] !== undefined ? match[3] === 'true' : (match[2] ?? '').replaceAll("''", "'");
    return (values: Json) => values[name] === expected;
  });
  return (values) => tests.every((test) => test(values));
}

function nonNegative(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw)) throw badRequest(`Invalid value '${raw}' for ${name}`);
  return Number(raw);
}

function notImplemented(what: string): SapODataError {
  return new SapODataError(
    501,
    '/IWBEP/CM_MGW_RT/021',
    `${what} is not implemented in the simulator`
  );
}

export async function serviceRoutes(
  app: FastifyInstance,
  options: { ctx: SapContext }
): Promise<void> {
  const { ctx } = options;

  app.addHook('onRequest', async (request, reply) => {
    const { path, query } = splitUrl(request.url);
    const method = request.method.toUpperCase();
    ctx.requests.count(method, path);
    await ctx.faults.delay();
    const failure = ctx.faults.pick(method, path);
    if (failure !== undefined) {
      ctx.requests.injected();
      if (failure !== 'timeout') throw injectedError(failure);
      const closed = await ctx.faults.hold();
      if (closed) {
        reply.hijack();
        reply.raw.destroy();
        return reply;
      }
      throw new SapODataError(504, '/IWFND/CM_BEC/026', 'Gateway timeout (simulated failure)');
    }
    const user = authenticate(header(request, 'authorization'), ctx.credentials);
    request.sap = { user, path, query };

    const csrfHeader = header(request, 'x-csrf-token');
    if (MODIFYING.has(method)) {
      if (!ctx.csrf.validate(header(request, 'cookie'), csrfHeader, user)) {
        return reply
          .code(403)
          .header('x-csrf-token', 'Required')
          .type('text/plain; charset=utf-8')
          .send('CSRF token validation failed');
      }
    } else if (csrfHeader?.toLowerCase() === 'fetch') {
      ctx.requests.csrfFetch();
      const fetched = ctx.csrf.fetch(header(request, 'cookie'), user);
      reply.header('x-csrf-token', fetched.token);
      if (fetched.cookies.length > 0) reply.header('set-cookie', fetched.cookies);
    }
    reply.header('dataserviceversion', '2.0');
  });

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const sap = request.sap;
    if (!sap) throw new Error('SAP request state missing');
    const method = request.method.toUpperCase();
    const serializer = new Serializer(serviceUrlOf(request));

    if (sap.path === '' || sap.path === '/') {
      if (method !== 'GET' && method !== 'HEAD')
        throw notImplemented(`${method} on the service root`);
      return sendData(reply, { EntitySets: Object.values(ENTITY_TYPES).map((t) => t.set) });
    }
    if (sap.path === '$metadata') {
      return reply.type('application/xml; charset=utf-8').send(buildMetadata());
    }
    const resource = parseResourcePath(sap.path);
    if (!resource) throw notFoundError(sap.path);
    const call: EntityCall = { request, reply, sap, method, resource, serializer };

    switch (resource.set) {
      case 'A_BusinessPartner':
        return partnerRoute(call);
      case 'A_BusinessPartnerAddress':
        return addressRoute(call);
      case 'A_AddressPhoneNumber':
        return communicationRoute(call, 'phone');
      case 'A_AddressHomePageURL':
        return communicationRoute(call, 'url');
      default:
        if (Object.values(ENTITY_TYPES).some((t) => t.set === resource.set)) {
          throw notImplemented(`Entity set ${resource.set}`);
        }
        throw notFoundError(resource.set);
    }
  };

  function findPartner(number: string | undefined): StoredPartner {
    const partner = number === undefined ? undefined : ctx.store.get(number);
    if (!partner) throw notFoundError(`A_BusinessPartner('${number ?? ''}')`);
    return partner;
  }

  function partnerRoute({ request, reply, sap, method, resource, serializer }: EntityCall) {
    const expand = parseExpand(sap.query.get('$expand') ?? undefined);

    if (!resource.keys) {
      if (resource.navigation) throw notFoundError(sap.path);
      if (method === 'POST') {
        requireJson(request, sap.query);
        const partner = ctx.store.create(request.body, sap.user);
        const entity = serializer.partner(partner, FULL_EXPAND);
        return sendData(reply.code(201), entity, {
          etag: partner.etag,
          location: serializer.uri('A_BusinessPartnerType', partner.values)
        });
      }
      if (method !== 'GET') throw notImplemented(`${method} on A_BusinessPartner`);
      requireJson(request, sap.query);
      const matches = ctx.store.list().filter((p) => filterOf(sap.query.get('$filter'))(p.values));
      const skip = nonNegative(sap.query, '$skip') ?? 0;
      const top = nonNegative(sap.query, '$top');
      const page = matches.slice(skip, top === undefined ? undefined : skip + top);
      return sendData(reply, {
        ...(sap.query.get('$inlinecount') === 'allpages'
          ? { __count: String(matches.length) }
          : {}),
        results: page.map((p) => serializer.partner(p, expand))
      });
    }

    const number = resource.keys[''] ?? resource.keys.BusinessPartner;
    const partner = findPartner(number);
    if (resource.navigation) {
      if (method !== 'GET') throw notImplemented(`${method} on ${resource.navigation}`);
      requireJson(request, sap.query);
      const full = serializer.partner(partner, new Map([[resource.navigation, expand]]));
      const nav = full[resource.navigation] as { results?: unknown } | undefined;
      if (!nav || !('results' in nav)) throw notFoundError(resource.navigation);
      return sendData(reply, { results: nav.results });
    }
    if (method === 'GET') {
      requireJson(request, sap.query);
      return sendData(reply, serializer.partner(partner, expand), { etag: partner.etag });
    }
    if (method === 'PATCH') {
      checkIfMatch(header(request, 'if-match'), partner.etag);
      ctx.store.update(partner, request.body, sap.user);
      return reply.code(204).header('etag', partner.etag).send();
    }
    if (method === 'DELETE') {
      throw notImplemented(
        'Deleting a business partner (API_BUSINESS_PARTNER does not delete; set BusinessPartnerIsBlocked or IsMarkedForArchiving)'
      );
    }
    throw notImplemented(`${method} on A_BusinessPartner`);
  }

  function addressRoute({ request, reply, sap, method, resource, serializer }: EntityCall) {
    if (!resource.keys) throw notImplemented(`${method} ${sap.path}`);
    const { BusinessPartner: number, AddressID: addressId } = resource.keys;
    const address =
      number !== undefined && addressId !== undefined
        ? ctx.store.getAddress(number, addressId)
        : undefined;
    if (!address) throw notFoundError(sap.path);
    if (resource.navigation) {
      const kind = NAVIGATION_KINDS[resource.navigation];
      if (!kind) throw notFoundError(resource.navigation);
      const type = COMMUNICATION_TYPES[kind];
      if (method === 'POST') {
        requireJson(request, sap.query);
        const row = ctx.store.addCommunication(address, kind, request.body);
        return sendData(reply.code(201), serializer.communication(type, row), {
          location: serializer.uri(type, row)
        });
      }
      if (method !== 'GET') throw notImplemented(`${method} on ${resource.navigation}`);
      requireJson(request, sap.query);
      const rows = communicationsOf(address, kind);
      return sendData(reply, { results: rows.map((row) => serializer.communication(type, row)) });
    }
    if (method === 'GET') {
      requireJson(request, sap.query);
      const expand = parseExpand(sap.query.get('$expand') ?? undefined);
      return sendData(reply, serializer.address(address, expand), { etag: address.etag });
    }
    if (method === 'PATCH') {
      // Real responses show addresses without an ETag in __metadata, so clients may not have
      // one: If-Match is optional here and checked only when sent.
      checkIfMatch(header(request, 'if-match'), address.etag, false);
      ctx.store.updateAddress(address, request.body);
      return reply.code(204).header('etag', address.etag).send();
    }
    throw notImplemented(`${method} on A_BusinessPartnerAddress`);
  }

  function communicationRoute(
    { request, reply, sap, method, resource, serializer }: EntityCall,
    kind: CommunicationKind
  ) {
    const type = COMMUNICATION_TYPES[kind];
    if (!resource.keys || resource.navigation) throw notImplemented(`${method} ${sap.path}`);
    const { AddressID: addressId, Person: person, OrdinalNumber: ordinal } = resource.keys;
    const address = addressId === undefined ? undefined : ctx.store.findAddress(addressId);
    const row = (address && communicationsOf(address, kind))?.find(
      (r) => r.Person === (person ?? '') && r.OrdinalNumber === ordinal
    );
    if (!row) throw notFoundError(sap.path);
    if (method === 'GET') {
      requireJson(request, sap.query);
      return sendData(reply, serializer.communication(type, row));
    }
    if (method === 'PATCH') {
      ctx.store.updateCommunication(row, kind, request.body);
      return reply.code(204).send();
    }
    throw notImplemented(`${method} on ${ENTITY_TYPES[type].set}`);
  }

  // HEAD comes with GET (fastify exposes HEAD routes for GET ones).
  const methods = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] as const;
  app.route({ method: [...methods], url: SERVICE_PATH, handler: handle });
  app.route({ method: [...methods], url: `${SERVICE_PATH}/*`, handler: handle });
}
