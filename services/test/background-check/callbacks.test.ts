// BackCheck's callbacks: only a body signed with the shared secret within 5 minutes of our clock
// is applied, each eventId once; unknown references answer 404, a second result for a completed
// check is a harmless 200. The simulator's faults (duplicate, reorder) end with the right result,
// a lost callback is completed by the fallback poll, and a result that arrives while Salesforce
// is unreachable is delivered once it is back.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { signCallback, TEST_PASSPORTS } from '../../../simulators/backcheck/src/server.ts';
import { completeChecks, startLab, type Lab } from './harness.ts';

let lab: Lab;
before(async () => {
  lab = await startLab();
  // A short deadline: a check without a callback is polled within a second.
  await lab.startService({ BACKGROUND_CHECK_DEADLINE_MS: '1500' });
});
after(async () => lab?.close());

async function acceptedCheck(passportNumber?: string) {
  const app = await lab.createApplication({ passportNumber });
  assert.equal((await lab.submit(app.body)).status, 202);
  await lab.until(async () => (await lab.row(app.applicationId))?.state === 'accepted', 'accepted');
  const row = await lab.row(app.applicationId);
  return { ...app, reference: String(row?.reference) };
}

function callbackBody(reference: string, clientReference: string, eventId = `evt_${randomUUID()}`) {
  return JSON.stringify({
    reference,
    clientReference,
    result: 'clear',
    notes: null,
    completedAt: new Date().toISOString(),
    eventId
  });
}

async function post(raw: string, signature: string | undefined) {
  const response = await fetch(`${lab.service?.url}/backcheck/callbacks`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(signature === undefined ? {} : { 'BackCheck-Signature': signature })
    },
    body: raw
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const nowS = () => Math.floor(Date.now() / 1000);

test('forged, stale, unsigned and tampered callbacks are refused (401) and change nothing', async () => {
  const check = await acceptedCheck();
  const raw = callbackBody(check.reference, check.applicationId);
  const secret = lab.backCheck.webhookSecret;
  assert.equal((await post(raw, undefined)).status, 401);
  assert.equal((await post(raw, signCallback('not-the-secret', raw, nowS()))).status, 401);
  assert.equal((await post(raw, signCallback(secret, raw, nowS() - 301))).status, 401);
  assert.equal((await post(raw, signCallback(secret, raw, nowS() + 301))).status, 401);
  assert.equal((await post(raw, 't=abc,v1=zz')).status, 401);
  // Signed over other bytes (the same JSON re-serialized with a space): refused.
  assert.equal((await post(raw.replace(',', ', '), signCallback(secret, raw, nowS()))).status, 401);
  assert.equal((await lab.row(check.applicationId))?.state, 'accepted');
  assert.equal((await lab.row(check.applicationId))?.callback_received_at, null);
});

test('a resent event is 200 duplicate, an eventId reused on another check 409, an unknown reference 404, a second result a harmless 200', async () => {
  const check = await acceptedCheck();
  const other = await acceptedCheck();
  const secret = lab.backCheck.webhookSecret;
  const eventId = `evt_${randomUUID()}`;
  const raw = callbackBody(check.reference, check.applicationId, eventId);
  const first = await post(raw, signCallback(secret, raw, nowS()));
  assert.equal(first.status, 200);
  assert.equal(first.json.status, 'recorded');
  // Our 200 was lost: BackCheck resends the same event; it must stop retrying.
  const resent = await post(raw, signCallback(secret, raw, nowS()));
  assert.equal(resent.status, 200);
  assert.equal(resent.json.status, 'duplicate');
  const reused = callbackBody(other.reference, other.applicationId, eventId);
  const replay = await post(reused, signCallback(secret, reused, nowS()));
  assert.equal(replay.status, 409);
  assert.equal(replay.json.error, 'replayed');
  assert.equal((await lab.row(other.applicationId))?.state, 'accepted');
  const second = callbackBody(check.reference, check.applicationId);
  const duplicate = await post(second, signCallback(secret, second, nowS()));
  assert.equal(duplicate.status, 200);
  assert.equal(duplicate.json.status, 'duplicate');
  const unknown = callbackBody('bck_01UNKNOWN00000000000000000', check.applicationId);
  assert.equal((await post(unknown, signCallback(secret, unknown, nowS()))).status, 404);
  await lab.until(
    async () => (await lab.application(check.applicationId)).Status__c === 'Approved',
    'Approved'
  );
});

test("the simulator's duplicated and reordered callbacks end with each application's own result", async () => {
  const clear = await acceptedCheck(TEST_PASSPORTS.clear);
  const notClear = await acceptedCheck(TEST_PASSPORTS.notClear);
  lab.backCheck.control.injectCallbackFault({ kind: 'duplicate' });
  lab.backCheck.control.injectCallbackFault({ kind: 'reorder', count: 2 });
  await completeChecks(lab);
  lab.backCheck.control.releaseHeldCallbacks();
  await lab.backCheck.control.callbacksSettled();
  await lab.until(
    async () => (await lab.application(clear.applicationId)).Status__c === 'Approved',
    'Approved'
  );
  await lab.until(
    async () => (await lab.application(notClear.applicationId)).Status__c === 'Rejected',
    'Rejected'
  );
  lab.backCheck.control.clearCallbackFaults();
});

test('a lost callback: the deadline sweep flags the check and the status poll completes it', async () => {
  const check = await acceptedCheck(TEST_PASSPORTS.notClear);
  lab.backCheck.control.injectCallbackFault({ kind: 'lose' });
  await completeChecks(lab);
  await lab.until(
    async () => (await lab.row(check.applicationId))?.flagged_at != null,
    'flagged overdue'
  );
  await lab.until(
    async () => (await lab.application(check.applicationId)).Status__c === 'Rejected',
    'Rejected by the poll'
  );
  await lab.until(
    async () => (await lab.row(check.applicationId))?.state === 'delivered',
    'delivered'
  );
  const row = await lab.row(check.applicationId);
  assert.equal(row?.callback_received_at, null);
  assert.equal(
    (await lab.application(check.applicationId)).Background_Check_Result__c,
    'Not Clear'
  );
  lab.backCheck.control.clearCallbackFaults();
});

test('Salesforce unreachable: the result is kept and delivered once it is back', async () => {
  const check = await acceptedCheck();
  lab.salesforceDown = true;
  try {
    await completeChecks(lab);
    await lab.until(
      async () => (await lab.row(check.applicationId))?.state === 'completed',
      'result recorded'
    );
    await lab.until(
      async () => Number((await lab.row(check.applicationId))?.delivery_attempts) >= 1,
      'a write attempted and failed'
    );
    assert.equal(
      (await lab.application(check.applicationId)).Status__c,
      'Background Check Pending'
    );
  } finally {
    lab.salesforceDown = false;
  }
  await lab.until(
    async () => (await lab.application(check.applicationId)).Status__c === 'Approved',
    'Approved after the outage',
    30_000
  );
  await lab.until(
    async () => (await lab.row(check.applicationId))?.state === 'delivered',
    'delivered'
  );
});
