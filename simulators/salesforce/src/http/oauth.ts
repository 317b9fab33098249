/**
 * The OAuth 2.0 endpoints of an org (`/services/oauth2/...`) and the identity URL:
 *
 * - `POST /services/oauth2/token` (form-encoded) with `client_credentials` (the connected
 *   app's client id and secret, in the body or HTTP Basic; runs as the app's "Run As" user: the
 *   integration user for the main app, finance@emulator.local for the Finance app,
 *   media@emulator.local for the property image migration's app) and
 *   `urn:ietf:params:oauth:grant-type:jwt-bearer` (an RS256 assertion verified against the
 *   configured certificate). Failures answer `{"error","error_description"}` with the
 *   descriptions a real org sends, so clients' error handling is exercised for real.
 * - the web-server flow: `GET /services/oauth2/authorize?response_type=code` approves at once
 *   (no login page: the user is `login_hint` or the integration user) and redirects with a
 *   code; `grant_type=authorization_code` exchanges it (PKCE checked when a challenge was
 *   given) for an access token and a refresh token; `grant_type=refresh_token` issues new
 *   access tokens until the refresh token is revoked (see oauth-grants.ts).
 * - `GET|POST /services/oauth2/userinfo` (OpenID Connect; the sf CLI calls it on login).
 * - `POST|GET /services/oauth2/revoke`.
 * - `GET /id/{orgId}/{userId}` (the `id` URL of a token response; jsforce's identity()).
 *
 * OAuth calls are not API calls: they never count toward DailyApiRequests.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { compactVerify, decodeProtectedHeader, importX509 } from 'jose';
import type { ClientCredentialsApp, EmulatorContext, Principal, Session } from '../model.ts';
import { bearerToken } from './auth.ts';
import { grantsOf, PKCE_METHODS, verifierMatches } from './oauth-grants.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Audiences a real org accepts besides its own My Domain URL. */
const LOGIN_AUDIENCES = ['https://login.salesforce.com', 'https://test.salesforce.com'];

/** An OAuth failure: `{"error","error_description"}` with its HTTP status. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly httpStatus = 400
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthError';
  }
}

/** The emulator's own origin as the client reached it (`http://127.0.0.1:8780`). */
export function requestOrigin(request: FastifyRequest): string {
  const host = request.headers.host ?? `${request.hostname}`;
  return `${request.protocol}://${host}`;
}

export function identityUrl(origin: string, principal: Principal): string {
  return `${origin}/id/${principal.organizationId}/${principal.userId}`;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Client id/secret from the form or an `Authorization: Basic` header (both are allowed). */
function clientCredentials(
  request: FastifyRequest,
  form: Record<string, string>
): { clientId?: string; clientSecret?: string } {
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^Basic\s+/i.test(header)) {
    const decoded = Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon)),
        clientSecret: decodeURIComponent(decoded.slice(colon + 1))
      };
    }
  }
  return { clientId: form.client_id, clientSecret: form.client_secret };
}

function issueFor(ctx: EmulatorContext, username: string): Session | undefined {
  try {
    return ctx.sessions.issue(username);
  } catch {
    return undefined;
  }
}

function tokenResponse(
  ctx: EmulatorContext,
  origin: string,
  session: Session,
  refreshToken?: string,
  clientSecret = ctx.config.clientSecret
): Record<string, string> {
  const id = identityUrl(origin, session.principal);
  const issuedAt = String(session.issuedAt.getTime());
  // Salesforce signs id + issued_at with the consumer secret so clients can check the answer.
  const signature = createHmac('sha256', clientSecret)
    .update(id + issuedAt)
    .digest('base64');
  return {
    access_token: session.accessToken,
    ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
    signature,
    scope: refreshToken !== undefined ? 'refresh_token api' : 'api',
    instance_url: origin,
    id,
    token_type: 'Bearer',
    issued_at: issuedAt
  };
}

