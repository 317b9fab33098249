// The photo on its way from Salesforce Files to BackCheck: read as the integration user (a file
// is visible through the application it is linked to), streamed, and refused for good (the
// application goes to Error with a reason, no BackCheck call) when it is not a JPEG/PNG, larger
// than BackCheck's 10 MB, or not visible.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pngBytes } from '../../../simulators/backcheck/test/helpers/backcheck.ts';
import { startLab, type Lab } from './harness.ts';

let lab: Lab;
before(async () => {
  lab = await startLab();
  await lab.startService();
});
after(async () => lab?.close());

async function errorWith(applicationId: string, pattern: RegExp): Promise<void> {
  await lab.until(async () => (await lab.row(applicationId))?.state === 'failed', 'failed');
  await lab.until(
    async () => (await lab.application(applicationId)).Status__c === 'Error',
    'Error on the application'
  );
  const record = await lab.application(applicationId);
  assert.match(String(record.Background_Check_Notes__c), pattern);
  assert.equal(record.Background_Check_Result__c ?? null, null);
}

test('a PNG linked to the application is read by the integration user and sent', async () => {
  const app = await lab.createApplication({ photo: pngBytes(300 * 1024), fileName: 'scan.png' });
  assert.equal((await lab.submit(app.body)).status, 202);
  await lab.until(async () => (await lab.row(app.applicationId))?.state === 'accepted', 'accepted');
  const check = lab.backCheck.control.checks().find((c) => c.clientReference === app.applicationId);
  assert.equal(check?.photo.contentType, 'image/png');
  assert.equal(check?.photo.bytes, 300 * 1024);
});

test('a PDF named .jpg is refused by its first bytes: Error, BackCheck never called', async () => {
  const before = lab.backCheck.control.checks().length;
  const app = await lab.createApplication({ photo: Buffer.from('%PDF-1.7 not an image at all') });
  assert.equal((await lab.submit(app.body)).status, 202);
  await errorWith(app.applicationId, /neither a JPEG nor a PNG/);
  assert.equal(lab.backCheck.control.checks().length, before);
});

test('a 20 MB photo is refused while streaming (over 10 MB): Error with the reason', async () => {
  const photo = Buffer.alloc(20 * 1024 * 1024, 7);
  photo.set([0xff, 0xd8, 0xff, 0xe0]);
  const app = await lab.createApplication({ photo });
  assert.equal((await lab.submit(app.body)).status, 202);
  await errorWith(app.applicationId, /larger than 10 MB/);
});

test('a file linked to no application is refused at once (422 photo_not_linked): nothing stored or sent', async () => {
  const app = await lab.createApplication();
  const [other] = await lab.admin.rest.createMany(
    'ContentVersion',
    [
      {
        Title: 'Private',
        PathOnClient: 'p.jpg',
        VersionData: Buffer.from([0xff, 0xd8, 0xff, 0, 1, 2, 3, 4, 5]).toString('base64')
      }
    ],
    { allOrNone: true }
  );
  const before = lab.backCheck.control.checks().length;
  const refused = await lab.submit({ ...app.body, contentVersionId: other?.id });
  assert.equal(refused.status, 422);
  assert.equal(refused.json.error, 'photo_not_linked');
  assert.equal(await lab.row(app.applicationId), undefined);
  assert.equal(lab.backCheck.control.checks().length, before);
});
