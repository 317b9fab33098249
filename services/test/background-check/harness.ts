// End-to-end set-up of the background-check tests: the org emulator (schema and permission sets
// from force-app, the service logged in as the integration user holding exactly the shipped
// Integration_Service_User), the BackCheck simulator, a real PostgreSQL database of its own, and
// the service on the platform over real HTTP on port 0. Nothing is mocked.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../../toolkit/src/project.ts';
import { until } from '../../../toolkit/testing/wait.ts';
import {
  signCallback,
  startBackCheckSimulator,
  type RunningBackCheckSimulator
} from '../../../simulators/backcheck/src/server.ts';
import { jpegBytes } from '../../../simulators/backcheck/test/helpers/backcheck.ts';
import {
  createLogger,
  loadProcessConfig,
  startPlatform,
  type Platform,
  type SalesforceClients
} from '../../src/platform/index.ts';
import {
  createBackgroundCheckService,
  type BackgroundCheckHooks
} from '../../src/background-check/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  startTestOrg,
  type TestOrg
} from '../platform/salesforce-test-org.ts';

export const API_TOKEN = 'background-check-test-token-0123456789';
/** Valid for the platform (another service's token), not for submitting checks. */
export const OTHER_SERVICE_TOKEN = 'other-service-test-token-0123456789';

export interface BackgroundCheckContract {
  submitRequest: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: {
      applicationId: string;
      contentVersionId: string;
      applicant: Record<string, string>;
      requestedAt: string;
    };
  };
  responses: Record<string, { httpStatus: number; body: Record<string, unknown> }>;
}

/** The static resource the Apex tests mock the ESB with: the one contract. */
export function loadContract(): BackgroundCheckContract {
  const file = path.join(
    projectRoot(),
    'force-app/main/background-check/staticresources/BackgroundCheckContract.json'
  );
  return JSON.parse(readFileSync(file, 'utf8')) as BackgroundCheckContract;
}

export const APPLICATION_FIELDS = [
  'Id',
  'Status__c',
  'Background_Check_Reference__c',
  'Background_Check_Result__c',
  'Background_Check_Completed_At__c',
  'Background_Check_Notes__c'
];

