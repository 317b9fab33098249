// The check's outcome is personal data: it is in Salesforce and the log table, never in the
// logs next to the application id (review finding 9). Through the callback and through the
// fallback poll, at every level down to debug, no line holding the application id holds the
// result.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TEST_PASSPORTS } from '../../../simulators/backcheck/src/server.ts';
import { completeChecks, startLab, type Lab } from './harness.ts';

let lab: Lab;
before(async () => {
  lab = await startLab();
  await lab.startService({ BACKGROUND_CHECK_DEADLINE_MS: '1500' }, {}, { captureLogs: true });
});
after(async () => lab?.close());

const RESULT_WORDS = /not_clear|Not Clear|Rejected|"result"/;

function leaks(applicationId: string): string[] {
  return lab.logs.filter((line) => line.includes(applicationId) && RESULT_WORDS.test(line));
}

async function rejected(lose: boolean): Promise<string> {
  const app = await lab.createApplication({ passportNumber: TEST_PASSPORTS.notClear });
  assert.equal((await lab.submit(app.body)).status, 202);
  await lab.until(async () => (await lab.row(app.applicationId))?.state === 'accepted', 'accepted');
  if (lose) lab.backCheck.control.injectCallbackFault({ kind: 'lose' });
  await completeChecks(lab);
  await lab.until(
    async () => (await lab.row(app.applicationId))?.state === 'delivered',
    'delivered'
  );
  lab.backCheck.control.clearCallbackFaults();
  return app.applicationId;
}

test('a result by callback: the logs say a result arrived, not which', async () => {
  const applicationId = await rejected(false);
  assert.ok(
    lab.logs.some((line) => line.includes(applicationId) && line.includes('BackCheck callback')),
    'the callback is logged'
  );
  assert.deepEqual(leaks(applicationId), []);
});

test('a result by the fallback poll: the logs say a result arrived, not which', async () => {
  const applicationId = await rejected(true);
  assert.ok(
    lab.logs.some((line) => line.includes(applicationId) && line.includes('fallback poll')),
    'the poll is logged'
  );
  assert.deepEqual(leaks(applicationId), []);
});
