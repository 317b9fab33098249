// Scenario 3 end to end: Apex's request (the contract's shape) -> the log table -> the photo
// streamed from the org emulator to the BackCheck simulator -> signed callback -> the result on
// the application in the emulator, as the integration user with exactly the shipped permission
// set.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TEST_PASSPORTS } from '../../../simulators/backcheck/src/server.ts';
import { completeChecks, loadContract, startLab, type Lab } from './harness.ts';

let lab: Lab;
before(async () => {
  lab = await startLab();
  await lab.startService();
});
after(async () => lab?.close());

test('submit -> Pending with a reference -> callback -> Approved / Rejected / Error', async () => {
  const contract = loadContract();
  const apps = [];
  for (const passportNumber of [
    TEST_PASSPORTS.clear,
    TEST_PASSPORTS.notClear,
    TEST_PASSPORTS.inconclusive
  ]) {
    const app = await lab.createApplication({ passportNumber });
    const answer = await lab.submit({ ...app.body });
    assert.equal(answer.status, contract.responses.submitted!.httpStatus);
    assert.deepEqual(
      Object.keys(answer.json).sort(),
      Object.keys(contract.responses.submitted!.body).sort()
    );
    assert.equal(answer.json.state, 'submitted');
    assert.equal(answer.json.reference, null);
    apps.push(app);
  }
  for (const app of apps) {
    await lab.until(
      async () => (await lab.row(app.applicationId))?.state === 'accepted',
      'accepted by BackCheck'
    );
    // The same request again: the reference, state accepted (the contract's other 202).
    const again = await lab.submit(app.body);
    assert.equal(again.status, 202);
    assert.equal(again.json.state, 'accepted');
    assert.match(String(again.json.reference), /^bck_/);
    // BackCheck's reference reaches the Pending application before the result does.
    await lab.until(
      async () =>
        (await lab.application(app.applicationId)).Background_Check_Reference__c ===
        again.json.reference,
      'reference on the application'
    );
    assert.equal((await lab.application(app.applicationId)).Status__c, 'Background Check Pending');
  }
  // The photo arrived whole, as a JPEG, with the applicant's application as client reference.
  const checks = lab.backCheck.control.checks();
  assert.equal(checks.length, 3);
  for (const check of checks) {
    assert.equal(check.photo.bytes, 64 * 1024);
    assert.equal(check.photo.contentType, 'image/jpeg');
  }
  await completeChecks(lab);
  const expected = [
    ['Approved', 'Clear'],
    ['Rejected', 'Not Clear'],
    ['Error', 'Inconclusive']
  ];
  for (const [index, app] of apps.entries()) {
    await lab.until(
      async () => (await lab.row(app.applicationId))?.state === 'delivered',
      'delivered'
    );
    const record = await lab.application(app.applicationId);
    assert.equal(record.Status__c, expected[index]![0]);
    assert.equal(record.Background_Check_Result__c, expected[index]![1]);
    assert.match(String(record.Background_Check_Reference__c), /^bck_/);
    assert.ok(record.Background_Check_Completed_At__c);
  }
});

test('the contract example body is accepted as is (shape), other bodies are 400, no token 401', async () => {
  const contract = loadContract();
  const bad = await lab.submit({
    ...contract.submitRequest.body,
    applicant: { ...contract.submitRequest.body.applicant, nationality: 'GBR' }
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error, 'validation_failed');
  const unauthorized = await lab.submit(
    contract.submitRequest.body,
    undefined,
    'wrong-token-0123456789abcdef'
  );
  assert.equal(unauthorized.status, 401);
  const wrongKey = await lab.submit(contract.submitRequest.body, 'bgc-a0X5g00000ZZZZZEAV');
  assert.equal(wrongKey.status, 400);
});

test('BackCheck failing on submit (503, 500) is retried by the queue, then accepted; the photo is sent again', async () => {
  lab.backCheck.control.injectFailures({ status: 503, count: 1, methods: ['POST'] });
  lab.backCheck.control.injectFailures({ status: 500, count: 1, methods: ['POST'] });
  const app = await lab.createApplication();
  assert.equal((await lab.submit(app.body)).status, 202);
  await lab.until(
    async () => (await lab.row(app.applicationId))?.state === 'accepted',
    'accepted after two failures',
    30_000
  );
  lab.backCheck.control.clearFailures();
});

test('BackCheck failing past the retry limit: the check fails and the application shows Error', async () => {
  lab.backCheck.control.injectFailures({ status: 503, count: 100, methods: ['POST'] });
  try {
    const app = await lab.createApplication();
    assert.equal((await lab.submit(app.body)).status, 202);
    await lab.until(
      async () => (await lab.application(app.applicationId)).Status__c === 'Error',
      'Error after the retries',
      60_000
    );
    assert.match(
      String((await lab.application(app.applicationId)).Background_Check_Notes__c),
      /could not be reached after repeated attempts/
    );
  } finally {
    lab.backCheck.control.clearFailures();
  }
});
