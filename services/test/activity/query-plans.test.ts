// The statements the API really runs (recorded from real requests), explained by PostgreSQL with
// sequential scans priced out: each must read primary-key indexes only, and only the partitions of
// the days it asks for. This is what keeps p99 flat with 30 days x 100,000 users stored (the bench
// measures the time; this test fails the moment a change makes a statement scan).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Queryable } from '../../src/activity/activity-queries.ts';
import { startApiHarness } from './api-harness.ts';
import type { ApiHarness } from './api-harness.ts';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe('Activity API statements: index reads of the asked partitions only', () => {
  let h: ApiHarness;
  let recorded: Array<{ text: string; values: unknown[] }> = [];
  const recorder = (pool: Queryable): Queryable => ({
    query: ((text: string, values?: unknown[]) => {
      recorded.push({ text, values: values ?? [] });
      return pool.query(text, values);
    }) as Queryable['query']
  });

  before(async () => {
    h = await startApiHarness({
      now: () => new Date('2026-12-07T12:00:00Z'),
      wrapPool: recorder
    });
    await h.addUser('fit-000042', 'Asia/Kolkata');
    await h.addDay('fit-000042', '2026-12-07', { steps: 10 });
  });
  after(() => h?.close());

  /** The plans of the statements one request ran, with sequential scans priced out. */
  async function plansOf(path: string): Promise<PlanNode[][]> {
    recorded = [];
    const answer = await h.get(path);
    assert.equal(answer.status, 200, `${path}: ${answer.text}`);
    const client = await h.db.pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      await client.query('SET enable_bitmapscan = off');
      const plans: PlanNode[][] = [];
      for (const { text, values } of recorded) {
        const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
          `EXPLAIN (FORMAT JSON) ${text}`,
          values
        );
        plans.push(nodes(rows[0]!['QUERY PLAN'][0]!.Plan));
      }
      return plans;
    } finally {
      client.release();
    }
  }

  const scanned = (plan: PlanNode[]) =>
    plan.filter((n) => n['Relation Name']).map((n) => `${n['Node Type']} ${n['Relation Name']}`);

  test('summary: the user by key, one day of one monthly partition by key', async () => {
    const [user, day] = await plansOf('/activity/users/fit-000042/summary');
    assert.deepEqual(scanned(user!), ['Index Scan activity_users']);
    assert.deepEqual(scanned(day!), ['Index Scan activity_days_202612']);
  });

  test('week across a month boundary: two monthly partitions, by key', async () => {
    const [, days] = await plansOf('/activity/users/fit-000042/series?period=week&end=2026-12-03');
    assert.deepEqual(scanned(days!).sort(), [
      'Index Scan activity_days_202611',
      'Index Scan activity_days_202612'
    ]);
  });

  test('day in a +05:30 zone: the two daily minute partitions it overlaps, by key', async () => {
    const [, hours] = await plansOf('/activity/users/fit-000042/series?period=day&end=2026-12-07');
    const minutes = scanned(hours!).filter((s) => s.includes('activity_minutes'));
    assert.deepEqual(minutes.sort(), [
      'Index Scan activity_minutes_20261206',
      'Index Scan activity_minutes_20261207'
    ]);
  });

  test("OData: a Contact's related list reads the key of each partition, a date range prunes", async () => {
    const [page, count] = await plansOf(
      '/odata/v4/activity/DailyActivities?$filter=UserId%20eq%20%27fit-000042%27&$orderby=ActivityDate%20desc&$top=26&$count=true'
    );
    for (const plan of [page!, count!]) {
      const scans = scanned(plan);
      assert.ok(scans.length > 0);
      assert.ok(
        scans.every((s) => /^Index (Only )?Scan activity_days_\d{6}$/.test(s)),
        scans.join()
      );
    }
    const [ranged] = await plansOf(
      '/odata/v4/activity/DailyActivities?$filter=UserId%20eq%20%27fit-000042%27%20and%20ActivityDate%20ge%202026-12-01%20and%20ActivityDate%20le%202026-12-07'
    );
    assert.deepEqual(scanned(ranged!), ['Index Scan activity_days_202612']);
  });
});