function clientCredentialsGrant(
  ctx: EmulatorContext,
  request: FastifyRequest,
  form: Record<string, string>
): { session: Session; clientSecret: string } {
  const { clientId, clientSecret } = clientCredentials(request, form);
  const app = clientId ? clientCredentialsApp(ctx, clientId) : undefined;
  if (!app) throw new OAuthError('invalid_client_id', 'client identifier invalid');
  if (!clientSecret || !sameSecret(clientSecret, app.clientSecret)) {
    throw new OAuthError('invalid_client', 'invalid client credentials');
  }
  const session = issueFor(ctx, app.username);
  if (!session) throw new OAuthError('invalid_grant', 'no client credentials user enabled');
  return { session, clientSecret: app.clientSecret };
}

/**
 * The connected app `clientId` names for the client-credentials flow, with its "Run As" user:
 * the main app (the integration user unless configured otherwise) or one of
 * `clientCredentialsApps` (each service its own user, so one leaked credential reaches only
 * that service's grants).
 */
function clientCredentialsApp(
  ctx: EmulatorContext,
  clientId: string
): ClientCredentialsApp | undefined {
  if (clientId === ctx.config.clientId) {
    return {
      clientId,
      clientSecret: ctx.config.clientSecret,
      username: ctx.config.clientCredentialsUsername ?? ctx.integrationUser.username
    };
  }
  return ctx.config.clientCredentialsApps?.find((app) => app.clientId === clientId);
}

/** The sf CLI's callback (`sf org login web`), the connected app's default callback URL. */
export const DEFAULT_OAUTH_CALLBACK_URL = 'http://localhost:1717/OauthRedirect';

/**
 * The client of a code or refresh grant: its id must match, and its secret must be sent and
 * match ("Require Secret for Web Server Flow" and "... for Refresh Token Flow" are on by
 * default), unless the connected app is PKCE-only; a secret sent anyway must still match.
 */
function checkGrantClient(
  ctx: EmulatorContext,
  request: FastifyRequest,
  form: Record<string, string>,
  grantClientId: string,
  pkce: boolean
): void {
  const { clientId, clientSecret } = clientCredentials(request, form);
  if (!clientId || clientId !== ctx.config.clientId || clientId !== grantClientId) {
    throw new OAuthError('invalid_client_id', 'client identifier invalid');
  }
  if (clientSecret === undefined && ctx.config.oauthPkceOnly === true && pkce) return;
  if (!clientSecret || !sameSecret(clientSecret, ctx.config.clientSecret)) {
    throw new OAuthError('invalid_client', 'invalid client credentials');
  }
}

function authorizationCodeGrant(
  ctx: EmulatorContext,
  request: FastifyRequest,
  form: Record<string, string>
): { session: Session; refreshToken: string } {
  if (!form.code) throw new OAuthError('invalid_grant', 'invalid authorization code');
  const grant = grantsOf(ctx).redeemCode(form.code);
  if (grant === 'invalid') throw new OAuthError('invalid_grant', 'invalid authorization code');
  if (grant === 'expired') throw new OAuthError('invalid_grant', 'expired authorization code');
  checkGrantClient(ctx, request, form, grant.clientId, grant.codeChallenge !== undefined);
  if (form.redirect_uri !== grant.redirectUri) {
    throw new OAuthError('redirect_uri_mismatch', 'redirect_uri must match configuration');
  }
  if (!verifierMatches(grant, form.code_verifier)) {
    throw new OAuthError('invalid_grant', 'invalid code verifier');
  }
  const session = issueFor(ctx, grant.username);
  if (!session) throw new OAuthError('invalid_grant', 'inactive user');
  const refreshToken = grantsOf(ctx).issueRefreshToken(
    { username: grant.username, clientId: grant.clientId },
    session.accessToken
  );
  return { session, refreshToken };
}

function refreshTokenGrant(
  ctx: EmulatorContext,
  request: FastifyRequest,
  form: Record<string, string>
): Session {
  // Unknown, revoked and made-up refresh tokens all get this answer from an org.
  const expired = new OAuthError('invalid_grant', 'expired access/refresh token');
  const grant = form.refresh_token ? grantsOf(ctx).refreshGrant(form.refresh_token) : undefined;
  if (!grant) throw expired;
  checkGrantClient(ctx, request, form, grant.clientId, true);
  const session = issueFor(ctx, grant.username);
  if (!session) throw expired;
  grant.accessTokens.add(session.accessToken);
  return session;
}

