/**
 * Starts the SAP simulator for a test on a free port and gives a small OData client: basic
 * auth, a CSRF token fetch that keeps the session cookies, and JSON in and out. Always
 * `await sim.close()` (e.g. in `after`).
 */
import {
  startSapSimulator,
  type RunningSapSimulator,
  type SapSimulatorOptions
} from '../../src/server.ts';

export interface SapResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON, or undefined when empty. */
  body: unknown;
}

export interface TestSap extends RunningSapSimulator {
  authorization: string;
  /** `GET <service root>` with `x-csrf-token: Fetch`; stores token and cookies. */
  fetchToken(): Promise<string>;
  /** A call below the service root with auth, Accept JSON, and the stored token and cookies. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>
  ): Promise<SapResponse>;
  /**
   * A `/__sim/` control call, with the driver secret when the simulator has one (`headers`
   * can replace its `authorization`).
   */
  sim(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>
  ): Promise<SapResponse>;
  /** A valid deep-insert body for an organization. */
  partnerBody(overrides?: Record<string, unknown>): Record<string, unknown>;
}

async function read(response: Response): Promise<SapResponse> {
  const text = await response.text();
  let body: unknown = text === '' ? undefined : text;
  try {
    if (text !== '') body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, headers: response.headers, body };
}

export async function startTestSap(options: SapSimulatorOptions = {}): Promise<TestSap> {
  const sim = await startSapSimulator({ port: 0, ...options });
  const authorization = `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString('base64')}`;
  let token = '';
  let cookie = '';

  const result: TestSap = {
    ...sim,
    authorization,
    async fetchToken() {
      const response = await fetch(`${sim.serviceUrl}/`, {
        headers: { authorization, 'x-csrf-token': 'Fetch', accept: 'application/json', cookie }
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`token fetch: ${response.status}`);
      token = response.headers.get('x-csrf-token') ?? '';
      const fresh = response.headers.getSetCookie().map((c) => c.split(';')[0] ?? '');
      if (fresh.length > 0) cookie = fresh.join('; ');
      return token;
    },
    async call(method, path, body, headers = {}) {
      const response = await fetch(`${sim.serviceUrl}/${path.replace(/^\/+/, '')}`, {
        method,
        headers: {
          authorization,
          accept: 'application/json',
          ...(token ? { 'x-csrf-token': token } : {}),
          ...(cookie ? { cookie } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers
        },
        ...(body === undefined
          ? {}
          : { body: typeof body === 'string' ? body : JSON.stringify(body) })
      });
      return read(response);
    },
    async sim(method, path, body, headers = {}) {
      const response = await fetch(`${sim.url}/__sim/${path.replace(/^\/+/, '')}`, {
        method,
        headers: {
          ...(sim.driverSecret === undefined
            ? {}
            : { authorization: `Bearer ${sim.driverSecret}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      });
      return read(response);
    },
    partnerBody(overrides = {}) {
      return {
        BusinessPartnerCategory: '2',
        OrganizationBPName1: 'Acme Industrial GmbH',
        SearchTerm1: 'ACME',
        to_BusinessPartnerAddress: {
          results: [
            {
              Country: 'DE',
              CityName: 'Berlin',
              StreetName: 'Unter den Linden',
              PostalCode: '10117',
              Region: 'BE',
              to_PhoneNumber: { results: [{ PhoneNumber: '+49 30 1234567' }] },
              to_URLAddress: { results: [{ WebsiteURL: 'https://acme.example' }] }
            }
          ]
        },
        to_BusinessPartnerTax: { results: [{ BPTaxType: 'DE0', BPTaxNumber: 'DE123456789' }] },
        to_BusinessPartnerRole: { results: [{ BusinessPartnerRole: 'FLCU01' }] },
        ...overrides
      };
    }
  };
  return result;
}

/** `d` of an OData V2 JSON answer. */
export function d(response: SapResponse): Record<string, unknown> {
  return (response.body as { d: Record<string, unknown> }).d;
}

/** `error` of an SAP OData V2 error answer. */
export function sapError(response: SapResponse): {
  code: string;
  message: { lang: string; value: string };
  innererror: {
    errordetails: Array<{ code: string; message: string; propertyref: string; severity: string }>;
  };
} {
  return (response.body as { error: ReturnType<typeof sapError> }).error;
}
