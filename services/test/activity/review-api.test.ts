// Review findings (hostile review of the Activity API / OData): each test is a bug, failing on
// the code as reviewed. See the review report for the details and the fixes.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ACTIVITY_TOKEN, startApiHarness } from './api-harness.ts';
import type { ApiHarness } from './api-harness.ts';
import Fastify from 'fastify';
import { odataRoutes } from '../../src/activity/odata/routes.ts';
import { isTimeZone } from '../../src/activity/time-zone.ts';

const SET = '/odata/v4/activity/DailyActivities';
const never = (() => Promise.reject(new Error('not queried'))) as never;

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
    h = await startApiHarness({ odata: { maxPageSize: 2, statementTimeoutMs: 500 } });
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
  test('nesting past 32 levels is a 400 with a fixed message; 32 levels, parentheses in literals and a 300-term or list are answered', async () => {
    const deep = await h.get(`${SET}?$filter=${'('.repeat(33)}Steps eq 1${')'.repeat(33)}`);
    assert.equal(deep.status, 400, deep.text);
    assert.equal(deep.json.error.message, '$filter nests parentheses deeper than 32 levels.');
    const deepOrder = await h.get(`${SET}?$orderby=${'('.repeat(40)}Steps${')'.repeat(40)}`);
    assert.equal(deepOrder.status, 400, deepOrder.text);
    assert.equal(deepOrder.json.error.message, '$orderby nests parentheses deeper than 32 levels.');

    const ok = await h.get(`${SET}?$filter=${'('.repeat(32)}Steps eq 0${')'.repeat(32)}`);
    assert.equal(ok.status, 200, ok.text);
    const literal = encodeURIComponent(`UserId eq '${'('.repeat(60)}'`);
    const quoted = await h.get(`${SET}?$filter=${literal}`);
    assert.equal(quoted.status, 200, quoted.text);
    assert.deepEqual(quoted.json.value, []);

    const ids = Array.from({ length: 300 }, (_, i) => `fit-${String(i).padStart(6, '0')}`);
    ids[150] = 'fit-1';
    const inList = ids.map((id) => `UserId eq '${id}'`).join(' or ');
    const started = Date.now();
    const list = await h.get(`${SET}?$filter=${encodeURIComponent(`(${inList})`)}`);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.value.length, 2); // page size 2 of fit-1's 3 days
    assert.ok(Date.now() - started < 2000, `300-term list answered in ${Date.now() - started} ms`);
  });

  test('a $filter longer than 12 KB is a 400 with a fixed message', async () => {
    const almost = `UserId eq '${'a'.repeat(12_288 - 13)}'`;
    assert.equal(almost.length, 12_288 - 1);
    const accepted = await h.get(`${SET}?$filter=${almost}`);
    assert.equal(accepted.status, 200, accepted.text);
    const over = await h.get(`${SET}?$filter=${almost}aa`);
    assert.equal(over.status, 400, over.text);
    assert.equal(over.json.error.message, '$filter is longer than 12288 characters.');
  });

  test('a DateTimeOffset literal whose UTC instant leaves the years 0001-9999 is a 400', async () => {
    for (const literal of ['0001-01-01T00:00:00%2B01:00', '9999-12-31T23:00:00-05:00']) {
      const answer = await h.get(`${SET}?$filter=UpdatedAt gt ${literal}`);
      assert.equal(answer.status, 400, `${literal}: ${answer.status} ${answer.text}`);
    }
    const inRange = await h.get(`${SET}?$filter=UpdatedAt gt 0001-01-01T00:00:00Z`);
    assert.equal(inRange.status, 200, inRange.text);
  });

  test('error messages do not echo option or property names of the request', async () => {
    for (const query of [
      '$evilOption123=1',
      '$select=EvilProperty123',
      '$orderby=EvilProperty123',
      '$filter=EvilProperty123 eq 1'
    ]) {
      const answer = await h.get(`${SET}?${query}`);
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
      assert.doesNotMatch(answer.text, /evil/i, query);
    }
  });

  test('links are relative to the service root without serviceRoot, and the next link is followed', async () => {
    const first = await h.get(`${SET}?$filter=UserId eq 'fit-1'&$count=true`);
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json['@odata.context'], '/odata/v4/activity/$metadata#DailyActivities');
    const next = first.json['@odata.nextLink'] as string;
    assert.match(next, /^\/odata\/v4\/activity\/DailyActivities\?/);
    const second = await h.get(new URL(next, h.url + SET).pathname + new URL(next, h.url).search);
    assert.equal(second.status, 200, second.text);
    assert.equal(second.json.value.length, 1);
    const doc = await h.get('/odata/v4/activity');
    assert.equal(doc.json['@odata.context'], '/odata/v4/activity/$metadata');
  });

  test('a query past the statement timeout is a 503 OData error, quickly, without a stack', async () => {
    const locker = await h.db.pool.connect();
    let release: NodeJS.Timeout | undefined;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE activity_days IN ACCESS EXCLUSIVE MODE');
      // Without a timeout the request would wait for the lock: released after 4 s at the latest.
      release = setTimeout(() => void locker.query('ROLLBACK').catch(() => undefined), 4000);
      const started = Date.now();
      const answer = await h.get(`${SET}/$count`);
      const ms = Date.now() - started;
      assert.equal(answer.status, 503, answer.text);
      assert.equal(answer.json.error.code, 'query_timeout');
      assert.doesNotMatch(answer.text, /\n\s+at |canceling statement/);
      assert.ok(ms < 3000, `answered in ${ms} ms`);
    } finally {
      clearTimeout(release);
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
    // The pool's connections are usable again, with the default timeout.
    const after = await h.get(`${SET}/$count`);
    assert.equal(after.text, '3');
    const { rows } = await h.db.pool.query<{ statement_timeout: string }>('SHOW statement_timeout');
    assert.equal(rows[0]!.statement_timeout, '0');
  });

  test('a $skip past 100,000 is refused unless the filter names the users', async () => {
    const deep = await h.get(`${SET}?$skip=100001`);
    assert.equal(deep.status, 400, deep.text);
    assert.match(deep.json.error.message, /UserId or Id/);
    const orNotNamed = await h.get(`${SET}?$skip=100001&$filter=UserId eq 'fit-1' or Steps gt 5`);
    assert.equal(orNotNamed.status, 400, orNotNamed.text);
    const named = await h.get(`${SET}?$skip=100001&$filter=UserId eq 'fit-1' and Steps ge 0`);
    assert.equal(named.status, 200, named.text);
    assert.deepEqual(named.json.value, []);
    const boundary = await h.get(`${SET}?$skip=100000`);
    assert.equal(boundary.status, 200, boundary.text);
  });

  test('a user whose stored time zone is invalid gets a 409, not a 500', async () => {
    const client = await h.db.pool.connect();
    try {
      // As a row written before migration 0009 (or around its trigger) would be.
      await client.query('SET session_replication_role = replica');
      await client.query(
        `INSERT INTO activity_users (user_id, time_zone) VALUES ('fit-mars', 'Mars/Olympus'),
           ('fit-offset', '+05:30')`
      );
      await client.query('SET session_replication_role = origin');
    } finally {
      client.release();
    }
    for (const userId of ['fit-mars', 'fit-offset']) {
      for (const path of ['summary', 'series?period=day', 'series?period=week']) {
        const answer = await h.get(`/activity/users/${userId}/${path}`);
        assert.equal(answer.status, 409, `${userId} ${path}: ${answer.text}`);
        assert.equal(answer.json.error, 'time_zone_invalid');
      }
    }
  });
});