function audienceMatches(aud: unknown, origin: string): boolean {
  const accepted = new Set([...LOGIN_AUDIENCES, origin].map((url) => url.replace(/\/+$/, '')));
  const given = Array.isArray(aud) ? aud : [aud];
  return given.some(
    (value) => typeof value === 'string' && accepted.has(value.replace(/\/+$/, ''))
  );
}

async function jwtBearerGrant(
  ctx: EmulatorContext,
  origin: string,
  form: Record<string, string>
): Promise<Session> {
  const assertion = form.assertion;
  const invalidAssertion = new OAuthError('invalid_grant', 'invalid assertion');
  if (!assertion) throw new OAuthError('invalid_request', 'assertion is required');
  let claims: Record<string, unknown>;
  try {
    const header = decodeProtectedHeader(assertion);
    // Salesforce accepts RS256 only: unsigned (alg none) or HMAC assertions are refused.
    if (header.alg !== 'RS256') throw invalidAssertion;
    const [, payload] = assertion.split('.');
    claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    if (claims === null || typeof claims !== 'object') throw invalidAssertion;
  } catch {
    throw invalidAssertion;
  }
  if (claims.iss !== ctx.config.clientId) {
    throw new OAuthError('invalid_client_id', 'client identifier invalid');
  }
  const certificate = ctx.config.jwtCertificatePem;
  if (!certificate) throw invalidAssertion;
  try {
    const key = await importX509(certificate, 'RS256');
    await compactVerify(assertion, key, { algorithms: ['RS256'] });
  } catch {
    throw invalidAssertion;
  }
  if (!audienceMatches(claims.aud, origin)) {
    throw new OAuthError('invalid_grant', 'audience is invalid');
  }
  // The assertion is minted with the client's wall clock, so it is checked against wall time
  // (not the emulated clock tests advance to expire sessions). A few seconds of skew allowed.
  const exp = claims.exp;
  if (typeof exp !== 'number' || exp * 1000 < Date.now() - 5_000) {
    throw new OAuthError('invalid_grant', 'expired authorization code');
  }
  const username = typeof claims.sub === 'string' ? claims.sub : '';
  const session = username ? issueFor(ctx, username) : undefined;
  if (!session) throw new OAuthError('invalid_grant', "user hasn't approved this consumer");
  return session;
}