export interface Lab {
  org: TestOrg;
  backCheck: RunningBackCheckSimulator;
  db: TestDatabase;
  /** The service's clients: the integration user (client credentials). */
  salesforce: SalesforceClients;
  /** A System Administrator: the case worker's side (records, files) and the test's reads. */
  admin: SalesforceClients;
  service: Platform | undefined;
  env: Record<string, string>;
  /** While true, every request of the service's Salesforce clients fails (an outage). */
  salesforceDown: boolean;
  startService(
    overrides?: Record<string, string>,
    hooks?: BackgroundCheckHooks,
    options?: { captureLogs?: boolean }
  ): Promise<Platform>;
  /** Every log line of the service (JSON), when started with captureLogs. */
  logs: string[];
  stopService(): Promise<void>;
  /** An application in Background Check Pending with a photo, as Apex leaves it. */
  createApplication(options?: {
    passportNumber?: string;
    photo?: Uint8Array;
    fileName?: string;
  }): Promise<{
    applicationId: string;
    contentVersionId: string;
    body: BackgroundCheckContract['submitRequest']['body'];
  }>;
  /**
   * `count` applications in Background Check Pending (driver fixtures: no API calls) and their
   * rows in the log table as BackCheck accepted them, each with a reference `bck_<tag>_<i>`.
   */
  seedPending(
    count: number,
    tag: string
  ): Promise<Array<{ applicationId: string; reference: string }>>;
  /**
   * The case worker submits the application again (Apex: Pending, a new requestedAt, a second
   * later so that it differs to the second); optionally with a new photo version.
   */
  resubmit(
    applicationId: string,
    options?: { photo?: Uint8Array }
  ): Promise<{ requestedAt: string; contentVersionId?: string }>;
  submit(
    body: unknown,
    key?: string,
    token?: string
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  application(id: string): Promise<Record<string, unknown>>;
  row(applicationId: string): Promise<Record<string, unknown> | undefined>;
  until(
    predicate: () => Promise<boolean> | boolean,
    what: string,
    timeoutMs?: number
  ): Promise<void>;
  close(): Promise<void>;
}

export async function startLab(): Promise<Lab> {
  const org = await startTestOrg();
  const backCheck = await startBackCheckSimulator({ port: 0 });
  const db = await createTestDatabase();
  // The service's clients go through this fetch: a test can take Salesforce away.
  const state = { down: false };
  const salesforce = org.clients({
    fetch: (input, init) =>
      state.down
        ? Promise.reject(new TypeError('fetch failed (Salesforce made unreachable by the test)'))
        : fetch(input, init)
  });
  const admin = org.adminClients();
  const contact = await admin.rest.createMany(
    'Contact',
    [{ FirstName: 'Ada', LastName: 'Lovelace' }],
    {
      allOrNone: true
    }
  );
  const contactId = String(contact[0]?.id);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: db.url,
    HTTP_PORT: '0',
    SERVICE_API_TOKENS: `${API_TOKEN},${OTHER_SERVICE_TOKEN}`,
    BACKGROUND_CHECK_API_TOKENS: API_TOKEN,
    SF_INSTANCE_URL: org.emulator.instanceUrl,
    SF_CLIENT_ID: DEFAULT_CLIENT_ID,
    SF_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
    BACKCHECK_BASE_URL: backCheck.url,
    BACKCHECK_API_KEY: backCheck.apiKey,
    BACKCHECK_WEBHOOK_SECRET: backCheck.webhookSecret,
    BACKCHECK_TIMEOUT_MS: '5000',
    BACKGROUND_CHECK_BATCH_WAIT_MS: '20',
    BACKGROUND_CHECK_RETRY_LIMIT: '3',
    BACKGROUND_CHECK_RETRY_DELAY_S: '1',
    BACKGROUND_CHECK_SWEEP_INTERVAL_MS: '100',
    BACKGROUND_CHECK_POLL_INTERVAL_MS: '200',
    // Read once at start: every read is an API call, which the delivery test counts.
    BACKGROUND_CHECK_KILL_SWITCH_INTERVAL_MS: '600000'
  };
  let passportSeq = 0;
  const lab: Lab = {
    org,
    backCheck,
    db,
    salesforce,
    admin,
    service: undefined,
    env,
    get salesforceDown() {
      return state.down;
    },
    set salesforceDown(down: boolean) {
      state.down = down;
    },
    logs: [],
    async startService(overrides = {}, hooks = {}, options = {}) {
      const service = createBackgroundCheckService({
        leaseRetryMs: 100,
        outboxPollMs: 100,
        queuePollSeconds: 0.5,
        ...hooks
      });
      const loaded = loadProcessConfig({ ...env, ...overrides }, [service]);
      const logger = options.captureLogs
        ? createLogger({
            level: 'debug',
            service: 'background-check-test',
            destination: { write: (line: string) => void lab.logs.push(line) }
          })
        : undefined;
      lab.service = await startPlatform(loaded.platform, {
        name: 'background-check-test',
        services: loaded.services,
        salesforce,
        logger
      });
      backCheck.control.setCallbackUrl(`${lab.service.url}/backcheck/callbacks`);
      return lab.service;
    },
    async stopService() {
      await lab.service?.stop();
      lab.service = undefined;
    },
    async createApplication(options = {}) {
      passportSeq += 1;
      const passportNumber = options.passportNumber ?? `PA${String(1_000_000 + passportSeq)}`;
      const requestedAt = new Date().toISOString();
      const [application] = await admin.rest.createMany(
        'Passport_Application__c',
        [
          {
            Applicant__c: contactId,
            Status__c: 'Background Check Pending',
            Passport_Number__c: passportNumber,
            Nationality__c: 'GB',
            Date_Of_Birth__c: '1990-12-10',
            Background_Check_Requested_At__c: requestedAt
          }
        ],
        { allOrNone: true }
      );
      const applicationId = String(application?.id);
      const photo = options.photo ?? jpegBytes(64 * 1024);
      const [version] = await admin.rest.createMany(
        'ContentVersion',
        [
          {
            Title: 'Photo',
            PathOnClient: options.fileName ?? 'photo.jpg',
            VersionData: Buffer.from(photo).toString('base64'),
            FirstPublishLocationId: applicationId
          }
        ],
        { allOrNone: true }
      );
      if (!version?.success) throw new Error(`ContentVersion: ${JSON.stringify(version)}`);
      const contentVersionId = String(version.id);
      return {
        applicationId,
        contentVersionId,
        body: {
          applicationId,
          contentVersionId,
          applicant: {
            firstName: 'Ada',
            lastName: 'Lovelace',
            birthdate: '1990-12-10',
            passportNumber,
            nationality: 'GB'
          },
          requestedAt
        }
      };
    },
    async resubmit(applicationId, options = {}) {
      const requestedAt = new Date(Date.now() + 1000).toISOString();
      await admin.rest.updateMany(
        'Passport_Application__c',
        [
          {
            Id: applicationId,
            Status__c: 'Background Check Pending',
            Background_Check_Requested_At__c: requestedAt
          }
        ],
        { allOrNone: true }
      );
      if (!options.photo) return { requestedAt };
      const [version] = await admin.rest.createMany(
        'ContentVersion',
        [
          {
            Title: 'Photo',
            PathOnClient: 'photo.jpg',
            VersionData: Buffer.from(options.photo).toString('base64'),
            FirstPublishLocationId: applicationId
          }
        ],
        { allOrNone: true }
      );
      return { requestedAt, contentVersionId: String(version?.id) };
    },
    async seedPending(count, tag) {
      const ids = await org.fixtures(
        'Passport_Application__c',
        Array.from({ length: count }, () => ({
          Applicant__c: contactId,
          Status__c: 'Background Check Pending'
        }))
      );
      const references = ids.map((_, i) => `bck_${tag}_${i}`);
      await db.pool.query(
        `INSERT INTO background_checks
           (application_id, idempotency_key, request_hash, content_version_id, state, reference,
            requested_at, deadline_at, expire_at, submitted_at)
         SELECT id, 'bgc-' || id, 'seeded', '068000000000000AAA', 'accepted', ref, now(),
                now() + interval '3 days', now() + interval '5 days', now()
           FROM unnest($1::text[], $2::text[]) AS s(id, ref)`,
        [ids, references]
      );
      return ids.map((applicationId, i) => ({ applicationId, reference: references[i] as string }));
    },
    async submit(body, key, token = API_TOKEN) {
      const id = (body as { applicationId?: string }).applicationId;
      const response = await fetch(`${lab.service?.url}/background-checks`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${token}`,
          'Idempotency-Key': key ?? `bgc-${id}`
        },
        body: JSON.stringify(body)
      });
      const text = await response.text();
      return {
        status: response.status,
        json: text ? (JSON.parse(text) as Record<string, unknown>) : {}
      };
    },
    async application(id) {
      const [record] = await admin.rest.queryByIds('Passport_Application__c', APPLICATION_FIELDS, [
        id
      ]);
      return record ?? {};
    },
    async row(applicationId) {
      const { rows } = await db.pool.query<Record<string, unknown>>(
        'SELECT * FROM background_checks WHERE application_id = $1',
        [applicationId]
      );
      return rows[0];
    },
    until: (predicate, what, timeoutMs = 20_000) =>
      until(predicate, what, { timeoutMs, intervalMs: 50 }),
    async close() {
      await lab.stopService();
      salesforce.close();
      admin.close();
      await backCheck.close();
      await org.close();
      await db.drop();
    }
  };
  return lab;
}

/** A callback body as BackCheck sends it, and its signature header (now). */
export function signedCallback(
  secret: string,
  check: { applicationId: string; reference: string },
  result: 'clear' | 'not_clear' | 'inconclusive' = 'clear'
): { raw: string; signature: string } {
  const raw = JSON.stringify({
    reference: check.reference,
    clientReference: check.applicationId,
    result,
    notes: result === 'clear' ? null : 'See the agency report.',
    completedAt: new Date().toISOString(),
    eventId: `evt_${randomUUID().replace(/-/g, '')}`
  });
  return { raw, signature: signCallback(secret, raw, Math.floor(Date.now() / 1000)) };
}

/** Every BackCheck check completes now and its callbacks go out. */
export async function completeChecks(lab: Lab): Promise<void> {
  lab.backCheck.control.advanceClock(4 * 24 * 3_600_000);
  await lab.backCheck.control.callbacksSettled();
}
