// Review findings (hostile review of the Activity API / OData): each test is a bug, failing on
// the code as reviewed. See the review report for the details and the fixes.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ACTIVITY_TOKEN, startApiHarness } from './api-harness.ts';
import type { ApiHarness } from './api-harness.ts';

const SET = '/odata/v4/activity/DailyActivities';

function rawGet(base: string, target: string, host: string): Promise<string> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(u.port), u.hostname, () =>
      socket.write(
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${ACTIVITY_TOKEN}\r\nConnection: close\r\n\r\n`
      )
    );
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('review: Activity API / OData hostile inputs', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness({ odata: { maxPageSize: 2 } });
    await h.addUser('fit-1', 'UTC');
    for (const day of ['2026-12-01', '2026-12-02', '2026-12-03']) await h.addDay('fit-1', day, {});
  });
  after(() => h?.close());

  test('a deeply parenthesized $filter is refused quickly (no event-loop stall)', async () => {
    // ~5 KB URL; @odata/parser takes seconds of synchronous CPU on it, blocking every request of
    // the process (health probes included) meanwhile.
    const filter = '('.repeat(2000) + 'Steps eq 1' + ')'.repeat(2000);
    const started = Date.now();
    const answer = await h.get(`${SET}?$filter=${filter}`);
    const ms = Date.now() - started;
    assert.ok(ms < 1000, `answered in ${ms} ms (status ${answer.status})`);
  });

  test('a DateTimeOffset literal PostgreSQL cannot hold is a 400, not a 500', async () => {
    for (const literal of ['0000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z']) {
      const answer = await h.get(`${SET}?$filter=UpdatedAt gt ${literal}`);
      assert.equal(answer.status, 400, `${literal}: ${answer.status} ${answer.text}`);
    }
  });

  test('series?period=day on the last servable day is not a 500', async () => {
    const answer = await h.get('/activity/users/fit-1/series?period=day&end=9999-12-31');
    assert.notEqual(answer.status, 500, answer.text);
  });

  test('the Host header does not choose where @odata.nextLink and @odata.context point', async () => {
    const response = await rawGet(
      h.url,
      `${SET}?$filter=UserId%20eq%20'fit-1'`,
      'evil.example/x?#'
    );
    const body = response.slice(response.indexOf('\r\n\r\n') + 4);
    assert.doesNotMatch(body, /evil\.example/, body);
  });
});