/** The stored User record's details when the schema has one, for userinfo/identity. */
function userDetails(ctx: EmulatorContext, principal: Principal): Record<string, unknown> {
  try {
    return ctx.store.get('User', principal.userId) ?? {};
  } catch {
    return {};
  }
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function serviceUrls(origin: string, principal: Principal): Record<string, string> {
  const org = principal.organizationId;
  return {
    enterprise: `${origin}/services/Soap/c/{version}/${org}`,
    metadata: `${origin}/services/Soap/m/{version}/${org}`,
    partner: `${origin}/services/Soap/u/{version}/${org}`,
    rest: `${origin}/services/data/v{version}/`,
    sobjects: `${origin}/services/data/v{version}/sobjects/`,
    search: `${origin}/services/data/v{version}/search/`,
    query: `${origin}/services/data/v{version}/query/`,
    recent: `${origin}/services/data/v{version}/recent/`,
    tooling_soap: `${origin}/services/Soap/T/{version}/${org}`,
    tooling_rest: `${origin}/services/data/v{version}/tooling/`,
    profile: `${origin}/${principal.userId}`,
    feeds: `${origin}/services/data/v{version}/chatter/feeds`,
    groups: `${origin}/services/data/v{version}/chatter/groups`,
    users: `${origin}/services/data/v{version}/chatter/users`,
    feed_items: `${origin}/services/data/v{version}/chatter/feed-items`,
    feed_elements: `${origin}/services/data/v{version}/chatter/feed-elements`,
    custom_domain: origin
  };
}

function userInfo(ctx: EmulatorContext, origin: string, session: Session): Record<string, unknown> {
  const principal = session.principal;
  const user = userDetails(ctx, principal);
  const first = text(user.FirstName, 'Integration');
  const last = text(user.LastName, 'User');
  const email = text(user.Email, principal.username);
  return {
    sub: identityUrl(origin, principal),
    user_id: principal.userId,
    organization_id: principal.organizationId,
    preferred_username: principal.username,
    nickname: text(user.CommunityNickname, principal.username.split('@')[0] ?? principal.username),
    name: text(user.Name, `${first} ${last}`),
    email,
    email_verified: true,
    given_name: first,
    family_name: last,
    zoneinfo: text(user.TimeZoneSidKey, 'GMT'),
    photos: { picture: `${origin}/img/userprofile/default_profile_200_v2.png` },
    profile: `${origin}/${principal.userId}`,
    picture: `${origin}/img/userprofile/default_profile_200_v2.png`,
    address: {},
    is_salesforce_integration_user: false,
    urls: serviceUrls(origin, principal),
    active: true,
    user_type: 'STANDARD',
    language: text(user.LanguageLocaleKey, 'en_US'),
    locale: text(user.LocaleSidKey, 'en_US'),
    utcOffset: 0,
    updated_at: session.issuedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    is_app_installed: true
  };
}

function identity(ctx: EmulatorContext, origin: string, session: Session): Record<string, unknown> {
  const info = userInfo(ctx, origin, session);
  return {
    id: info.sub,
    asserted_user: true,
    user_id: info.user_id,
    organization_id: info.organization_id,
    username: info.preferred_username,
    nick_name: info.nickname,
    display_name: info.name,
    email: info.email,
    email_verified: true,
    first_name: info.given_name,
    last_name: info.family_name,
    timezone: info.zoneinfo,
    photos: info.photos,
    addr_street: null,
    addr_city: null,
    addr_state: null,
    addr_country: null,
    addr_zip: null,
    mobile_phone: null,
    mobile_phone_verified: false,
    is_lightning_login_user: false,
    status: { created_date: null, body: null },
    urls: info.urls,
    active: true,
    user_type: 'STANDARD',
    language: info.language,
    locale: info.locale,
    utcOffset: 0,
    last_modified_date: session.issuedAt.toISOString().replace('Z', '+0000'),
    is_app_installed: true
  };
}

/** Bearer header, or the `oauth_token` query parameter the identity URL also accepts. */
function tokenOf(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = typeof query?.oauth_token === 'string' ? query.oauth_token : undefined;
  return bearerToken(request) ?? fromQuery;
}

function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  return reply
    .code(error.httpStatus)
    .header('Cache-Control', 'no-cache,must-revalidate,max-age=0,no-store,private')
    .send({ error: error.error, error_description: error.description });
}

function formOf(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  const form: Record<string, string> = {};
  const query = request.query as Record<string, unknown> | undefined;
  for (const source of [query, body]) {
    if (source && typeof source === 'object') {
      for (const [key, value] of Object.entries(source)) {
        if (typeof value === 'string') form[key] = value;
      }
    }
  }
  return form;
}

