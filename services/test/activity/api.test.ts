// The Activity REST API on real PostgreSQL: today in the user's zone, explicit dates, the three
// series periods (missing days as zero points, hours of the local day from UTC minutes), the
// platform's error shape for unknown users and bad parameters, and who may call it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACTIVITY_TOKEN, OTHER_SERVICE_TOKEN, startApiHarness } from './api-harness.ts';
import type { ApiHarness } from './api-harness.ts';

// 2026-12-07 23:30 UTC: already 2026-12-08 in Auckland (UTC+13), still the 7th in London.
const NOW = new Date('2026-12-07T23:30:00Z');

describe('activity REST API', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness({ now: () => NOW });
    await h.addUser('fit-london', 'Europe/London', 10000);
    await h.addUser('fit-auckland', 'Pacific/Auckland', 5000);
    await h.addUser('fit-kolkata', 'Asia/Kolkata', 8000);
    await h.addDay('fit-london', '2026-12-07', {
      steps: 12000,
      calories: 2000.04,
      activeMinutes: 70.06,
      heartRateSum: 7850,
      heartRateCount: 100,
      heartRateMin: 50,
      heartRateMax: 150,
      readings: 400,
      updatedAt: '2026-12-07T20:00:00.123Z'
    });
    await h.addDay('fit-london', '2026-12-05', { steps: 3000, calories: 10.25 });
    await h.addDay('fit-auckland', '2026-12-08', { steps: 5000, readings: 3 });
    await h.addDay('fit-auckland', '2026-12-07', { steps: 9999 });
  });
  after(() => h?.close());

  test("summary: today in the user's time zone, rounded as the contract says", async () => {
    const london = await h.get('/activity/users/fit-london/summary');
    assert.equal(london.status, 200);
    assert.deepEqual(london.json, {
      userId: 'fit-london',
      date: '2026-12-07',
      timeZone: 'Europe/London',
      steps: 12000,
      calories: 2000,
      activeMinutes: 70.1,
      heartRate: { average: 79, min: 50, max: 150 },
      readings: 400,
      goal: { steps: 10000, reached: true },
      updatedAt: '2026-12-07T20:00:00.123Z'
    });
    const auckland = await h.get('/activity/users/fit-auckland/summary');
    assert.equal(auckland.json.date, '2026-12-08', 'Auckland is already on the 8th');
    assert.equal(auckland.json.steps, 5000);
    assert.deepEqual(auckland.json.goal, { steps: 5000, reached: true }, 'goal reached at equal');
    assert.deepEqual(auckland.json.heartRate, { average: null, min: null, max: null });
  });

  test('summary of another day (?date=) and of a day without activity', async () => {
    const earlier = await h.get('/activity/users/fit-auckland/summary?date=2026-12-07');
    assert.equal(earlier.json.steps, 9999);
    assert.deepEqual(earlier.json.goal, { steps: 5000, reached: true });
    const empty = await h.get('/activity/users/fit-london/summary?date=2026-12-06');
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json, {
      userId: 'fit-london',
      date: '2026-12-06',
      timeZone: 'Europe/London',
      steps: 0,
      calories: 0,
      activeMinutes: 0,
      heartRate: { average: null, min: null, max: null },
      readings: 0,
      goal: { steps: 10000, reached: false },
      updatedAt: null
    });
    // A month with no partition at all is a day without activity too.
    const unpartitioned = await h.get('/activity/users/fit-london/summary?date=2020-01-01');
    assert.equal(unpartitioned.status, 200);
    assert.equal(unpartitioned.json.steps, 0);
  });

  test('week and month: 7 and 30 daily points ending today, zero points in the gaps', async () => {
    const week = await h.get('/activity/users/fit-london/series?period=week');
    assert.equal(week.status, 200);
    assert.equal(week.json.period, 'week');
    assert.equal(week.json.timeZone, 'Europe/London');
    assert.deepEqual(
      week.json.points.map((p: { start: string }) => p.start),
      [
        '2026-12-01',
        '2026-12-02',
        '2026-12-03',
        '2026-12-04',
        '2026-12-05',
        '2026-12-06',
        '2026-12-07'
      ]
    );
    assert.deepEqual(week.json.points[4], {
      start: '2026-12-05',
      steps: 3000,
      calories: 10.3,
      activeMinutes: 0,
      heartRateAverage: null
    });
    assert.deepEqual(week.json.points[5], {
      start: '2026-12-06',
      steps: 0,
      calories: 0,
      activeMinutes: 0,
      heartRateAverage: null
    });
    assert.equal(week.json.points[6].heartRateAverage, 79);

    const month = await h.get('/activity/users/fit-london/series?period=month&end=2026-12-10');
    assert.equal(month.json.points.length, 30);
    assert.equal(month.json.points[0].start, '2026-11-11', 'across a month boundary');
    assert.equal(month.json.points[29].start, '2026-12-10');
    assert.equal(month.json.points.filter((p: { steps: number }) => p.steps > 0).length, 2);
  });

  test('day: the hours of the local day, summed from UTC minutes', async () => {
    // Kolkata is UTC+5:30: local 2026-12-07 00:00 is 2026-12-06T18:30Z; its hours are not UTC's.
    await h.addMinute('fit-kolkata', '2026-12-06T18:29:00Z', { steps: 999 }); // the 6th, local
    await h.addMinute('fit-kolkata', '2026-12-06T18:30:00Z', {
      steps: 10,
      heartRateSum: 140,
      heartRateCount: 2
    });
    await h.addMinute('fit-kolkata', '2026-12-06T19:29:00Z', {
      steps: 5,
      calories: 1.26,
      heartRateSum: 80,
      heartRateCount: 1
    });
    await h.addMinute('fit-kolkata', '2026-12-06T19:30:00Z', { steps: 7, activeMinutes: 0.5 });
    await h.addMinute('fit-kolkata', '2026-12-07T18:29:00Z', { steps: 3 }); // last local minute
    await h.addMinute('fit-kolkata', '2026-12-07T18:30:00Z', { steps: 999 }); // the 8th, local
    const day = await h.get('/activity/users/fit-kolkata/series?period=day&end=2026-12-07');
    assert.equal(day.status, 200);
    const points = day.json.points as Array<Record<string, unknown>>;
    assert.equal(points.length, 24);
    assert.deepEqual(points[0], {
      start: '2026-12-06T18:30:00.000Z',
      steps: 15,
      calories: 1.3,
      activeMinutes: 0,
      heartRateAverage: 73
    });
    assert.deepEqual(points[1], {
      start: '2026-12-06T19:30:00.000Z',
      steps: 7,
      calories: 0,
      activeMinutes: 0.5,
      heartRateAverage: null
    });
    assert.equal(points[23]?.start, '2026-12-07T17:30:00.000Z');
    assert.equal(points[23]?.steps, 3);
    assert.equal(
      points.reduce((sum, p) => sum + (p.steps as number), 0),
      25
    );
  });

  test('day: a daylight-saving day has 23 hourly points', async () => {
    await h.addUser('fit-dst', 'Europe/London');
    // London springs forward on 2026-03-29 (no partitions there: an empty series still has its hours).
    const day = await h.get('/activity/users/fit-dst/series?period=day&end=2026-03-29');
    assert.equal(day.status, 200);
    assert.equal(day.json.points.length, 23);
    assert.equal(day.json.points[1].start, '2026-03-29T01:00:00.000Z');
  });

  test('unknown user: 404 in the platform error shape, the id not echoed', async () => {
    for (const path of [
      '/activity/users/fit-nobody/summary',
      '/activity/users/fit-nobody/series?period=week'
    ]) {
      const answer = await h.get(path);
      assert.equal(answer.status, 404);
      assert.equal(answer.json.error, 'not_found');
      assert.equal(answer.json.message, 'No fitness user with this id.');
      assert.equal(typeof answer.json.correlationId, 'string');
      assert.ok(!answer.text.includes('fit-nobody'));
    }
  });

  test('bad parameters: 400 validation_failed naming the part', async () => {
    const cases: Array<[string, string]> = [
      ['/activity/users/fit-london/summary?date=2026-02-30', 'date'],
      ['/activity/users/fit-london/summary?date=07-12-2026', 'date'],
      ['/activity/users/fit-london/summary?date=0001-01-01', 'date'],
      ['/activity/users/fit-london/series?period=month&end=%2B275760-09-13', 'end'],
      ['/activity/users/fit-london/summary?since=2026-12-01', ''],
      ['/activity/users/fit-london/series', 'period'],
      ['/activity/users/fit-london/series?period=year', 'period'],
      ['/activity/users/fit-london/series?period=week&end=tomorrow', 'end'],
      ["/activity/users/fit'%20OR%201=1/summary", 'userId'],
      ['/activity/users/ab/summary', 'userId']
    ];
    for (const [path, field] of cases) {
      const answer = await h.get(path);
      assert.equal(answer.status, 400, path);
      assert.equal(answer.json.error, 'validation_failed', path);
      assert.ok(
        answer.json.issues.some((issue: { path: string }) => issue.path === field),
        `${path}: an issue at ${field}: ${answer.text}`
      );
    }
  });

  test('authentication: no token 401, a token of another service 403, the right one 200', async () => {
    const none = await h.get('/activity/users/fit-london/summary', { token: null });
    assert.equal(none.status, 401);
    assert.equal(none.json.error, 'unauthorized');
    const wrong = await h.get('/activity/users/fit-london/summary', {
      token: 'not-a-token-of-this-service'
    });
    assert.equal(wrong.status, 401);
    const other = await h.get('/activity/users/fit-london/summary', { token: OTHER_SERVICE_TOKEN });
    assert.equal(other.status, 403);
    assert.equal(other.json.error, 'forbidden');
    const unknownUserOther = await h.get('/activity/users/fit-nobody/summary', {
      token: OTHER_SERVICE_TOKEN
    });
    assert.equal(unknownUserOther.status, 403, 'refused before the user is looked up');
    const right = await h.get('/activity/users/fit-london/summary', { token: ACTIVITY_TOKEN });
    assert.equal(right.status, 200);
  });
});

