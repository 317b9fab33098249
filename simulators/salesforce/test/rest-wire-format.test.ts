/**
 * How answers travel, as a real org sends them: doubles with Java's text (`100.0`, `1.0E7`),
 * gzip when the client asks for it, 304 for a describe not modified since If-Modified-Since,
 * and a body-less PATCH answered at once with the real error. Clients: jsforce, node:http (raw
 * bytes, no automatic decompression), fetch.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type jsforce from 'jsforce';
import type { TestEmulator } from './helpers/emulator.ts';
import { useJsforceEmulator } from './helpers/jsforce.ts';

let emulator: TestEmulator;
let conn: jsforce.Connection;
useJsforceEmulator((started, connection) => {
  emulator = started;
  conn = connection;
});

/** One raw HTTP exchange: status, headers and the body bytes exactly as sent. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${emulator.instanceUrl}/services/data/v65.0/${path}`,
      { method, headers: { authorization: `Bearer ${emulator.accessToken}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks)
          })
        );
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('currency and double values are written as Java writes doubles', async () => {
  const { id } = await conn.sobject('Account').create({
    Name: 'Doubles',
    AnnualRevenue: 10_000_000,
    NumberOfEmployees: 120
  });
  const query = await raw(
    'GET',
    `query?q=${encodeURIComponent(`SELECT AnnualRevenue, NumberOfEmployees FROM Account WHERE Id = '${String(id)}'`)}`
  );
  const text = query.body.toString('utf8');
  assert.match(text, /"AnnualRevenue":1\.0E7/);
  assert.match(text, /"NumberOfEmployees":120[,}]/, 'integers stay integers');

  await conn.sobject('Account').update({ Id: String(id), AnnualRevenue: 100 });
  const record = await raw('GET', `sobjects/Account/${String(id)}?fields=AnnualRevenue`);
  assert.match(record.body.toString('utf8'), /"AnnualRevenue":100\.0[,}]/);
  // Parsed by a client, still the number.
  const parsed = (await conn.sobject('Account').retrieve(String(id))) as Record<string, unknown>;
  assert.equal(parsed.AnnualRevenue, 100);

  const aggregate = await raw(
    'GET',
    `query?q=${encodeURIComponent('SELECT SUM(AnnualRevenue) total, AVG(NumberOfEmployees) average, COUNT(Id) n FROM Account')}`
  );
  const aggregateText = aggregate.body.toString('utf8');
  assert.match(aggregateText, /"total":100\.0[,}]/);
  assert.match(aggregateText, /"average":120\.0[,}]/, 'AVG is a double whatever its field');
  assert.match(aggregateText, /"n":1[,}]/);

  // Composite subresponses keep them, and a reference to one passes the number on.
  const composite = await raw(
    'POST',
    'composite',
    { 'content-type': 'application/json' },
    JSON.stringify({
      compositeRequest: [
        {
          method: 'GET',
          url: `/services/data/v65.0/sobjects/Account/${String(id)}?fields=AnnualRevenue`,
          referenceId: 'account'
        },
        {
          method: 'PATCH',
          url: `/services/data/v65.0/sobjects/Account/${String(id)}`,
          referenceId: 'copy',
          body: { NumberOfEmployees: '@{account.AnnualRevenue}' }
        }
      ]
    })
  );
  assert.equal(composite.status, 200);
  assert.match(composite.body.toString('utf8'), /"AnnualRevenue":100\.0[,}]/);
  const copied = (await conn.sobject('Account').retrieve(String(id))) as Record<string, unknown>;
  assert.equal(copied.NumberOfEmployees, 100);
});

test('Accept-Encoding: gzip compresses REST answers; jsforce reads them', async () => {
  await conn.sobject('Account').create({ Name: 'Zipped' });
  const plain = await raw('GET', 'sobjects/Account/describe');
  assert.equal(plain.headers['content-encoding'], undefined);
  const zipped = await raw('GET', 'sobjects/Account/describe', { 'accept-encoding': 'gzip' });
  assert.equal(zipped.status, 200);
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  assert.ok(zipped.body.length < plain.body.length);
  assert.deepEqual(
    JSON.parse(gunzipSync(zipped.body).toString('utf8')),
    JSON.parse(plain.body.toString('utf8'))
  );
  const refused = await raw('GET', 'limits', { 'accept-encoding': 'gzip;q=0, identity' });
  assert.equal(refused.headers['content-encoding'], undefined);
  // jsforce (node-fetch) asks for gzip and decompresses.
  const result = await conn.query<{ Name: string }>(
    "SELECT Name FROM Account WHERE Name = 'Zipped'"
  );
  assert.equal(result.records[0]?.Name, 'Zipped');
});

test('If-Modified-Since on describe: 304 when the schema is not newer', async () => {
  const future = new Date(Date.now() + 24 * 3600_000).toUTCString();
  const notModified = await raw('GET', 'sobjects/Account/describe', {
    'if-modified-since': future
  });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.body.length, 0);
  const global = await raw('GET', 'sobjects', { 'if-modified-since': future });
  assert.equal(global.status, 304);
  const past = new Date(Date.now() - 365 * 24 * 3600_000).toUTCString();
  assert.equal(
    (await raw('GET', 'sobjects/Account/describe', { 'if-modified-since': past })).status,
    200
  );
  // jsforce sends the header through describe's options.
  const described = await conn.request({
    method: 'GET',
    url: '/services/data/v65.0/sobjects/Account/describe',
    headers: { 'If-Modified-Since': past }
  });
  assert.equal((described as { name: string }).name, 'Account');
});

test('a body-less PATCH is answered at once with JSON_PARSER_ERROR', async () => {
  const { id } = await conn.sobject('Account').create({ Name: 'Patched' });
  const url = `/services/data/v65.0/sobjects/Account/${String(id)}`;
  const started = Date.now();
  // What jsforce sends for conn.request({method: 'PATCH', url, body: ''}).
  await assert.rejects(conn.request({ method: 'PATCH', url, body: '' }), {
    errorCode: 'JSON_PARSER_ERROR'
  });
  const header = await raw('PATCH', `sobjects/Account/${String(id)}`, {
    'content-type': 'application/json',
    'content-length': '0'
  });
  assert.equal(header.status, 400);
  assert.deepEqual(JSON.parse(header.body.toString('utf8')), [
    { message: 'No content to map due to end-of-input', errorCode: 'JSON_PARSER_ERROR' }
  ]);
  assert.ok(Date.now() - started < 2000);
});
