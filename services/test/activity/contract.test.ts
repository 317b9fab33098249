// ActivityContract.json (the static resource Apex mocks its callout with) against the running
// API: seeded with the rows the examples come from, the service answers exactly the contract's
// bodies, byte for byte in key order, at the contract's request paths.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadContract, startApiHarness } from './api-harness.ts';
import type { ApiHarness } from './api-harness.ts';

const contract = loadContract();
const response = (name: string) => {
  const found = contract.responses[name];
  assert.ok(found, `the contract has ${name}`);
  return found;
};

// Mid-afternoon in London on the contract's day.
const NOW = new Date('2026-12-07T15:50:00Z');

/** The week of the contract's series example, as stored (sums and counts that round to it). */
const WEEK: Array<[string, Parameters<ApiHarness['addDay']>[2] | undefined]> = [
  [
    '2026-12-01',
    {
      steps: 9120,
      calories: 2011.2,
      activeMinutes: 71.5,
      heartRateSum: 74 * 500,
      heartRateCount: 500
    }
  ],
  [
    '2026-12-02',
    {
      steps: 11034,
      calories: 2203.94,
      activeMinutes: 88.02,
      heartRateSum: 15401,
      heartRateCount: 200
    }
  ],
  ['2026-12-03', undefined],
  [
    '2026-12-04',
    { steps: 7650, calories: 1877.4, activeMinutes: 54.2, heartRateSum: 7200, heartRateCount: 100 }
  ],
  [
    '2026-12-05',
    { steps: 12580, calories: 2350.8, activeMinutes: 97.1, heartRateSum: 8000, heartRateCount: 100 }
  ],
  [
    '2026-12-06',
    { steps: 6001, calories: 1789.96, activeMinutes: 40.6, heartRateSum: 7100, heartRateCount: 100 }
  ],
  [
    '2026-12-07',
    {
      steps: 8412,
      calories: 1934.5,
      activeMinutes: 62.3,
      heartRateSum: 78 * 6000 + 1000,
      heartRateCount: 6000,
      heartRateMin: 52,
      heartRateMax: 141,
      readings: 6120,
      updatedAt: '2026-12-07T15:42:05Z'
    }
  ]
];

describe('ActivityContract.json', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness({ now: () => NOW });
    await h.addUser('fit-000042', 'Europe/London', 10000);
    for (const [day, seed] of WEEK) if (seed) await h.addDay('fit-000042', day, seed);
    await h.addUser('fit-000043', 'Europe/London', 10000);
  });
  after(() => h?.close());

  test('summary: the summaryRequest path answers the summary body, same bytes', async () => {
    const expected = response('summary');
    const answer = await h.get(contract.summaryRequest.path);
    assert.equal(answer.status, expected.httpStatus);
    assert.equal(answer.text, JSON.stringify(expected.body));
  });

  test('summaryNoActivity: a user without activity today', async () => {
    const expected = response('summaryNoActivity');
    const answer = await h.get('/activity/users/fit-000043/summary');
    assert.equal(answer.status, expected.httpStatus);
    assert.equal(answer.text, JSON.stringify({ ...expected.body, userId: 'fit-000043' }));
  });

  test('series: period=week answers the series body (a missing day as a zero point)', async () => {
    const expected = response('series');
    const answer = await h.get('/activity/users/fit-000042/series?period=week');
    assert.equal(answer.status, expected.httpStatus);
    assert.equal(answer.text, JSON.stringify(expected.body));
  });

  test('seriesRequest: period=month is 30 points ending today, the week its last 7', async () => {
    const answer = await h.get(contract.seriesRequest.path);
    assert.equal(answer.status, 200);
    assert.equal(answer.json.points.length, 30);
    const week = response('series').body as { points: unknown[] };
    assert.deepEqual(answer.json.points.slice(-7), week.points);
  });

  test('unknownUser: 404 with the contract error and message', async () => {
    const expected = response('unknownUser');
    const answer = await h.get('/activity/users/fit-999999/summary');
    assert.equal(answer.status, expected.httpStatus);
    assert.equal(answer.json.error, expected.body.error);
    assert.equal(answer.json.message, expected.body.message);
  });

  test('unauthorized: 401 with the contract error code and message without a bearer token', async () => {
    const expected = response('unauthorized');
    const answer = await h.get(contract.summaryRequest.path, { token: null });
    assert.equal(answer.status, expected.httpStatus);
    assert.equal(answer.json.error, expected.body.error);
    assert.equal(answer.json.message, expected.body.message);
  });
});