describe('review: stored time zones and totals are checked by the database', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApiHarness();
  });
  after(() => h?.close());

  test('activity_users.time_zone takes IANA names only (no offsets, POSIX strings, abbreviations)', async () => {
    for (const zone of [
      'UTC',
      'Europe/Berlin',
      'America/Argentina/Buenos_Aires',
      'America/Port-au-Prince',
      'Etc/GMT+5'
    ]) {
      await h.db.pool.query('INSERT INTO activity_users (user_id, time_zone) VALUES ($1, $2)', [
        `ok-${zone.replace(/[^A-Za-z0-9]/g, '-')}`,
        zone
      ]);
      assert.equal(isTimeZone(zone), true, zone);
    }
    for (const zone of [
      '+05:30',
      '-0800',
      'EST5',
      'UTC+3',
      'PST',
      'EST',
      'Japan',
      'posixrules',
      'posix/Europe/Berlin',
      'Mars/Olympus',
      ''
    ]) {
      await assert.rejects(
        h.db.pool.query("INSERT INTO activity_users (user_id, time_zone) VALUES ('bad-zone', $1)", [
          zone
        ]),
        (error: { code?: string }) => error.code === '23514',
        zone
      );
      assert.equal(isTimeZone(zone), false, zone);
    }
    await assert.rejects(
      h.db.pool.query("UPDATE activity_users SET time_zone = '+05:30' WHERE user_id = 'ok-UTC'"),
      (error: { code?: string }) => error.code === '23514'
    );
    const { rows } = await h.db.pool.query<{ tz: string }>('SELECT current_setting($1) AS tz', [
      'TimeZone'
    ]);
    assert.notEqual(rows[0]!.tz, 'Etc/GMT+5', 'the trigger leaves the session time zone alone');
  });

  test('activity_days and activity_minutes refuse non-finite or negative calories and active minutes', async () => {
    await h.addUser('fit-finite');
    for (const [calories, activeMinutes] of [
      ['Infinity', '0'],
      ['NaN', '0'],
      ['-1', '0'],
      ['0', 'Infinity'],
      ['0', 'NaN']
    ]) {
      await assert.rejects(
        h.db.pool.query(
          `INSERT INTO activity_days (user_id, day, calories, active_minutes)
           VALUES ('fit-finite', '2026-12-01', $1::float8, $2::float8)`,
          [calories, activeMinutes]
        ),
        (error: { code?: string }) => error.code === '23514',
        `days ${calories} ${activeMinutes}`
      );
      await assert.rejects(
        h.db.pool.query(
          `INSERT INTO activity_minutes (user_id, minute, calories, active_minutes)
           VALUES ('fit-finite', '2026-12-01T10:00:00Z', $1::float8, $2::float8)`,
          [calories, activeMinutes]
        ),
        (error: { code?: string }) => error.code === '23514',
        `minutes ${calories} ${activeMinutes}`
      );
    }
    await h.addDay('fit-finite', '2026-12-01', { calories: 12.5, activeMinutes: 3 });
  });
});

