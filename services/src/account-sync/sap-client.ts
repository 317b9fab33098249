// OData V2 client for SAP S/4HANA API_BUSINESS_PARTNER on fetch: basic auth, CSRF token + session
// cookies (fetched once, refetched and the request retried once on `403 x-csrf-token: Required`),
// ETag/If-Match updates (412 -> fresh GET and one retry), timeouts, and errors classified as
// transient (5xx, 429, 408, 401/403, timeouts, network) or permanent (other 4xx: SAP's message).
import type { BusinessPartnerPayload } from './mapping.ts';

export const SERVICE_PATH = '/sap/opu/odata/sap/API_BUSINESS_PARTNER';

export class SapError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly transient: boolean,
    readonly code?: string
  ) {
    super(message);
    this.name = 'SapError';
  }
}

export function isTransientSapError(error: unknown): boolean {
  if (error instanceof SapError) return error.transient;
  return !(error as { permanent?: boolean } | undefined)?.permanent;
}

export interface SapClientOptions {
  baseUrl: string;
  username: string;
  password: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface BusinessPartnerRef {
  businessPartner: string;
  etag?: string | undefined;
  addressId?: string | undefined;
  addressEtag?: string | undefined;
  blocked?: boolean | undefined;
  data: Record<string, unknown>;
}

interface SapResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

function sapMessage(body: unknown, status: number): { message: string; code?: string } {
  const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
  if (error && typeof error === 'object') {
    const value = (error.message as { value?: unknown } | undefined)?.value;
    const details = (error.innererror as { errordetails?: Array<{ message?: string }> } | undefined)
      ?.errordetails;
    const extra = (details ?? [])
      .map((d) => d.message)
      .filter((m): m is string => typeof m === 'string' && m !== value);
    const text = [typeof value === 'string' ? value : `HTTP ${status}`, ...extra].join(' / ');
    return { message: text, ...(typeof error.code === 'string' ? { code: error.code } : {}) };
  }
  return {
    message: typeof body === 'string' && body !== '' ? body.slice(0, 500) : `HTTP ${status}`
  };
}

const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;

export class SapClient {
  private readonly root: string;
  private readonly auth: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private csrf: Promise<{ token: string; cookie: string }> | undefined;
  /** Requests sent (CSRF fetches included). */
  requests = 0;

  constructor(options: SapClientOptions) {
    this.root = `${options.baseUrl.replace(/\/+$/, '')}${SERVICE_PATH}`;
    this.auth = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetchFn = options.fetch ?? fetch;
  }

