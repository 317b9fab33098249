// `npm start` (the lab): the platform on a real PostgreSQL, connected to a Salesforce org
// emulator through the OAuth client-credentials flow, answering health, readiness and metrics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startLab, type Lab } from '../src/lab.ts';
import { createTestDatabase } from './helpers/database.ts';

describe('the lab (npm start)', () => {
  let lab: Lab;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  before(async () => {
    database = await createTestDatabase();
    lab = await startLab({
      env: { DATABASE_URL: database.url, HTTP_PORT: '0', LOG_LEVEL: 'warn' },
      emulatorHttpPort: 0,
      emulatorGrpcPort: 0
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

  test('is ready only once PostgreSQL and Salesforce answer', async () => {
    const ready = await fetch(`${lab.servicesUrl}/readyz`);
    const body = (await ready.json()) as { checks?: Record<string, unknown> };
    assert.equal(ready.status, 200, JSON.stringify(body));
    assert.match(JSON.stringify(body), /salesforce/);
    assert.match(JSON.stringify(body), /database/);
  });

  test('exposes liveness and Prometheus metrics', async () => {
    assert.equal((await fetch(`${lab.servicesUrl}/healthz`)).status, 200);
    const metrics = await (await fetch(`${lab.servicesUrl}/metrics`)).text();
    assert.match(metrics, /process_cpu_user_seconds_total/);
  });
});