describe('activity REST API and OData without token lists', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness({ now: () => NOW, activityTokens: [], odataTokens: [] });
    await h.addUser('fit-any');
  });
  after(() => h?.close());

  test('no token may read (an unset list refuses, it does not open the API to every service)', async () => {
    for (const token of [OTHER_SERVICE_TOKEN, ACTIVITY_TOKEN]) {
      const answer = await h.get('/activity/users/fit-any/summary', { token });
      assert.equal(answer.status, 403);
    }
    const odata = await h.get(
      "/odata/v4/activity/DailyActivities?$filter=UserId%20eq%20'fit-any'",
      {
        token: ACTIVITY_TOKEN
      }
    );
    assert.equal(odata.status, 403);
  });
});

describe('activity REST and OData tokens are separate lists', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness({
      now: () => NOW,
      activityTokens: [ACTIVITY_TOKEN],
      odataTokens: [OTHER_SERVICE_TOKEN]
    });
    await h.addUser('fit-split');
  });
  after(() => h?.close());

  test("the portal path's token cannot read OData, and the OData token cannot read REST", async () => {
    const odataPath = "/odata/v4/activity/DailyActivities?$filter=UserId%20eq%20'fit-split'";
    assert.equal((await h.get(odataPath, { token: ACTIVITY_TOKEN })).status, 403);
    assert.equal((await h.get(odataPath, { token: OTHER_SERVICE_TOKEN })).status, 200);
    const restPath = '/activity/users/fit-split/summary';
    assert.equal((await h.get(restPath, { token: OTHER_SERVICE_TOKEN })).status, 403);
    assert.equal((await h.get(restPath, { token: ACTIVITY_TOKEN })).status, 200);
  });
});