  private async send(
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string> } = {}
  ): Promise<SapResponse> {
    this.requests++;
    let response: Response;
    try {
      response = await this.fetchFn(`${this.root}${path}`, {
        method,
        headers: {
          authorization: this.auth,
          accept: 'application/json',
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...init.headers
        },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        signal: AbortSignal.timeout(this.timeoutMs)
      });
    } catch (error) {
      const timeout = (error as Error).name === 'TimeoutError';
      throw new SapError(
        timeout
          ? `SAP did not answer within ${this.timeoutMs} ms (${method} ${path})`
          : `SAP unreachable: ${(error as Error).message}`,
        0,
        true,
        timeout ? 'TIMEOUT' : 'NETWORK'
      );
    }
    const text = await response.text().catch(() => '');
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, headers: response.headers, body };
  }

  private fetchToken(): Promise<{ token: string; cookie: string }> {
    this.csrf ??= (async () => {
      const response = await this.send('GET', '/', { headers: { 'x-csrf-token': 'Fetch' } });
      if (response.status >= 300) throw this.toError('GET', '/', response);
      const token = response.headers.get('x-csrf-token');
      if (!token) throw new SapError('SAP returned no CSRF token', response.status, true, 'CSRF');
      const cookie = response.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      return { token, cookie };
    })();
    const pending = this.csrf;
    pending.catch(() => {
      if (this.csrf === pending) this.csrf = undefined;
    });
    return pending;
  }

  private toError(method: string, path: string, response: SapResponse): SapError {
    const { message, code } = sapMessage(response.body, response.status);
    // 401/403: credentials or authorizations of the technical user - an operator's fix, after
    // which the account syncs; not a fault of the account's data, so not Failed at once.
    const transient = response.status >= 500 || [401, 403, 408, 429].includes(response.status);
    return new SapError(
      `SAP ${method} ${path.split('?')[0]} ${response.status}: ${message}`,
      response.status,
      transient,
      code
    );
  }

  /** A modifying request with CSRF token and cookies; one refetch on `403 x-csrf-token: Required`. */
  private async modify(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = {}
  ): Promise<SapResponse> {
    for (let attempt = 0; ; attempt++) {
      const csrf = await this.fetchToken();
      const response = await this.send(method, path, {
        body,
        headers: {
          'x-csrf-token': csrf.token,
          ...(csrf.cookie ? { cookie: csrf.cookie } : {}),
          ...headers
        }
      });
      const required =
        response.status === 403 &&
        response.headers.get('x-csrf-token')?.toLowerCase() === 'required';
      if (required && attempt === 0) {
        if (this.csrf !== undefined && (await this.csrf.catch(() => undefined)) === csrf)
          this.csrf = undefined;
        continue;
      }
      if (required)
        throw new SapError(
          `SAP refused the CSRF token twice (${method} ${path})`,
          403,
          true,
          'CSRF'
        );
      if (response.status >= 300) throw this.toError(method, path, response);
      return response;
    }
  }

  private static ref(body: unknown, etagHeader: string | null): BusinessPartnerRef {
    const d = ((body as { d?: Record<string, unknown> } | undefined)?.d ?? {}) as Record<
      string,
      unknown
    >;
    const meta = d.__metadata as { etag?: string } | undefined;
    const addresses = (
      d.to_BusinessPartnerAddress as { results?: Array<Record<string, unknown>> } | undefined
    )?.results;
    const address = addresses?.[0];
    return {
      businessPartner: String(d.BusinessPartner ?? ''),
      etag: etagHeader ?? meta?.etag,
      addressId: address?.AddressID === undefined ? undefined : String(address.AddressID),
      addressEtag: (address?.__metadata as { etag?: string } | undefined)?.etag,
      blocked: d.BusinessPartnerIsBlocked === true,
      data: d
    };
  }

  /** Readiness: SAP answers the service root with these credentials (also warms the CSRF token). */
  async ping(): Promise<void> {
    await this.fetchToken();
  }

  /** Creates the business partner; returns its number. */
  async create(payload: BusinessPartnerPayload): Promise<BusinessPartnerRef> {
    const response = await this.modify('POST', '/A_BusinessPartner', payload);
    const ref = SapClient.ref(response.body, response.headers.get('etag'));
    if (ref.businessPartner === '')
      throw new SapError('SAP created a business partner without a number', response.status, false);
    return ref;
  }

  /** GET with the address expanded; undefined on 404. */
  async get(businessPartner: string): Promise<BusinessPartnerRef | undefined> {
    const path = `/A_BusinessPartner(${quote(businessPartner)})?$expand=to_BusinessPartnerAddress`;
    const response = await this.send('GET', path);
    if (response.status === 404) return undefined;
    if (response.status >= 300) throw this.toError('GET', path, response);
    return SapClient.ref(response.body, response.headers.get('etag'));
  }

  /** The business partner whose SearchTerm1 is `searchTerm` (the idempotency key), if any. */
  async findBySearchTerm(searchTerm: string): Promise<BusinessPartnerRef | undefined> {
    // The address comes expanded and each entry carries its ETag: one request, no second GET.
    const path = `/A_BusinessPartner?$filter=${encodeURIComponent(`SearchTerm1 eq ${quote(searchTerm)}`)}&$top=1&$expand=to_BusinessPartnerAddress`;
    const response = await this.send('GET', path);
    if (response.status >= 300) throw this.toError('GET', path, response);
    const results =
      (response.body as { d?: { results?: unknown[] } } | undefined)?.d?.results ?? [];
    const first = results[0] as Record<string, unknown> | undefined;
    if (!first?.BusinessPartner) return undefined;
    return SapClient.ref({ d: first }, null);
  }

  /** PATCH with If-Match; on 412 (someone changed it) GETs the fresh ETag and retries once. */
  private async patchWithEtag(
    path: string,
    body: Record<string, unknown>,
    etag: string | undefined,
    refresh: () => Promise<string | undefined>
  ): Promise<void> {
    let current = etag ?? (await refresh()) ?? '*';
    for (let attempt = 0; ; attempt++) {
      try {
        await this.modify('PATCH', path, body, { 'if-match': current });
        return;
      } catch (error) {
        if (error instanceof SapError && error.status === 412 && attempt === 0) {
          current = (await refresh()) ?? '*';
          continue;
        }
        throw error;
      }
    }
  }

  /** Updates name fields and the first address of an existing business partner. */
  async update(
    ref: BusinessPartnerRef,
    header: Record<string, unknown>,
    address: Record<string, unknown> | undefined
  ): Promise<void> {
    const bp = quote(ref.businessPartner);
    await this.patchWithEtag(
      `/A_BusinessPartner(${bp})`,
      header,
      ref.etag,
      async () => (await this.get(ref.businessPartner))?.etag
    );
    if (address !== undefined && ref.addressId !== undefined) {
      const path = `/A_BusinessPartnerAddress(BusinessPartner=${bp},AddressID=${quote(ref.addressId)})`;
      await this.patchWithEtag(
        path,
        address,
        ref.addressEtag ?? '*',
        async () => (await this.get(ref.businessPartner))?.addressEtag
      );
    }
  }

  /** SAP keeps business partners with business: a Salesforce delete sets the central block. */
  async block(businessPartner: string): Promise<'blocked' | 'not-found'> {
    const ref = await this.get(businessPartner);
    if (ref === undefined) return 'not-found';
    if (ref.blocked) return 'blocked';
    await this.update(ref, { BusinessPartnerIsBlocked: true }, undefined);
    return 'blocked';
  }
}
