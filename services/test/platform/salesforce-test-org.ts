// Shared set-up of the Salesforce client tests: the org emulator on free ports (its own test
// helper), and the platform's clients logged in to it with client credentials, exactly as a
// service would be configured. No HTTP mocking: every request reaches the emulator.
import { after, before, beforeEach } from 'node:test';
import { generate } from 'selfsigned';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  type StartEmulatorOptions
} from '../../../simulators/salesforce/src/emulator.ts';
import {
  startTestEmulator,
  type TestEmulator
} from '../../../simulators/salesforce/test/helpers/emulator.ts';
import {
  createSalesforceClients,
  type CreateSalesforceClientsOptions,
  type SalesforceClients
} from '../../src/platform/salesforce/index.ts';

export { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET };
export const INTEGRATION_USERNAME = 'integration@emulator.local';
export const ADMIN_USERNAME = 'admin@emulator.local';

/**
 * The emulator's client-credentials flow runs as the integration user, who holds exactly the
 * shipped `Integration_Service_User` permission set: what the services' tests need. The
 * platform's generic client tests read and write any object and field, so their connected app
 * runs as the System Administrator instead (these options).
 */
export function runAsAdministrator(options: StartEmulatorOptions = {}): StartEmulatorOptions {
  return { ...options, config: { ...options.config, clientCredentialsUsername: ADMIN_USERNAME } };
}

export interface TestOrg {
  emulator: TestEmulator;
  /** Clients logged in with client credentials (options override the defaults). */
  clients(options?: Partial<CreateSalesforceClientsOptions>): SalesforceClients;
  /**
   * Clients of the System Administrator (JWT bearer with `sub` = the admin's username, so they
   * refresh like the service's), for what a test does as a person in the org: creating the
   * records a service then reads, checking the outcome.
   */
  adminClients(): SalesforceClients;
  /** The emulator's own count of API calls. */
  orgApiCalls(): Promise<number>;
  /** Registers `count` generated rows (`{i}` in template strings = row index). */
  dataset(object: string, count: number, template: Record<string, unknown>): Promise<void>;
  /** Inserts fixtures through the driver (no API calls); returns their ids in order. */
  fixtures(object: string, records: Array<Record<string, unknown>>): Promise<string[]>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestOrg(options: StartEmulatorOptions = {}): Promise<TestOrg> {
  // The connected app trusts a certificate of the test's own, for adminClients().
  const jwtKey =
    options.config?.jwtCertificatePem === undefined
      ? await generate([{ name: 'commonName', value: 'test-org.emulator.local' }], {
          keySize: 2048,
          algorithm: 'sha256'
        })
      : undefined;
  const emulator = await startTestEmulator(
    jwtKey ? { ...options, config: { ...options.config, jwtCertificatePem: jwtKey.cert } } : options
  );
  const clients = (overrides: Partial<CreateSalesforceClientsOptions> = {}) =>
    createSalesforceClients({
      config: {
        flow: 'client_credentials',
        instanceUrl: emulator.instanceUrl,
        clientId: DEFAULT_CLIENT_ID,
        clientSecret: DEFAULT_CLIENT_SECRET
      },
      apiVersion: '65.0',
      // Tests should not sit in retry back-off.
      retry: { initialDelayMs: 10, maxDelayMs: 50 },
      bulkQuery: { poll: { initialDelayMs: 20, maxDelayMs: 200 } },
      ...overrides
    });
  return {
    emulator,
    clients,
    adminClients() {
      if (!jwtKey) throw new Error('This test org was started with its own JWT certificate');
      return clients({
        config: {
          flow: 'jwt_bearer',
          loginUrl: emulator.instanceUrl,
          clientId: DEFAULT_CLIENT_ID,
          username: ADMIN_USERNAME,
          privateKeyPem: jwtKey.private
        }
      });
    },
    async orgApiCalls() {
      const { total } = await emulator.driver<{ total: number }>('GET', 'api-calls');
      return total;
    },
    async dataset(object, count, template) {
      await emulator.driver('POST', `datasets/${object}`, { count, template });
    },
    async fixtures(object, records) {
      const ids: string[] = [];
      for (let i = 0; i < records.length; i += 10_000) {
        const answer = await emulator.driver<{ ids: string[] }>(
          'POST',
          `records/${object}`,
          records.slice(i, i + 10_000)
        );
        ids.push(...answer.ids);
      }
      return ids;
    },
    async reset() {
      await emulator.driver('POST', 'reset', {});
    },
    async close() {
      const closing = emulator.close();
      // fetch may hold a spare keep-alive connection that never carried a request (it opens one
      // after a request is aborted); the server counts it as busy and would wait for fastify's
      // 72 s keep-alive timeout. Nothing is in flight when a test ends: drop them all.
      emulator.app.server.closeAllConnections();
      await closing;
    }
  };
}

/**
 * Registers the hooks of a suite on one test org: started before its tests, closed after them,
 * reset before each test, then handed to `beforeEachTest` (which typically makes the clients).
 */
export function useTestOrg(
  beforeEachTest: (org: TestOrg) => void | Promise<void>,
  options: StartEmulatorOptions = {}
): void {
  let org: TestOrg;

  before(async () => {
    org = await startTestOrg(options);
  });

  after(async () => {
    await org?.close();
  });

  beforeEach(async () => {
    await org.reset();
    await beforeEachTest(org);
  });
}