export async function oauthRoutes(
  app: FastifyInstance,
  options: { ctx: EmulatorContext }
): Promise<void> {
  const { ctx } = options;

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    }
  );

  // OAuth answers its own error shape, never the REST error array.
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof OAuthError) return sendOAuthError(reply, error);
    const { statusCode: status, message } = error as { statusCode?: number; message?: string };
    if (status !== undefined && status >= 400 && status < 500) {
      return sendOAuthError(reply, new OAuthError('invalid_request', message ?? 'bad request'));
    }
    request.log.error({ err: error }, 'unexpected OAuth error');
    return sendOAuthError(reply, new OAuthError('server_error', 'an internal error occurred', 500));
  });

  app.post('/services/oauth2/token', async (request, reply) => {
    const form = formOf(request);
    const origin = requestOrigin(request);
    let session: Session;
    let refreshToken: string | undefined;
    let clientSecret: string | undefined;
    switch (form.grant_type) {
      case 'client_credentials':
        ({ session, clientSecret } = clientCredentialsGrant(ctx, request, form));
        break;
      case JWT_BEARER:
        session = await jwtBearerGrant(ctx, origin, form);
        break;
      case 'authorization_code':
        ({ session, refreshToken } = authorizationCodeGrant(ctx, request, form));
        break;
      case 'refresh_token':
        session = refreshTokenGrant(ctx, request, form);
        break;
      case undefined:
      case '':
        throw new OAuthError('unsupported_grant_type', 'grant type not supported');
      default:
        throw new OAuthError('unsupported_grant_type', 'grant type not supported');
    }
    return reply
      .header('Cache-Control', 'no-cache,must-revalidate,max-age=0,no-store,private')
      .send(tokenResponse(ctx, origin, session, refreshToken, clientSecret));
  });

  // The web-server flow's approval step, approved at once (there is no one to click "Allow").
  app.get('/services/oauth2/authorize', async (request, reply) => {
    const form = formOf(request);
    if (form.client_id !== ctx.config.clientId) {
      throw new OAuthError('invalid_client_id', 'client identifier invalid');
    }
    const redirectUri = form.redirect_uri;
    const callbacks = ctx.config.oauthCallbackUrls ?? [DEFAULT_OAUTH_CALLBACK_URL];
    // Never a redirect to a URL the connected app does not list: the error is answered here.
    if (!redirectUri || !URL.canParse(redirectUri) || !callbacks.includes(redirectUri)) {
      throw new OAuthError('redirect_uri_mismatch', 'redirect_uri must match configuration');
    }
    const target = new URL(redirectUri);
    if (form.state !== undefined) target.searchParams.set('state', form.state);
    if (form.response_type !== 'code') {
      target.searchParams.set('error', 'unsupported_response_type');
      target.searchParams.set('error_description', 'response type not supported');
      return reply.redirect(target.toString(), 302);
    }
    const username = form.login_hint || ctx.integrationUser.username;
    const loginUsers = ctx.config.oauthLoginUsers ?? [ctx.integrationUser.username];
    // An active user? (The probe's session is dropped at once: approval issues no token.)
    const probe = loginUsers.includes(username) ? issueFor(ctx, username) : undefined;
    if (probe) ctx.sessions.revoke(probe.accessToken);
    if (!probe) {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'end-user denied authorization');
      return reply.redirect(target.toString(), 302);
    }
    const method = form.code_challenge_method;
    if (
      method !== undefined &&
      (form.code_challenge === undefined || !PKCE_METHODS.includes(method))
    ) {
      target.searchParams.set('error', 'invalid_request');
      target.searchParams.set('error_description', 'invalid code_challenge_method');
      return reply.redirect(target.toString(), 302);
    }
    const code = grantsOf(ctx).issueCode({
      username,
      clientId: form.client_id,
      redirectUri,
      ...(form.code_challenge !== undefined ? { codeChallenge: form.code_challenge } : {}),
      ...(form.code_challenge_method !== undefined
        ? { codeChallengeMethod: form.code_challenge_method }
        : {})
    });
    target.searchParams.set('code', code);
    return reply.redirect(target.toString(), 302);
  });

  const userinfo = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = tokenOf(request);
    const session = token ? ctx.sessions.validate(token) : undefined;
    // A real org answers a bad token here with a bare 403 "Bad_OAuth_Token".
    if (!session) return reply.code(403).type('text/plain').send('Bad_OAuth_Token');
    return userInfo(ctx, requestOrigin(request), session);
  };
  app.get('/services/oauth2/userinfo', userinfo);
  app.post('/services/oauth2/userinfo', userinfo);

  const revoke = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = formOf(request).token;
    // A refresh token revokes the grant and every access token issued from it.
    const issued = token ? grantsOf(ctx).revokeRefreshToken(token) : undefined;
    if (issued !== undefined) {
      for (const accessToken of issued) ctx.sessions.revoke(accessToken);
      return reply.code(200).send();
    }
    if (!token || !ctx.sessions.validate(token)) {
      throw new OAuthError('unsupported_token_type', 'this token type is not supported');
    }
    ctx.sessions.revoke(token);
    return reply.code(200).send();
  };
  app.post('/services/oauth2/revoke', revoke);
  app.get('/services/oauth2/revoke', revoke);

  app.get<{ Params: { orgId: string; userId: string } }>(
    '/id/:orgId/:userId',
    async (request, reply) => {
      const token = tokenOf(request);
      const session = token ? ctx.sessions.validate(token) : undefined;
      if (!session) return reply.code(403).type('text/plain').send('Bad_OAuth_Token');
      const { orgId, userId } = request.params;
      if (orgId !== session.principal.organizationId || userId !== session.principal.userId) {
        return reply.code(403).type('text/plain').send('Bad_Id');
      }
      return identity(ctx, requestOrigin(request), session);
    }
  );
}
