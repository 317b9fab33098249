// Set-up of the activity call-in tests: the org emulator (schema and permission sets from
// force-app; the service logged in as the integration user holding exactly the shipped
// Integration_Service_User), a real PostgreSQL database of its own with the migrations applied,
// and the Activity kill switch read through the platform. Nothing is mocked.
import { ScenarioKillSwitch, migrate, type SalesforceClients } from '../../src/platform/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { scenarioSwitch } from '../helpers/kill-switch.ts';
import { startTestOrg, type TestOrg } from '../platform/salesforce-test-org.ts';
import type { StartEmulatorOptions } from '../../../simulators/salesforce/src/emulator.ts';
import { ACTIVITY_SCENARIO } from '../../src/activity/call-in/kill-switch.ts';

export interface CallInLab {
  org: TestOrg;
  db: TestDatabase;
  /** The service's clients: the integration user (client credentials). */
  salesforce: SalesforceClients;
  /** A System Administrator: the test's reads. */
  admin: SalesforceClients;
  killSwitch: ScenarioKillSwitch;
  /** Empties the org (records, events, jobs, API calls) and the activity tables. */
  reset(): Promise<void>;
  /** Sets Integration_Setting__mdt Activity Enabled__c and reads it as the service would. */
  setSwitch(enabled: boolean): Promise<void>;
  /** activity_users + activity_days rows (updated a minute ago unless said). */
  seedDays(
    days: Array<{ userId: string; day: string; steps: number; updatedAt?: string; goal?: number }>
  ): Promise<void>;
  /** Contacts carrying the fitness user ids (driver fixtures: no API calls); ids in order. */
  contacts(userIds: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

/** @param options the emulator's (a test's own copy of the project: `projectDir`) */
export async function startCallInLab(options: StartEmulatorOptions = {}): Promise<CallInLab> {
  const org = await startTestOrg(options);
  const db = await createTestDatabase();
  await migrate(db.pool, {});
  await db.pool.query(`SELECT activity_ensure_partitions(current_date - 40, current_date + 2)`);
  const salesforce = org.clients();
  const admin = org.adminClients();
  const killSwitch = new ScenarioKillSwitch({
    rest: salesforce.rest,
    scenario: ACTIVITY_SCENARIO,
    component: 'activity',
    whileOff: 'test'
  });
  // The helper remembers the record it inserted: a new one after every reset of the org.
  let set = scenarioSwitch(() => org.emulator.ctx, ACTIVITY_SCENARIO);
  return {
    org,
    db,
    salesforce,
    admin,
    killSwitch,
    async reset() {
      await org.reset();
      set = scenarioSwitch(() => org.emulator.ctx, ACTIVITY_SCENARIO);
      await db.pool.query(
        `TRUNCATE activity_days, activity_users, activity_goals_reached, activity_summary_pushes,
                  activity_summary_retries CASCADE`
      );
    },
    async setSwitch(enabled) {
      set(enabled);
      await killSwitch.check();
    },
    async seedDays(days) {
      await db.pool.query(
        `INSERT INTO activity_users (user_id, daily_step_goal)
         SELECT DISTINCT ON (u) u, g FROM unnest($1::text[], $2::int[]) AS k(u, g)
         ON CONFLICT (user_id) DO UPDATE SET daily_step_goal = EXCLUDED.daily_step_goal`,
        [days.map((d) => d.userId), days.map((d) => d.goal ?? 10_000)]
      );
      await db.pool.query(
        `INSERT INTO activity_days AS a (user_id, day, steps, calories, active_minutes,
                heart_rate_sum, heart_rate_count, heart_rate_min, heart_rate_max, readings, updated_at)
         SELECT u, d, s, s * 0.04, s / 100.0, 72 * 10, 10, 60, 90, 10, t
           FROM unnest($1::text[], $2::date[], $3::bigint[], $4::timestamptz[]) AS k(u, d, s, t)
         ON CONFLICT (user_id, day) DO UPDATE
            SET steps = EXCLUDED.steps, calories = EXCLUDED.calories,
                active_minutes = EXCLUDED.active_minutes, updated_at = EXCLUDED.updated_at`,
        [
          days.map((d) => d.userId),
          days.map((d) => d.day),
          days.map((d) => d.steps),
          days.map((d) => d.updatedAt ?? new Date(Date.now() - 60_000).toISOString())
        ]
      );
    },
    async contacts(userIds) {
      return org.fixtures(
        'Contact',
        userIds.map((id) => ({ LastName: `Runner ${id}`, Fitness_User_Id__c: id }))
      );
    },
    async close() {
      salesforce.close();
      admin.close();
      await db.drop();
      await org.close();
    }
  };
}

/** Every record of a small object, as the administrator reads it. */
export async function all<T extends Record<string, unknown>>(
  clients: SalesforceClients,
  soql: string
): Promise<T[]> {
  const rows: T[] = [];
  for await (const row of clients.rest.query<T>(soql)) rows.push(row);
  return rows;
}

/** YYYY-MM-DD of today (UTC) minus `back` days. */
export function dayOf(back = 0): string {
  return new Date(Date.now() - back * 86_400_000).toISOString().slice(0, 10);
}
