// `npm start` (the lab): the platform on a real PostgreSQL, connected to a Salesforce org
// emulator through the OAuth client-credentials flow, answering health, readiness and metrics.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { emulatorMaxFileMb, startLab, type Lab } from '../src/lab.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET
} from '../../simulators/salesforce/src/emulator.ts';
import { createTestDatabase } from '../../services/test/helpers/database.ts';
import { eventually, until } from '../../toolkit/testing/wait.ts';
import { deriveDeviceKey } from '../../toolkit/src/device-key.ts';
import { startDeviceFleet } from '../../simulators/devices/src/fleet.ts';

const LAB_API_TOKEN = 'lab-test-api-token-0123456789abcdef';

describe('the lab (npm start)', () => {
  let lab: Lab;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  before(async () => {
    database = await createTestDatabase();
    lab = await startLab({
      env: {
        DATABASE_URL: database.url,
        HTTP_PORT: '0',
        LOG_LEVEL: 'warn',
        SERVICE_API_TOKENS: LAB_API_TOKEN,
        MEDIA_EMBEDDED_DIR: path.join(tmpdir(), `lab-media-${process.pid}`)
      },
      emulatorHttpPort: 0,
      emulatorGrpcPort: 0,
      sapPort: 0,
      securePayPort: 0,
      backCheckPort: 0,
      activityMqttPort: 0,
      mediaStoragePort: 0
    });
  });

  after(async () => {
    await lab?.stop();
    await database?.drop();
  });

  test('starts an emulated org when no Salesforce is configured', async () => {
    assert.equal(lab.emulated, true);
    assert.match(lab.salesforceUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    const versions = await fetch(`${lab.salesforceUrl}/services/data`);
    assert.equal(versions.status, 200);
  });

  test('runs the activity service on an embedded MQTT broker when MQTT_URL is unset', async () => {
    assert.equal(lab.activityBrokerEmbedded, true);
    assert.match(lab.activityMqttUrl, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(lab.activityDeviceKey);
    const ready = await fetch(`${lab.servicesUrl}/readyz`);
    assert.match(await ready.text(), /activity: ingest/);
  });

  test("a demo device's reading (the fleet simulator's ids and derived key) is in the Activity API", async () => {
    await until(
      async () => (await fetch(`${lab.servicesUrl}/readyz`)).status === 200,
      'the lab ready',
      20_000
    );
    const fleet = await startDeviceFleet({
      url: lab.activityMqttUrl,
      devices: 1,
      intervalMs: 1000,
      maxMessages: 1,
      password: (deviceId) => deriveDeviceKey(lab.activityDeviceKey ?? '', deviceId)
    });
    await fleet.done;
    const sent = fleet.report().expectedOverall.steps;
    const summary = await eventually(
      async () => {
        const answer = await fetch(`${lab.servicesUrl}/activity/users/fit-000001/summary`, {
          headers: { authorization: `Bearer ${LAB_API_TOKEN}` }
        });
        const body = (await answer.json()) as { readings: number; steps: number };
        return body.readings > 0 ? body : undefined;
      },
      'the reading in the Activity API',
      { timeoutMs: 10_000 }
    );
    assert.equal(summary.steps, sent);
  });

  test('is ready only once PostgreSQL and Salesforce answer', async () => {
    const ready = await fetch(`${lab.servicesUrl}/readyz`);
    const body = (await ready.json()) as { checks?: Record<string, unknown> };
    assert.equal(ready.status, 200, JSON.stringify(body));
    assert.match(JSON.stringify(body), /salesforce/);
    assert.match(JSON.stringify(body), /database/);
    assert.match(JSON.stringify(body), /sap/);
    // The Finance export logs in through the emulator's Finance app, as its own user.
    assert.match(JSON.stringify(body), /salesforce-finance"?:"ok"/);
    // The media service's embedded storage answers for its bucket.
    assert.match(JSON.stringify(body), /storage"?:"ok"/);
  });

  test('runs property-media: an image uploaded straight to the embedded storage is confirmed', async () => {
    const image = await sharp({
      create: { width: 640, height: 480, channels: 3, background: '#4a7' }
    })
      .jpeg()
      .toBuffer();
    const request = {
      storageKey: 'properties/LAB-1/0b0c0d0e-1f20-4a4b-8c5d-6e7f8091a2b3',
      contentType: 'image/jpeg',
      size: image.length,
      sha256: createHash('sha256').update(image).digest('hex')
    };
    const post = (pathname: string, body: unknown) =>
      fetch(`${lab.servicesUrl}${pathname}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${LAB_API_TOKEN}` },
        body: JSON.stringify(body)
      });
    const ticket = (await (await post('/media/uploads', request)).json()) as {
      uploadUrl: string;
      headers: Record<string, string>;
    };
    const stored = await fetch(ticket.uploadUrl, {
      method: 'PUT',
      headers: ticket.headers,
      body: image
    });
    assert.equal(stored.status, 200);
    const verdict = (await (await post('/media/uploads/confirm', request)).json()) as {
      status: string;
      width: number;
    };
    assert.equal(verdict.status, 'Available');
    assert.equal(verdict.width, 640);
  });

  test('runs account-sync: an account and its Account_Sync__e event end Success with a SAP number', async () => {
    assert.equal(lab.sapSimulated, true);
    assert.equal(lab.serviceToken, undefined, 'SERVICE_API_TOKENS was set: no lab token');
    // The services log in with client credentials: the integration user, holding exactly the
    // shipped permission set on the API-only profile.
    const login = await fetch(`${lab.salesforceUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: DEFAULT_CLIENT_ID,
        client_secret: DEFAULT_CLIENT_SECRET
      })
    });
    const { id: identity } = (await login.json()) as { id: string };
    const users = (await (
      await fetch(`${lab.salesforceUrl}/__emulator/users`, {
        headers: { authorization: `Bearer ${lab.driverSecret}` }
      })
    ).json()) as { users: Array<Record<string, unknown>> };
    const serviceUser = users.users.find((u) => identity.endsWith(`/${String(u.userId)}`));
    assert.equal(serviceUser?.username, 'integration@emulator.local');
    assert.equal(serviceUser?.profile, 'Minimum Access - API Only Integrations');
    assert.deepEqual(serviceUser?.permissionSets, ['Integration_Service_User']);
    // The Finance export's own user: exactly Finance_Export_Integration, nothing shared.
    const financeUser = users.users.find((u) => u.username === 'finance@emulator.local');
    assert.equal(financeUser?.profile, 'Minimum Access - API Only Integrations');
    assert.deepEqual(financeUser?.permissionSets, ['Finance_Export_Integration']);
    // A person in the org creates the account: the administrator, whose token the test driver
    // mints (the services' own client-credentials login is the integration user, who may only
    // read Accounts and edit their sync fields).
    const session = await fetch(`${lab.salesforceUrl}/__emulator/sessions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${lab.driverSecret}`,
        'content-type': 'application/json'
      },
      body: JSON.stringify({ username: 'admin@emulator.local' })
    });
    const { accessToken } = (await session.json()) as { accessToken: string };
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${lab.salesforceUrl}/services/data/v65.0/${path}`, {
        method,
        headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      });
      return (await response.json()) as Record<string, unknown>;
    };
    const { id } = await api('POST', 'sobjects/Account', {
      Name: 'Lab Customer',
      BillingCountry: 'DE',
      Sync_Status__c: 'Pending'
    });
    // What the Account_Sync_Publish_Create flow does in an org (the emulator runs no flows).
    await api('POST', 'sobjects/Account_Sync__e', { Account_Id__c: id, Operation__c: 'Create' });
    let account: Record<string, unknown> = {};
    await until(async () => {
      account = await api(
        'GET',
        `sobjects/Account/${String(id)}?fields=Sync_Status__c,SAP_Customer_Number__c`
      );
      return account.Sync_Status__c === 'Success';
    }, 'the account to be synced');
    assert.match(String(account.SAP_Customer_Number__c), /^\d{7}$/);
    const partnerUrl = `${lab.sapUrl}/__sim/partners/${String(account.SAP_Customer_Number__c)}`;
    assert.equal((await fetch(partnerUrl)).status, 401, 'control endpoints need the driver secret');
    const partner = await fetch(partnerUrl, {
      headers: { authorization: `Bearer ${lab.driverSecret}` }
    });
    assert.equal(
      ((await partner.json()) as { OrganizationBPName1: string }).OrganizationBPName1,
      'Lab Customer'
    );
  });

  test('runs payments: a charge through the SecurePay simulator is Authorised', async () => {
    assert.equal(lab.securePaySimulated, true);
    const tokenized = await fetch(`${lab.securePayUrl}/v2/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-merchant-code': '5AR0055' },
      body: JSON.stringify({
        cardNumber: '4111111111111111',
        expiryMonth: 12,
        expiryYear: new Date().getFullYear() + 2,
        cvv: '123'
      })
    });
    const { token } = (await tokenized.json()) as { token: string };
    const headers = {
      authorization: `Bearer ${LAB_API_TOKEN}`,
      'content-type': 'application/json',
      'idempotency-key': 'pay-lab-test-0001'
    };
    const charge = await fetch(`${lab.servicesUrl}/payments`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        amountMinor: 12550,
        currency: 'AUD',
        paymentToken: token,
        reference: 'INV-000042',
        recordId: 'a01000000000001AAA'
      })
    });
    const body = (await charge.json()) as { status: string };
    assert.equal(charge.status, 200, JSON.stringify(body));
    assert.equal(body.status, 'Authorised');
    const again = await fetch(`${lab.servicesUrl}/payments/pay-lab-test-0001`, { headers });
    assert.deepEqual(await again.json(), body);
    assert.equal((await fetch(`${lab.servicesUrl}/payments/pay-lab-test-0001`)).status, 401);
  });

  test('exposes liveness and Prometheus metrics', async () => {
    assert.equal((await fetch(`${lab.servicesUrl}/healthz`)).status, 200);
    let metrics = '';
    // After the account-sync test above (its batch finishes just after the write-back): the
    // service's own figures and the API calls it spent.
    await until(async () => {
      metrics = await (
        await fetch(`${lab.servicesUrl}/metrics`, {
          headers: { authorization: `Bearer ${LAB_API_TOKEN}` }
        })
      ).text();
      return (
        /account_sync_inbox_events 0/.test(metrics) &&
        /account_sync_batch_duration_seconds_count [1-9]/.test(metrics)
      );
    }, 'the batch in the metrics');
    assert.match(metrics, /process_cpu_user_seconds_total/);
    assert.match(metrics, /account_sync_accounts_total\{outcome="success"\} [1-9]/);
    assert.match(
      metrics,
      /account_sync_reconciled_accounts_total\{reason="start",operation="upsert"\} \d/
    );
    assert.match(metrics, /salesforce_api_calls_total\{[^}]*operation="rest\.query/);
  });
});

test('the lab emulator caps one uploaded file at 100 MB unless SF_EMULATOR_MAX_FILE_MB says', () => {
  assert.equal(emulatorMaxFileMb(undefined), 100);
  assert.equal(emulatorMaxFileMb(' '), 100);
  assert.equal(emulatorMaxFileMb('512'), 512);
  assert.throws(() => emulatorMaxFileMb('lots'), /SF_EMULATOR_MAX_FILE_MB/);
  assert.throws(() => emulatorMaxFileMb('4096'), /SF_EMULATOR_MAX_FILE_MB/);
});
