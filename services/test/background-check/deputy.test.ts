// The submit is checked against Salesforce before 202 (review finding 2, confused deputy): a
// token holder cannot have BackCheck check another application's photo or invented data, nor put
// a result on an application that is not waiting for one; a forged request stores nothing, so it
// cannot block the genuine submit; only BACKGROUND_CHECK_API_TOKENS may submit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { completeChecks, OTHER_SERVICE_TOKEN, startLab, type Lab } from './harness.ts';

let lab: Lab;
before(async () => {
  lab = await startLab();
  await lab.startService();
});
after(async () => lab?.close());

const INVENTED = {
  firstName: 'Mallory',
  lastName: 'Forger',
  birthdate: '1970-01-01',
  passportNumber: 'XX999999',
  nationality: 'ZZ'
};

/** Salesforce saw no write by the service: no reference, no result, status unchanged. */
async function untouched(applicationId: string, status: string): Promise<void> {
  const record = await lab.application(applicationId);
  assert.equal(record.Status__c, status);
  assert.equal(record.Background_Check_Reference__c ?? null, null);
  assert.equal(record.Background_Check_Result__c ?? null, null);
}

test("the reviewer's attack: a Draft application with another application's photo and invented data is refused, BackCheck never called, nothing written", async () => {
  const victim = await lab.createApplication();
  const target = await lab.createApplication();
  await lab.admin.rest.updateMany(
    'Passport_Application__c',
    [{ Id: target.applicationId, Status__c: 'Draft' }],
    { allOrNone: true }
  );
  const before = lab.backCheck.control.checks().length;
  const forged = await lab.submit({
    applicationId: target.applicationId,
    contentVersionId: victim.contentVersionId,
    applicant: INVENTED,
    requestedAt: target.body.requestedAt
  });
  assert.equal(forged.status, 409);
  assert.equal(forged.json.error, 'not_pending');
  assert.equal(await lab.row(target.applicationId), undefined);
  // Even on a Pending application, another application's photo is refused.
  const photo = await lab.submit({ ...victim.body, contentVersionId: target.contentVersionId });
  assert.equal(photo.status, 422);
  assert.equal(photo.json.error, 'photo_not_linked');
  assert.equal(await lab.row(victim.applicationId), undefined);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(lab.backCheck.control.checks().length, before);
  await untouched(target.applicationId, 'Draft');
  await untouched(victim.applicationId, 'Background Check Pending');
});

test("another requestedAt than the application's is refused (409 not_pending), nothing stored", async () => {
  const app = await lab.createApplication();
  const stale = new Date(Date.parse(app.body.requestedAt) - 60_000).toISOString();
  const answer = await lab.submit({ ...app.body, requestedAt: stale });
  assert.equal(answer.status, 409);
  assert.equal(answer.json.error, 'not_pending');
  assert.equal(await lab.row(app.applicationId), undefined);
});

test('an older version of the linked photo is refused (422): only the latest version is sent', async () => {
  const app = await lab.createApplication();
  const [document] = await lab.admin.rest.queryRecords<{ ContentDocumentId: string }>(
    `SELECT ContentDocumentId FROM ContentVersion WHERE Id = '${app.contentVersionId}'`
  );
  await lab.admin.rest.createMany(
    'ContentVersion',
    [
      {
        ContentDocumentId: document?.ContentDocumentId,
        Title: 'Photo',
        PathOnClient: 'photo2.jpg',
        VersionData: Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2, 3, 4, 5]).toString('base64')
      }
    ],
    { allOrNone: true }
  );
  const answer = await lab.submit(app.body);
  assert.equal(answer.status, 422);
  assert.equal(answer.json.error, 'photo_not_linked');
  assert.equal(await lab.row(app.applicationId), undefined);
});

test("the applicant data sent to BackCheck is Salesforce's, not the body's; a forged body first does not block the genuine submit", async () => {
  // Salesforce's passport number ends in 1 (BackCheck simulator: clear); the invented one in 9
  // (not_clear): the outcome shows which data BackCheck checked.
  const app = await lab.createApplication({ passportNumber: 'PA7654321' });
  // A forger with the right ids and time but invented data: what is recorded is Salesforce's
  // data, so the genuine request afterwards is the same request (replayed), not a conflict.
  const forged = await lab.submit({ ...app.body, applicant: INVENTED });
  assert.equal(forged.status, 202);
  const genuine = await lab.submit(app.body);
  assert.equal(genuine.status, 202);
  await lab.until(async () => (await lab.row(app.applicationId))?.state === 'accepted', 'accepted');
  const sent = lab.backCheck.control
    .checks()
    .filter((check) => check.clientReference === app.applicationId);
  assert.equal(sent.length, 1);
  await completeChecks(lab);
  await lab.until(
    async () => (await lab.application(app.applicationId)).Status__c === 'Approved',
    "Approved: BackCheck checked Salesforce's data"
  );
});

test("another service's token (valid for the platform) cannot submit checks: 403, nothing stored", async () => {
  const app = await lab.createApplication();
  const answer = await lab.submit(app.body, undefined, OTHER_SERVICE_TOKEN);
  assert.equal(answer.status, 403);
  assert.equal(answer.json.error, 'forbidden');
  assert.equal(await lab.row(app.applicationId), undefined);
});
