// OAuth 2.0 access tokens for the services' integration user.
//
// Three ways in, strongest first (the same order as `SalesforceConfig.authMode`):
//  - JWT bearer (server-to-server, no secret on the wire): an RS256 assertion signed with the
//    connected app's private key (iss = client id, sub = username, aud = login URL, exp <= 3 min)
//    posted to `${loginUrl}/services/oauth2/token`;
//  - client credentials: client id + secret posted to the org's own My Domain token endpoint
//    (the flow is refused on login.salesforce.com), running as the app's configured user;
//  - a ready-made access token (`SF_ACCESS_TOKEN`, e.g. printed by `npm run sim:salesforce`),
//    which cannot be refreshed.
//
// Salesforce's token answer has no `expires_in` (the session lives as long as the org's session
// timeout, and an admin can revoke it at any time), so a token is cached until the API says
// `401 INVALID_SESSION_ID`: the caller then calls `invalidate(token)` and asks again. Refresh is
// single-flight: concurrent callers share one token request, and an invalidate() naming a token
// already replaced is ignored, so a burst of 401s from parallel requests costs one refresh.
//
// Neither the client secret, the private key nor the signed assertion ever reaches an error
// message or a log line; token endpoint errors carry only Salesforce's `error` and
// `error_description`.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SignJWT } from 'jose';
import type { Logger } from '../logger.ts';
import type { SalesforceConfig } from '../config.ts';
import type { ApiCallMeter } from './api-calls.ts';
import { errorFromResponse, networkError, SalesforceAuthError, SalesforceError } from './errors.ts';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Salesforce accepts assertions valid for at most 3 minutes; stay inside with margin. */
const ASSERTION_LIFETIME_SECONDS = 150;

export type SalesforceCredentials =
  | {
      flow: 'jwt_bearer';
      /** `https://login.salesforce.com`, `https://test.salesforce.com`, My Domain, or the emulator. */
      loginUrl: string;
      clientId: string;
      username: string;
      /** PEM private key (PKCS#8 or PKCS#1); or give `privateKeyFile`. */
      privateKeyPem?: string;
      privateKeyFile?: string;
      /** `aud` claim; defaults to `loginUrl`. */
      audience?: string;
    }
  | { flow: 'client_credentials'; instanceUrl: string; clientId: string; clientSecret: string }
  | { flow: 'access_token'; instanceUrl: string; accessToken: string };

export type TokenFlow = SalesforceCredentials['flow'];

export interface AccessToken {
  accessToken: string;
  /** Base URL of every API call (`instance_url` of the token answer). */
  instanceUrl: string;
  /** Identity URL (`id`), when the flow returns one. */
  identityUrl?: string;
  issuedAt: Date;
}

export interface TokenProvider {
  readonly flow: TokenFlow;
  /** False for a static access token: a 401 is final. */
  readonly canRefresh: boolean;
  /** The cached token, or a new one (one request shared by concurrent callers). */
  getToken(): Promise<AccessToken>;
  /**
   * Drops the cached token after the API rejected it. Pass the rejected token: if it was already
   * replaced by a newer one, nothing happens (another caller refreshed first).
   */
  invalidate(rejectedToken?: string): void;
  /** Successful token requests so far (the first one included). */
  refreshCount(): number;
}

export interface TokenProviderOptions {
  fetch?: typeof fetch;
  logger?: Logger;
  /** Counts token requests (not API calls). */
  meter?: ApiCallMeter;
  /** Per token request. Default 30 s. */
  timeoutMs?: number;
  /**
   * Refresh proactively once a token is this old (ms). Default: never (refresh on 401 only);
   * set it a little under the org's session timeout to avoid the extra 401 round trip.
   */
  maxTokenAgeMs?: number;
  now?: () => Date;
}

/** The credentials `SalesforceConfig.authMode` selects; throws when none are configured. */
export function credentialsFromConfig(config: SalesforceConfig): SalesforceCredentials {
  switch (config.authMode) {
    case 'jwt_bearer':
      return {
        flow: 'jwt_bearer',
        loginUrl: config.loginUrl,
        clientId: required(config.clientId, 'SF_CLIENT_ID'),
        username: required(config.username, 'SF_USERNAME'),
        privateKeyFile: required(config.jwtKeyFile, 'SF_JWT_KEY_FILE')
      };
    case 'client_credentials':
      return {
        flow: 'client_credentials',
        instanceUrl: required(config.instanceUrl, 'SF_INSTANCE_URL'),
        clientId: required(config.clientId, 'SF_CLIENT_ID'),
        clientSecret: required(config.clientSecret, 'SF_CLIENT_SECRET')
      };
    case 'access_token':
      return {
        flow: 'access_token',
        instanceUrl: required(config.instanceUrl, 'SF_INSTANCE_URL'),
        accessToken: required(config.accessToken, 'SF_ACCESS_TOKEN')
      };
    case 'none':
      throw new Error(
        'No Salesforce credentials configured: set SF_CLIENT_ID + SF_USERNAME + SF_JWT_KEY_FILE (JWT bearer), ' +
          'SF_CLIENT_ID + SF_CLIENT_SECRET + SF_INSTANCE_URL (client credentials) or SF_ACCESS_TOKEN + SF_INSTANCE_URL.'
      );
  }
}

function required(value: string | undefined, variable: string): string {
  if (value === undefined || value === '')
    throw new Error(`${variable} is required for this Salesforce auth mode`);
  return value;
}

