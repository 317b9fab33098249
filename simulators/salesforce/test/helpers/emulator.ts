/**
 * Starts the org emulator for a test: HTTP and Pub/Sub on free ports of 127.0.0.1, schema from
 * this repository's force-app (or another SFDX project), and a small client for the test driver.
 * Always `await emulator.close()` (e.g. in `after`).
 */
import { resolve } from 'node:path';
import { ADMIN_USERNAME } from '../../src/context.ts';
import {
  startSalesforceEmulator,
  type RunningEmulator,
  type StartEmulatorOptions
} from '../../src/emulator.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../../../..');

export interface TestEmulator extends RunningEmulator {
  /** `accessToken` is the administrator's here; this is the integration user's. */
  integrationAccessToken: string;
  /**
   * Calls a `/__emulator/...` route (with the driver secret, when the emulator has one) and
   * returns the parsed JSON (throws on a non-2xx answer).
   */
  driver<T = unknown>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** An authenticated REST call under `/services/data/v65.0` (or an absolute path). */
  rest(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>
  ): Promise<{ status: number; body: unknown; headers: Headers }>;
  /** Issues a fresh administrator token (after sessions/expire) and uses it from now on. */
  renewToken(): Promise<string>;
}

export async function startTestEmulator(options: StartEmulatorOptions = {}): Promise<TestEmulator> {
  const emulator = await startSalesforceEmulator({
    projectDir: REPO_ROOT,
    httpPort: 0,
    grpcPort: 0,
    host: '127.0.0.1',
    ...options
  });

  async function driver<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown
  ): Promise<T> {
    const response = await fetch(`${emulator.instanceUrl}/__emulator/${path.replace(/^\/+/, '')}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(emulator.driverSecret !== undefined
          ? { authorization: `Bearer ${emulator.driverSecret}` }
          : {})
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`driver ${method} ${path}: ${response.status} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  async function rest(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {}
  ): Promise<{ status: number; body: unknown; headers: Headers }> {
    const url = path.startsWith('/services/')
      ? `${emulator.instanceUrl}${path}`
      : `${emulator.instanceUrl}/services/data/v65.0/${path.replace(/^\/+/, '')}`;
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${result.accessToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers
      },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) })
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  async function renewToken(): Promise<string> {
    const { accessToken } = await driver<{ accessToken: string }>('POST', 'sessions', {
      username: ADMIN_USERNAME
    });
    result.accessToken = accessToken;
    return accessToken;
  }

  // The emulator's own tests exercise the protocols as a System Administrator would (every
  // object and field); permission tests ask the driver for other users' tokens.
  const result: TestEmulator = {
    ...emulator,
    accessToken: emulator.adminAccessToken,
    integrationAccessToken: emulator.accessToken,
    driver,
    rest,
    renewToken
  };
  return result;
}
