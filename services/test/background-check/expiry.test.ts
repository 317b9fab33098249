// The service's own timeouts: a check without a result is flagged at its deadline and expired at
// its expiry; a late result for an expired check still lands; a resubmit of an expired check
// (Salesforce's timeout set it to Error, the case worker submits again) starts attempt 2.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { completeChecks, startLab, type Lab } from './harness.ts';

let lab: Lab;
before(async () => {
  lab = await startLab();
  await lab.startService({
    BACKGROUND_CHECK_DEADLINE_MS: '300',
    BACKGROUND_CHECK_EXPIRE_MS: '600',
    BACKGROUND_CHECK_POLL_INTERVAL_MS: '60000'
  });
});
after(async () => lab?.close());

async function expiredCheck() {
  const app = await lab.createApplication();
  assert.equal((await lab.submit(app.body)).status, 202);
  await lab.until(async () => (await lab.row(app.applicationId))?.state === 'expired', 'expired');
  const row = await lab.row(app.applicationId);
  assert.ok(row?.flagged_at, 'flagged at its deadline');
  return app;
}

test('expired, then a resubmit starts attempt 2 with a new BackCheck check', async () => {
  const app = await expiredCheck();
  const first = String((await lab.row(app.applicationId))?.reference);
  const { requestedAt } = await lab.resubmit(app.applicationId);
  const again = await lab.submit({ ...app.body, requestedAt });
  assert.equal(again.status, 202);
  await lab.until(
    async () =>
      (await lab.row(app.applicationId))?.reference !== null &&
      (await lab.row(app.applicationId))?.state !== 'submitted',
    'attempt 2 accepted'
  );
  const row = await lab.row(app.applicationId);
  assert.equal(row?.attempts, 2);
  assert.notEqual(row?.reference, first);
});

test('a late result for an expired check still lands', async () => {
  const app = await expiredCheck();
  await completeChecks(lab);
  await lab.until(
    async () => (await lab.application(app.applicationId)).Status__c === 'Approved',
    'Approved after expiry'
  );
});