function isConfig(value: SalesforceConfig | SalesforceCredentials): value is SalesforceConfig {
  return 'authMode' in value;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** A token provider for the configured (or given) credentials. */
export function createTokenProvider(
  source: SalesforceConfig | SalesforceCredentials,
  options: TokenProviderOptions = {}
): TokenProvider {
  const credentials = isConfig(source) ? credentialsFromConfig(source) : source;
  const now = options.now ?? (() => new Date());

  if (credentials.flow === 'access_token') {
    const token: AccessToken = {
      accessToken: credentials.accessToken,
      instanceUrl: trimSlash(credentials.instanceUrl),
      issuedAt: now()
    };
    return {
      flow: 'access_token',
      canRefresh: false,
      getToken: async () => token,
      invalidate() {
        options.logger?.warn(
          { flow: 'access_token' },
          'Salesforce rejected the configured access token; it cannot be refreshed (use JWT bearer or client credentials)'
        );
      },
      refreshCount: () => 0
    };
  }

  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let cached: AccessToken | undefined;
  let inflight: Promise<AccessToken> | undefined;
  let refreshes = 0;
  let signingKey: Promise<KeyObject> | undefined;

  const loadKey = (creds: Extract<SalesforceCredentials, { flow: 'jwt_bearer' }>) => {
    signingKey ??= (async () => {
      let pem = creds.privateKeyPem;
      if (pem === undefined) {
        if (!creds.privateKeyFile)
          throw new Error('JWT bearer needs privateKeyPem or privateKeyFile');
        try {
          pem = await readFile(creds.privateKeyFile, 'utf8');
        } catch (error) {
          throw new Error(
            `Cannot read the JWT signing key ${creds.privateKeyFile}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`
          );
        }
      }
      try {
        return createPrivateKey(pem);
      } catch {
        // The PEM itself must not end up in the message.
        throw new Error('The JWT signing key is not a valid PEM private key');
      }
    })();
    // A failed load is not cached: fixing the file and retrying works.
    signingKey.catch(() => (signingKey = undefined));
    return signingKey;
  };

  const tokenRequest = async (): Promise<{ url: string; form: URLSearchParams }> => {
    if (credentials.flow === 'jwt_bearer') {
      const key = await loadKey(credentials);
      const issuedAt = Math.floor(now().getTime() / 1000);
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'RS256' })
        .setIssuer(credentials.clientId)
        .setSubject(credentials.username)
        .setAudience(trimSlash(credentials.audience ?? credentials.loginUrl))
        .setExpirationTime(issuedAt + ASSERTION_LIFETIME_SECONDS)
        .sign(key);
      return {
        url: `${trimSlash(credentials.loginUrl)}/services/oauth2/token`,
        form: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion })
      };
    }
    return {
      url: `${trimSlash(credentials.instanceUrl)}/services/oauth2/token`,
      form: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret
      })
    };
  };

  const requestToken = async (): Promise<AccessToken> => {
    const { url, form } = await tokenRequest();
    const operation = `oauth.token.${credentials.flow}`;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Accept: 'application/json'
        },
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs)
      });
      text = await response.text();
    } catch (error) {
      options.meter?.recordTokenRequest('error');
      throw networkError(operation, error);
    }
    if (!response.ok) {
      options.meter?.recordTokenRequest('error');
      const answered = errorFromResponse(response.status, text, operation);
      throw new SalesforceAuthError({
        status: answered.status,
        errorCode: answered.errorCode,
        message: `Salesforce refused the ${credentials.flow} token request: ${answered.message} (${answered.errorCode})`,
        errors: answered.errors,
        operation
      });
    }
    options.meter?.recordTokenRequest('ok');
    const invalidAnswer = (message: string) =>
      new SalesforceError({
        status: response.status,
        errorCode: 'INVALID_TOKEN_RESPONSE',
        message,
        operation
      });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw invalidAnswer('The token endpoint answered something that is not JSON');
    }
    if (typeof body.access_token !== 'string' || typeof body.instance_url !== 'string') {
      throw invalidAnswer('The token answer lacks access_token or instance_url');
    }
    const issuedAtMs = Number(body.issued_at);
    return {
      accessToken: body.access_token,
      instanceUrl: trimSlash(body.instance_url),
      identityUrl: typeof body.id === 'string' ? body.id : undefined,
      issuedAt: Number.isFinite(issuedAtMs) ? new Date(issuedAtMs) : now()
    };
  };

  const fresh = (token: AccessToken) =>
    options.maxTokenAgeMs === undefined ||
    now().getTime() - token.issuedAt.getTime() < options.maxTokenAgeMs;

  return {
    flow: credentials.flow,
    canRefresh: true,
    getToken() {
      if (cached && fresh(cached)) return Promise.resolve(cached);
      inflight ??= requestToken()
        .then((token) => {
          cached = token;
          refreshes += 1;
          options.logger?.info(
            { flow: credentials.flow, instanceUrl: token.instanceUrl, refreshes },
            'Salesforce access token obtained'
          );
          return token;
        })
        .finally(() => {
          inflight = undefined;
        });
      return inflight;
    },
    invalidate(rejectedToken) {
      if (!cached) return;
      if (rejectedToken !== undefined && cached.accessToken !== rejectedToken) return;
      cached = undefined;
      options.logger?.info({ flow: credentials.flow }, 'Salesforce access token invalidated');
    },
    refreshCount: () => refreshes
  };
}
