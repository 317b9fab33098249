// The OData 4.0 service with the requests Salesforce Connect's OData 4.0 adapter sends (help
// "OData Query String Options": $select, $filter, $orderby, $top=LIMIT+1, $skip for client-driven
// paging, $count=true when "Request Row Counts" is on, $count=false when off; an indirect lookup's
// related list filters on the lookup field: UserId eq '<Contact.Fitness_User_Id__c>'), URL-encoded
// as Salesforce sends them, and server-driven paging (@odata.nextLink) followed to the end.
// Hostile $filter/$orderby/$select/$skiptoken values are refused or parameterized.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addDays } from '../../src/activity/local-date.ts';
import { OTHER_SERVICE_TOKEN, startApiHarness } from './api-harness.ts';
import type { ApiHarness } from './api-harness.ts';

const ROOT = '/odata/v4/activity';
const SET = `${ROOT}/DailyActivities`;
const FIRST_DAY = '2026-10-09';
const DAYS = 60; // fit-000042: 2026-10-09 .. 2026-12-07
const PAGE = 50;

type Entity = Record<string, unknown>;

describe('OData 4.0: DailyActivities', () => {
  let h: ApiHarness;
  // Without serviceRoot the links are path-absolute (never built from the Host header).
  const origin = () => '';
  const get = (path: string, options?: Parameters<ApiHarness['get']>[1]) => h.get(path, options);

  before(async () => {
    h = await startApiHarness({ odata: { maxPageSize: PAGE } });
    await h.addUser('fit-000042', 'Europe/London');
    await h.addUser('fit-000043', 'America/New_York');
    await h.addUser('fit-it_s', 'UTC');
    for (let i = 0; i < DAYS; i++) {
      const day = addDays(FIRST_DAY, i);
      await h.addDay('fit-000042', day, {
        steps: 1000 + i,
        calories: 1500.25 + i,
        activeMinutes: 30.04,
        // Every fifth day without a heart rate.
        ...(i % 5 === 0
          ? {}
          : { heartRateSum: 70 * 10 + i, heartRateCount: 10, heartRateMin: 50, heartRateMax: 150 }),
        readings: 100 + i,
        updatedAt: `${day}T22:00:00Z`
      });
    }
    await h.addDay('fit-000043', '2026-12-06', { steps: 500 });
    await h.addDay('fit-000043', '2026-12-07', { steps: 7000 });
    await h.addDay('fit-it_s', '2026-12-07', { steps: 42 });
  });
  after(() => h?.close());

  test('service document and $metadata (CSDL), OData-Version 4.0', async () => {
    const doc = await get(`${ROOT}/`);
    assert.equal(doc.status, 200);
    assert.equal(doc.headers.get('odata-version'), '4.0');
    assert.match(
      doc.headers.get('content-type') ?? '',
      /^application\/json;odata\.metadata=minimal/
    );
    assert.deepEqual(doc.json, {
      '@odata.context': `${origin()}${ROOT}/$metadata`,
      value: [{ name: 'DailyActivities', kind: 'EntitySet', url: 'DailyActivities' }]
    });
    const bare = await get(ROOT);
    assert.deepEqual(bare.json, doc.json);

    const metadata = await get(`${ROOT}/$metadata`, { headers: { accept: 'application/xml' } });
    assert.equal(metadata.status, 200);
    assert.equal(metadata.headers.get('odata-version'), '4.0');
    assert.match(metadata.headers.get('content-type') ?? '', /^application\/xml/);
    const xml = metadata.text;
    assert.match(
      xml,
      /<edmx:Edmx xmlns:edmx="http:\/\/docs\.oasis-open\.org\/odata\/ns\/edmx" Version="4\.0">/
    );
    assert.match(
      xml,
      /<Schema xmlns="http:\/\/docs\.oasis-open\.org\/odata\/ns\/edm" Namespace="Activity">/
    );
    assert.match(
      xml,
      /<EntityType Name="DailyActivity">\s*<Key>\s*<PropertyRef Name="Id"\/>\s*<\/Key>/
    );
    for (const [name, type, nullable] of [
      ['Id', 'Edm.String', 'false'],
      ['UserId', 'Edm.String', 'false'],
      ['ActivityDate', 'Edm.Date', 'false'],
      ['Steps', 'Edm.Int64', 'false'],
      ['Calories', 'Edm.Double', 'false'],
      ['ActiveMinutes', 'Edm.Double', 'false'],
      ['HeartRateAverage', 'Edm.Int32', 'true'],
      ['HeartRateMin', 'Edm.Int32', 'true'],
      ['HeartRateMax', 'Edm.Int32', 'true'],
      ['Readings', 'Edm.Int32', 'false'],
      ['UpdatedAt', 'Edm.DateTimeOffset', 'false']
    ]) {
      assert.match(
        xml,
        new RegExp(`<Property Name="${name}" Type="${type}" Nullable="${nullable}"`),
        name
      );
    }
    assert.match(xml, /<EntitySet Name="DailyActivities" EntityType="Activity\.DailyActivity"\/>/);
  });

  test('related list of a Contact (indirect lookup on UserId), as Salesforce sends it', async () => {
    const answer = await get(
      `${SET}?$select=ActivityDate,Steps,Calories,ActiveMinutes,HeartRateAverage,Id,UserId` +
        `&$filter=UserId%20eq%20%27fit-000042%27&$orderby=ActivityDate%20desc&$top=26&$count=true`
    );
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.headers.get('odata-version'), '4.0');
    assert.equal(
      answer.json['@odata.context'],
      `${origin()}${ROOT}/$metadata#DailyActivities(ActivityDate,Steps,Calories,ActiveMinutes,HeartRateAverage,Id,UserId)`
    );
    assert.equal(answer.json['@odata.count'], DAYS);
    assert.equal(answer.json['@odata.nextLink'], undefined, '$top=26 fits in one page');
    const value = answer.json.value as Entity[];
    assert.equal(value.length, 26);
    assert.deepEqual(value[0], {
      ActivityDate: '2026-12-07',
      Steps: 1059,
      Calories: 1559.3,
      ActiveMinutes: 30,
      HeartRateAverage: 76,
      Id: 'fit-000042~2026-12-07',
      UserId: 'fit-000042'
    });
    assert.equal(value[25]?.ActivityDate, '2026-11-12');
    // Salesforce's next batch (client-driven paging): $skip.
    const next = await get(
      `${SET}?$select=ActivityDate,Id&$filter=UserId%20eq%20%27fit-000042%27&$orderby=ActivityDate%20desc&$skip=25&$top=26&$count=true`
    );
    assert.equal((next.json.value as Entity[])[0]?.ActivityDate, '2026-11-12');
    assert.equal((next.json.value as Entity[]).length, 26);
  });

  test('list view with Request Row Counts off ($count=false): no count, all properties', async () => {
    const answer = await get(`${SET}?$count=false&$top=3&$orderby=UserId%20desc,ActivityDate`);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.json['@odata.count'], undefined);
    assert.equal(answer.json['@odata.context'], `${origin()}${ROOT}/$metadata#DailyActivities`);
    const value = answer.json.value as Entity[];
    assert.deepEqual(
      value.map((e) => e.Id),
      ['fit-it_s~2026-12-07', 'fit-000043~2026-12-06', 'fit-000043~2026-12-07']
    );
    assert.deepEqual(value[0], {
      Id: 'fit-it_s~2026-12-07',
      UserId: 'fit-it_s',
      ActivityDate: '2026-12-07',
      Steps: 42,
      Calories: 0,
      ActiveMinutes: 0,
      HeartRateAverage: null,
      HeartRateMin: null,
      HeartRateMax: null,
      Readings: 0,
      UpdatedAt: '2026-12-07T12:00:00.000Z'
    });
  });

  test('a record by its external id: $filter on Id, and the key segment', async () => {
    const filtered = await get(
      `${SET}?$filter=Id%20eq%20%27fit-000042~2026-12-01%27&$select=Id,Steps,UpdatedAt&$top=1`
    );
    assert.deepEqual(filtered.json.value, [
      { Id: 'fit-000042~2026-12-01', Steps: 1053, UpdatedAt: '2026-12-01T22:00:00.000Z' }
    ]);
    const keyed = await get(`${SET}(%27fit-000042~2026-12-01%27)?$select=Steps`);
    assert.equal(keyed.status, 200, keyed.text);
    assert.deepEqual(keyed.json, {
      '@odata.context': `${origin()}${ROOT}/$metadata#DailyActivities(Steps)/$entity`,
      Steps: 1053
    });
    for (const missing of [
      "('fit-000042~2026-12-31')",
      "('fit-000042~2026-02-30')",
      "('nope')",
      '(1)'
    ]) {
      const answer = await get(`${SET}${encodeURI(missing)}`);
      assert.equal(answer.status, 404, missing);
      assert.deepEqual(Object.keys(answer.json.error), ['code', 'message']);
      assert.equal(answer.json.error.code, 'not_found');
    }
  });

  test('$filter: date ranges, comparisons, null, and/or/not, DateTimeOffset', async () => {
    const ids = async (filter: string, extra = '') => {
      const answer = await get(`${SET}?$filter=${encodeURIComponent(filter)}&$select=Id${extra}`);
      assert.equal(answer.status, 200, `${filter}: ${answer.text}`);
      return (answer.json.value as Entity[]).map((e) => e.Id);
    };
    assert.deepEqual(
      await ids(
        "UserId eq 'fit-000042' and ActivityDate ge 2026-12-05 and ActivityDate le 2026-12-07"
      ),
      ['fit-000042~2026-12-05', 'fit-000042~2026-12-06', 'fit-000042~2026-12-07']
    );
    assert.deepEqual(
      await ids(
        "UserId eq 'fit-000042' and ActivityDate gt 2026-12-05 and ActivityDate lt 2026-12-07"
      ),
      ['fit-000042~2026-12-06']
    );
    assert.deepEqual(await ids("UserId ne 'fit-000042' and Steps ge 500", '&$orderby=Steps'), [
      'fit-000043~2026-12-06',
      'fit-000043~2026-12-07'
    ]);
    assert.deepEqual(await ids('Steps lt 10000 and (Steps eq 42 or Steps eq 7000)'), [
      'fit-000043~2026-12-07',
      'fit-it_s~2026-12-07'
    ]);
    assert.deepEqual(await ids("(not (UserId eq 'fit-000042')) and Steps gt 1000"), [
      'fit-000043~2026-12-07'
    ]);
    assert.deepEqual(await ids("not (UserId eq 'fit-000042' or Steps lt 1000)"), [
      'fit-000043~2026-12-07'
    ]);
    assert.deepEqual(await ids('1000 ge Steps and 999 lt Steps'), ['fit-000042~2026-10-09']);
    assert.equal((await ids("UserId eq 'fit-000042' and HeartRateAverage eq null")).length, 12);
    assert.equal((await ids("UserId eq 'fit-000042' and HeartRateAverage ne null")).length, 48);
    assert.equal((await ids('HeartRateAverage gt null')).length, 0);
    assert.deepEqual(await ids("UserId eq 'fit-000042' and Calories eq 1559.3"), [
      'fit-000042~2026-12-07'
    ]);
    assert.deepEqual(
      await ids("UserId eq 'fit-000042' and UpdatedAt ge 2026-12-06T23:00:00+01:00"),
      ['fit-000042~2026-12-06', 'fit-000042~2026-12-07']
    );
    assert.deepEqual(await ids("UserId eq 'fit-it''s'"), [], 'a doubled quote is a quote');
    // Several records by external id at once (lookups of a list view).
    assert.deepEqual(
      await ids("Id eq 'fit-000043~2026-12-07' or Id eq 'fit-000042~2026-10-09' or Id eq 'nope'"),
      ['fit-000042~2026-10-09', 'fit-000043~2026-12-07']
    );
    assert.deepEqual(await ids("Id ne 'fit-000042~2026-12-01' and UserId eq 'fit-000043'"), [
      'fit-000043~2026-12-06',
      'fit-000043~2026-12-07'
    ]);
  });

  test('$orderby with several items, nulls first ascending; $skip and $top', async () => {
    const answer = await get(
      `${SET}?$filter=UserId%20eq%20%27fit-000042%27&$orderby=HeartRateAverage%20asc,ActivityDate%20desc&$select=ActivityDate,HeartRateAverage&$top=13`
    );
    const value = answer.json.value as Entity[];
    assert.deepEqual(
      value.slice(0, 12).map((e) => e.HeartRateAverage),
      Array(12).fill(null)
    );
    assert.equal(value[0]?.ActivityDate, '2026-12-03', 'nulls ordered by date desc');
    assert.equal(value[12]?.HeartRateAverage, 70);
  });

  test('/DailyActivities/$count: the count of the filter, text/plain', async () => {
    const all = await get(`${SET}/$count`);
    assert.equal(all.status, 200);
    assert.match(all.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(all.text, String(DAYS + 3));
    const filtered = await get(`${SET}/$count?$filter=UserId%20eq%20%27fit-000043%27`);
    assert.equal(filtered.text, '2');
  });

  test('server-driven paging: following @odata.nextLink returns every row exactly once', async () => {
    let url: string | undefined =
      `${SET}?$filter=Steps%20ge%200&$orderby=ActivityDate%20desc&$select=Id,ActivityDate&$count=true`;
    const seen: string[] = [];
    const pages: number[] = [];
    while (url) {
      const answer = await get(url.startsWith('http') ? url.slice(origin().length) : url);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(
        answer.json['@odata.count'],
        DAYS + 3,
        'the count of the whole query on every page'
      );
      const value = answer.json.value as Entity[];
      pages.push(value.length);
      seen.push(...value.map((e) => String(e.Id)));
      url = answer.json['@odata.nextLink'] as string | undefined;
      if (url) {
        assert.ok(url.startsWith(`${origin()}${SET}?`), url);
        assert.match(url, /\$skiptoken=[A-Za-z0-9_-]+$/);
      }
    }
    assert.deepEqual(pages, [PAGE, DAYS + 3 - PAGE]);
    assert.equal(seen.length, DAYS + 3);
    assert.equal(new Set(seen).size, DAYS + 3, 'no row twice');
    // Ties on ActivityDate (three users on 2026-12-07) are ordered by the key: stable across pages.
    assert.deepEqual(seen.slice(0, 3), [
      'fit-000042~2026-12-07',
      'fit-000043~2026-12-07',
      'fit-it_s~2026-12-07'
    ]);
  });

  test('Prefer: odata.maxpagesize lowers the page (Preference-Applied); $top caps the pages', async () => {
    const collect = async (first: string, headers: Record<string, string>) => {
      const sizes: number[] = [];
      const ids: string[] = [];
      let url: string | undefined = first;
      while (url) {
        const answer = await get(url.replace(origin(), ''), { headers });
        assert.equal(answer.status, 200, answer.text);
        sizes.push((answer.json.value as Entity[]).length);
        ids.push(...(answer.json.value as Entity[]).map((e) => String(e.Id)));
        if (headers.prefer)
          assert.equal(answer.headers.get('preference-applied'), 'odata.maxpagesize=7');
        url = answer.json['@odata.nextLink'] as string | undefined;
      }
      return { sizes, ids };
    };
    const prefer = { prefer: 'odata.maxpagesize=7' };
    const capped = await collect(
      `${SET}?$filter=UserId%20eq%20%27fit-000042%27&$select=Id&$top=17&$skip=2`,
      prefer
    );
    assert.deepEqual(capped.sizes, [7, 7, 3]);
    assert.equal(capped.ids[0], 'fit-000042~2026-10-11', '$skip applies before the pages');
    assert.equal(new Set(capped.ids).size, 17);
    const larger = await get(`${SET}?$select=Id`, {
      headers: { prefer: 'odata.maxpagesize=5000' }
    });
    assert.equal((larger.json.value as Entity[]).length, PAGE, 'never above maxPageSize');
    assert.equal(larger.headers.get('preference-applied'), `odata.maxpagesize=${PAGE}`);
    const none = await get(`${SET}?$top=0&$count=true`);
    assert.deepEqual(none.json.value, []);
    assert.equal(none.json['@odata.count'], DAYS + 3);
  });

  test('$skiptoken: tampered, foreign or malformed tokens are refused (400)', async () => {
    const first = await get(`${SET}?$select=Id&$orderby=Steps`);
    const link = String(first.json['@odata.nextLink']);
    const token = link.slice(link.indexOf('$skiptoken=') + '$skiptoken='.length);
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(token, 'base64url').toString()), n: -5 })
    ).toString('base64url');
    for (const url of [
      `${SET}?$select=Id&$orderby=Steps&$skiptoken=${forged}`,
      `${SET}?$select=Id&$orderby=Steps%20desc&$skiptoken=${token}`, // another query's token
      `${SET}?$select=Id&$orderby=Steps&$skiptoken=not-json`,
      `${SET}?$select=Id&$orderby=Steps&$skiptoken=%27%20OR%201%3D1`
    ]) {
      const answer = await get(url);
      assert.equal(answer.status, 400, url);
      assert.equal(answer.json.error.code, 'bad_request');
    }
    const valid = await get(`${SET}?$select=Id&$orderby=Steps&$skiptoken=${token}`);
    assert.equal(valid.status, 200);
  });

  test('injection attempts: quoted SQL is a value, anything else is refused', async () => {
    const refused: Array<[string, number]> = [
      ["UserId eq 'x';DROP TABLE activity_days", 400],
      ['UserId eq x', 400],
      ["Nope eq 'x'", 400],
      ["user_id eq 'fit-000042'", 400],
      ["contains(UserId,'fit')", 501],
      ["startswith(UserId,'fit')", 501],
      ['Steps add 1 gt 2', 501],
      ['Steps eq Readings', 501],
      ['UserId eq 5', 400],
      ["Steps eq 'five'", 400],
      ['ActivityDate ge 2026-02-30', 400],
      ['ActivityDate ge 2026-12-01T00:00:00Z', 400],
      ["Id gt 'fit-000042~2026-12-01'", 501],
      ['true', 501],
      ["UserId/x eq 'a'", 501],
      // The parser reads this as not (A and B): refused, never answered wrongly.
      ["not (UserId eq 'fit-000042') and Steps gt 1000", 501]
    ];
    for (const [filter, status] of refused) {
      const answer = await get(`${SET}?$filter=${encodeURIComponent(filter)}`);
      assert.equal(answer.status, status, `${filter}: ${answer.text}`);
      assert.deepEqual(Object.keys(answer.json), ['error'], filter);
      assert.deepEqual(Object.keys(answer.json.error), ['code', 'message'], filter);
    }
    for (const value of [
      "fit-000042' OR '1'='1",
      "x') OR 1=1 --",
      'fit-000042"; DROP TABLE activity_days; --',
      '$1::text'
    ]) {
      const literal = `'${value.replace(/'/g, "''")}'`;
      const answer = await get(`${SET}?$filter=${encodeURIComponent(`UserId eq ${literal}`)}`);
      assert.equal(answer.status, 200, `${value}: ${answer.text}`);
      assert.deepEqual(answer.json.value, [], `${value} is only a value`);
    }
    for (const [query, status] of [
      ['$orderby=Steps;DROP%20TABLE%20activity_days', 400],
      ['$orderby=Nope', 400],
      ['$orderby=Steps%26$top=1', 400],
      ['$orderby=length(UserId)', 501],
      ['$select=Steps,(select%201)', 501],
      ['$select=Nope', 400],
      ['$top=-1', 400],
      ['$top=1e3', 400],
      ['$skip=abc', 400],
      ['$count=yes', 400],
      ['$top=1&$top=2', 400],
      ['$search=fit', 501],
      ['$expand=User', 501],
      ['$unknown=1', 400],
      ['$format=xml', 406]
    ] as const) {
      const answer = await get(`${SET}?${query}`);
      assert.equal(answer.status, status, `${query}: ${answer.text}`);
      assert.ok(answer.json.error?.code, query);
    }
    const still = await h.db.pool.query('SELECT count(*)::int AS n FROM activity_days');
    assert.equal(still.rows[0].n, DAYS + 3, 'the table is intact');
    const custom = await get(`${SET}/$count?sap-client=100&$format=json`);
    assert.equal(custom.status, 200, 'custom options ignored, $format=json accepted');
  });

  test('authentication: no token 401; another service token 403 in the OData error shape', async () => {
    const none = await get(`${SET}?$top=1`, { token: null });
    assert.equal(none.status, 401);
    const metadata = await get(`${ROOT}/$metadata`, { token: null });
    assert.equal(metadata.status, 401, '$metadata is not public either');
    const wrong = await get(`${SET}?$top=1`, { token: 'not-a-token-of-this-service-0000' });
    assert.equal(wrong.status, 401);
    const other = await get(`${SET}?$top=1`, { token: OTHER_SERVICE_TOKEN });
    assert.equal(other.status, 403);
    assert.deepEqual(other.json, {
      error: { code: 'forbidden', message: 'This token may not read activity.' }
    });
  });

  test('unknown resources: 404 in the OData error shape', async () => {
    for (const path of [`${ROOT}/Users`, `${SET}/Steps`, `${ROOT}/$batch`]) {
      const answer = await get(path);
      assert.equal(answer.status, 404, path);
      assert.equal(answer.json.error.code, 'not_found');
    }
  });
});
