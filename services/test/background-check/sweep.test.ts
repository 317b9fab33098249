// Checks the submit job left behind (review finding 4) and polled answers that do not fit
// (finding 8):
//  - a row still `submitted` past its expiry (its job died without marking it) is failed by the
//    sweep and Error reaches the application, so a resubmit is not a conflict forever;
//  - a submit job dead-lettered (its final attempt crashed) fails its row the same way;
//  - a polled answer for another check (clientReference or reference not this row's) is logged
//    and not stored.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger, deadLetterQueueName } from '../../src/platform/index.ts';
import {
  Checks,
  NOT_STARTED_REASON,
  SUBMIT_DEAD_LETTER,
  SUBMIT_QUEUE
} from '../../src/background-check/checks.ts';
import { sweep } from '../../src/background-check/sweep.ts';
import type { BackCheckClient } from '../../src/background-check/backcheck-client.ts';
import { startLab, type Lab } from './harness.ts';

let lab: Lab;
before(async () => {
  lab = await startLab();
  await lab.startService();
});
after(async () => lab?.close());

/** A row as record() leaves it, whose submit job then died: `submitted`, no job, no reference. */
async function strandedRow(applicationId: string, contentVersionId: string, expireInMs: number) {
  await lab.db.pool.query(
    `INSERT INTO background_checks
       (application_id, idempotency_key, request_hash, content_version_id, applicant, state,
        requested_at, deadline_at, expire_at)
     VALUES ($1, 'bgc-' || $1, 'stranded', $2, '{}'::jsonb, 'submitted', now(), now(),
             now() + $3 * interval '1 millisecond')`,
    [applicationId, contentVersionId, expireInMs]
  );
}

async function errorDelivered(applicationId: string): Promise<void> {
  await lab.until(
    async () => (await lab.application(applicationId)).Status__c === 'Error',
    'Error on the application'
  );
  const row = await lab.row(applicationId);
  assert.equal(row?.state, 'failed');
  assert.equal(row?.applicant, null);
  assert.equal(
    (await lab.application(applicationId)).Background_Check_Notes__c,
    NOT_STARTED_REASON
  );
}

test('a check still submitted past its expiry is failed by the sweep; Error reaches Salesforce; a resubmit starts attempt 2', async () => {
  const app = await lab.createApplication();
  await strandedRow(app.applicationId, app.contentVersionId, -1000);
  await errorDelivered(app.applicationId);
  const { requestedAt } = await lab.resubmit(app.applicationId);
  const again = await lab.submit({ ...app.body, requestedAt });
  assert.equal(again.status, 202);
  assert.equal((await lab.row(app.applicationId))?.attempts, 2);
});

test('a dead-lettered submit job (its final attempt crashed) fails its row; Error reaches Salesforce', async () => {
  const app = await lab.createApplication();
  await strandedRow(app.applicationId, app.contentVersionId, 24 * 3_600_000);
  // What pg-boss does once the final attempt of a job dies (expired, or the handler threw).
  assert.equal(SUBMIT_DEAD_LETTER, deadLetterQueueName(SUBMIT_QUEUE));
  await lab.service!.queue!.send(SUBMIT_DEAD_LETTER, {
    applicationId: app.applicationId,
    attempt: 1
  });
  await errorDelivered(app.applicationId);
});

test('a polled answer for another check is logged and not stored', async () => {
  const [check] = await lab.seedPending(1, 'other');
  await lab.db.pool.query(
    `UPDATE background_checks SET deadline_at = now() - interval '1 second'
      WHERE application_id = $1`,
    [check!.applicationId]
  );
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void lines.push(line) }
  });
  const answers = [
    { reference: check!.reference, clientReference: 'a0X5g00000OTHERAAA' },
    { reference: 'bck_someone_else', clientReference: check!.applicationId }
  ];
  for (const ids of answers) {
    const backCheck = {
      status: async () => ({
        ...ids,
        status: 'completed',
        result: 'not_clear',
        notes: null,
        completedAt: new Date().toISOString()
      })
    } as unknown as BackCheckClient;
    await lab.db.pool.query(
      'UPDATE background_checks SET last_polled_at = NULL WHERE application_id = $1',
      [check!.applicationId]
    );
    const report = await sweep({
      pool: lab.db.pool,
      checks: new Checks({ pool: lab.db.pool } as ConstructorParameters<typeof Checks>[0]),
      backCheck,
      logger,
      pollIntervalMs: 0
    });
    assert.equal(report.completed, 0);
  }
  const row = await lab.row(check!.applicationId);
  assert.equal(row?.result, null);
  assert.equal(row?.state, 'accepted');
  assert.equal(lines.filter((line) => line.includes('answered for another check')).length, 2);
});
