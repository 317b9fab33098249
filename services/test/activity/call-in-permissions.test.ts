// The call-in needs exactly what Integration_Service_User grants (the other call-in tests run
// with the shipped permission set and nothing more), and a grant taken away fails clearly: the
// refusal names the field or object, is logged and kept for retry, never silently dropped. The
// emulator loads a temporary copy of the project whose permission set lacks two grants.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../../../toolkit/src/project.ts';
import { GoalEventPublisher } from '../../src/activity/call-in/goal-events.ts';
import { SummaryPusher } from '../../src/activity/call-in/summary-push.ts';
import { all, dayOf, startCallInLab, type CallInLab } from './call-in-harness.ts';

type Json = Record<string, unknown>;

const PERMISSION_SET =
  'force-app/main/common/permissionsets/Integration_Service_User.permissionset-meta.xml';

/** Removes the <tag> block of the permission set that names `name`. */
function withoutGrant(xml: string, tag: string, name: string): string {
  const pattern = new RegExp(
    `\\s*<${tag}>(?:(?!</${tag}>)[\\s\\S])*?>${name}<(?:(?!</${tag}>)[\\s\\S])*</${tag}>`
  );
  assert.match(xml, pattern, `${tag} ${name} is granted in the shipped permission set`);
  return xml.replace(pattern, '');
}

describe('activity call-in with a grant missing from the integration user', () => {
  let lab: CallInLab;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'activity-perms-'));
    await cp(path.join(projectRoot(), 'sfdx-project.json'), path.join(dir, 'sfdx-project.json'));
    await cp(path.join(projectRoot(), 'force-app'), path.join(dir, 'force-app'), {
      recursive: true
    });
    let xml = await readFile(path.join(dir, PERMISSION_SET), 'utf8');
    xml = withoutGrant(xml, 'fieldPermissions', 'Daily_Activity_Summary__c.Steps__c');
    xml = withoutGrant(xml, 'objectPermissions', 'Activity_Goal_Reached__e');
    await writeFile(path.join(dir, PERMISSION_SET), xml);
    lab = await startCallInLab({ projectDir: dir });
    await lab.setSwitch(true);
  });
  after(async () => {
    await lab?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('summary: without the Steps__c grant the job fails naming the field, is logged, and nothing moves', async () => {
    await lab.contacts(['grace']);
    await lab.seedDays([{ userId: 'grace', day: dayOf(), steps: 5 }]);
    const push = new SummaryPusher({
      pool: lab.db.pool,
      bulkIngest: lab.salesforce.bulkIngest,
      rest: lab.salesforce.rest,
      killSwitch: lab.killSwitch,
      intervalMs: 60_000,
      settleMs: 1_000,
      maxRecordsPerJob: 1_000,
      poll: { initialDelayMs: 20, maxDelayMs: 100 }
    });
    const report = await push.runOnce();
    // The field is unknown to the user: Salesforce fails the whole job, naming it.
    assert.equal(report.outcome, 'failed');
    assert.match(String(report.error), /Steps__c/);
    const logs = await all<Json>(
      lab.admin,
      "SELECT Severity__c, Message__c, Reference__c FROM Integration_Log__c WHERE Source__c = 'Activity'"
    );
    assert.equal(logs.length, 1);
    assert.equal(logs[0]!.Reference__c, report.jobId);
    assert.match(String(logs[0]!.Message__c), /Steps__c/);
    // Nothing moved: the next run sends the same day again (a new job, the same failure here).
    const { rows } = await lab.db.pool.query(
      `SELECT pushed_through, last_job_id, pending_job_id FROM activity_summary_pushes`
    );
    assert.equal(rows[0].pending_job_id, null);
    assert.equal(rows[0].last_job_id, null);
    const again = await push.runOnce();
    assert.equal(again.outcome, 'failed');
    assert.equal(again.records, 1);
  });

  it('goal events: without create on Activity_Goal_Reached__e the publish fails naming the object, and is retried', async () => {
    await lab.db.pool.query(
      `INSERT INTO activity_users (user_id) VALUES ('heidi') ON CONFLICT DO NOTHING`
    );
    await lab.db.pool.query(
      `INSERT INTO activity_goals_reached (user_id, day, goal, steps) VALUES ('heidi', $1, 100, 120)`,
      [dayOf()]
    );
    const report = await new GoalEventPublisher({
      pool: lab.db.pool,
      rest: lab.salesforce.rest,
      killSwitch: lab.killSwitch,
      pollIntervalMs: 60_000,
      maxAttempts: 5,
      backoff: { initialDelayMs: 0, maxDelayMs: 0 }
    }).publishOnce();
    assert.equal(report.published, 0);
    assert.equal(report.failed, 1);
    const { rows } = await lab.db.pool.query(
      `SELECT attempts, last_error, published_at FROM activity_goals_reached`
    );
    assert.equal(rows[0].attempts, 1);
    assert.equal(rows[0].published_at, null);
    assert.match(
      rows[0].last_error,
      /Activity_Goal_Reached__e|INSUFFICIENT_ACCESS|NOT_FOUND|INVALID_TYPE/
    );
  });
});