describe('review: a configured serviceRoot', () => {
  test('links start with it whatever the Host header; a relative or non-http root is refused at start', async () => {
    const root = 'https://activity.example.com/odata/v4/activity';
    const h = await startApiHarness({ odata: { maxPageSize: 1, serviceRoot: `${root}/` } });
    try {
      await h.addUser('fit-1', 'UTC');
      for (const day of ['2026-12-01', '2026-12-02']) await h.addDay('fit-1', day, {});
      const response = await rawGet(h.url, `${SET}?$select=Id`, 'evil.example');
      const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
      assert.equal(body['@odata.context'], `${root}/$metadata#DailyActivities(Id)`);
      assert.match(
        body['@odata.nextLink'],
        /^https:\/\/activity\.example\.com\/odata\/v4\/activity\/DailyActivities\?\$select=Id&\$skiptoken=/
      );
    } finally {
      await h.close();
    }
    for (const serviceRoot of [
      'activity.example.com/odata',
      'javascript:alert(1)',
      'https://a.example/x?y=1'
    ]) {
      const app = Fastify();
      app.register(odataRoutes, { pool: { query: never }, tokens: [], serviceRoot });
      await assert.rejects(
        async () => {
          await app.ready();
        },
        /serviceRoot/,
        serviceRoot
      );
      await app.close();
    }
  });
});
