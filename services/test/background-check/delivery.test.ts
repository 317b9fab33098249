// Results reach Salesforce in batches: a burst of callbacks for pending checks costs one sObject
// Collections call per 200 results; a record Salesforce refuses is taken out of the batch and
// retried alone through the job queue while the others are delivered.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DELIVER_QUEUE } from '../../src/background-check/checks.ts';
import { API_TOKEN, signedCallback, startLab, type Lab } from './harness.ts';

const BURST = Number(process.env.BGC_TEST_BURST ?? 10_000);

let lab: Lab;
before(async () => {
  lab = await startLab();
  await lab.startService({ BACKGROUND_CHECK_BATCH_WAIT_MS: '200' });
});
after(async () => lab?.close());

async function post(callback: { raw: string; signature: string }): Promise<number> {
  const response = await fetch(`${lab.service?.url}/backcheck/callbacks`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'BackCheck-Signature': callback.signature },
    body: callback.raw
  });
  await response.arrayBuffer();
  return response.status;
}

async function burst(checks: Array<{ applicationId: string; reference: string }>): Promise<void> {
  const secret = lab.backCheck.webhookSecret;
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < checks.length) {
        const check = checks[next++]!;
        assert.equal(await post(signedCallback(secret, check)), 200);
      }
    })
  );
}

async function delivered(tag: string): Promise<number> {
  const { rows } = await lab.db.pool.query<{ n: string }>(
    "SELECT count(*) AS n FROM background_checks WHERE reference LIKE $1 AND state = 'delivered'",
    [`bck_${tag}_%`]
  );
  return Number(rows[0]?.n);
}

test(`a burst of ${BURST} callbacks all land, at most one API call per 100 results`, async () => {
  const checks = await lab.seedPending(BURST, 'burst');
  const calls = lab.salesforce.meter.total();
  await burst(checks);
  await lab.until(async () => (await delivered('burst')) === BURST, 'all delivered', 120_000);
  const spent = lab.salesforce.meter.total() - calls;
  assert.ok(spent <= BURST / 100, `${spent} API calls for ${BURST} results`);
  const sample = await lab.application(checks[BURST - 1]!.applicationId);
  assert.equal(sample.Status__c, 'Approved');
  assert.equal(sample.Background_Check_Result__c, 'Clear');
});

test('a record Salesforce refuses is retried alone; the rest of its batch is delivered', async () => {
  const checks = await lab.seedPending(5, 'refused');
  // The application is deleted in Salesforce: its write is refused (ENTITY_IS_DELETED).
  await lab.admin.rest.deleteMany([checks[2]!.applicationId], { allOrNone: true });
  await burst(checks);
  await lab.until(async () => (await delivered('refused')) === 4, 'the four others delivered');
  await lab.until(
    async () => (await lab.row(checks[2]!.applicationId))?.delivery_error != null,
    'the refused one noted'
  );
  const refused = await lab.row(checks[2]!.applicationId);
  assert.equal(refused?.state, 'completed');
  assert.equal(refused?.next_delivery_at, null, 'out of the batch loop');
  assert.match(String(refused?.delivery_error), /ENTITY_IS_DELETED|NOT_FOUND|INVALID/);
  const { rows } = await lab.db.pool.query(
    `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND data->>'applicationId' = $2`,
    [DELIVER_QUEUE, checks[2]!.applicationId]
  );
  assert.equal(rows[0]?.n, 1, 'one deliver job of its own');
});

test('/metrics counts callbacks by outcome, results written and the checks by state', async () => {
  const response = await fetch(`${lab.service?.url}/metrics`, {
    headers: { Authorization: `Bearer ${API_TOKEN}` }
  });
  const text = await response.text();
  assert.match(text, /background_check_callbacks_total\{outcome="recorded"\} \d+/);
  assert.match(text, /background_check_results_written_total \d+/);
  assert.match(text, /background_check_results_refused_total [1-9]/);
  assert.match(text, /background_check_checks\{state="delivered"\} \d+/);
});
