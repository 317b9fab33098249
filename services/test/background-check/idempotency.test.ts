// POST /background-checks is idempotent per application (Idempotency-Key bgc-<application id>):
// the same request answers the current state without a second check; another request while the
// check runs is 409 conflict; after the previous attempt ended in a failure state another request
// starts attempt 2 (a new BackCheck check).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jpegBytes } from '../../../simulators/backcheck/test/helpers/backcheck.ts';
import { loadContract, startLab, type Lab } from './harness.ts';

let lab: Lab;
before(async () => {
  lab = await startLab();
  await lab.startService();
});
after(async () => lab?.close());

test('same key and body: replayed, one row, one BackCheck check', async () => {
  const app = await lab.createApplication();
  const answers = await Promise.all([
    lab.submit(app.body),
    lab.submit(app.body),
    lab.submit(app.body)
  ]);
  for (const answer of answers) assert.equal(answer.status, 202);
  await lab.until(async () => (await lab.row(app.applicationId))?.state === 'accepted', 'accepted');
  const replay = await lab.submit(app.body);
  assert.equal(replay.json.state, 'accepted');
  assert.equal(
    lab.backCheck.control.checks().filter((c) => c.clientReference === app.applicationId).length,
    1
  );
  assert.equal((await lab.row(app.applicationId))?.attempts, 1);
});

test('a new request (Salesforce resubmitted) while the check runs: 409 conflict (the contract answer)', async () => {
  const contract = loadContract();
  const app = await lab.createApplication();
  assert.equal((await lab.submit(app.body)).status, 202);
  const { requestedAt } = await lab.resubmit(app.applicationId);
  const other = await lab.submit({ ...app.body, requestedAt });
  assert.equal(other.status, contract.responses.conflict!.httpStatus);
  assert.equal(other.json.error, contract.responses.conflict!.body.error);
});

test('after a failure state, another request starts attempt 2', async () => {
  const app = await lab.createApplication({ photo: Buffer.from('GIF89a not accepted') });
  assert.equal((await lab.submit(app.body)).status, 202);
  await lab.until(async () => (await lab.row(app.applicationId))?.state === 'failed', 'failed');
  await lab.until(
    async () => (await lab.application(app.applicationId)).Status__c === 'Error',
    'Error on the application'
  );
  // The same body again starts nothing: the application is no longer waiting for a check.
  const replay = await lab.submit(app.body);
  assert.equal(replay.status, 409);
  assert.equal(replay.json.error, 'not_pending');
  assert.equal((await lab.row(app.applicationId))?.attempts, 1);
  // The case worker attaches a real photo (a new File on the application) and submits again.
  const retry = await lab.resubmit(app.applicationId, { photo: jpegBytes(16 * 1024) });
  const again = await lab.submit({
    ...app.body,
    contentVersionId: retry.contentVersionId,
    requestedAt: retry.requestedAt
  });
  assert.equal(again.status, 202);
  assert.equal(again.json.state, 'submitted');
  await lab.until(
    async () => (await lab.row(app.applicationId))?.state === 'accepted',
    'attempt 2 accepted'
  );
  const row = await lab.row(app.applicationId);
  assert.equal(row?.attempts, 2);
  assert.equal(row?.error, null);
});
