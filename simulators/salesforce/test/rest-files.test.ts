/**
 * Files as a real org serves them (REST API Developer Guide, "Insert or Update Blob Data" and
 * "Get Blob Data"): blob fields come back as the URL of their blob resource, never inline; that
 * URL streams the bytes; multipart inserts carry the record as JSON (`entity_content`) and the
 * file as its own binary part. Clients: jsforce (create, query, retrieve, `blob()` streams) and
 * Node's own fetch/FormData for multipart, as integrations send it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Readable } from 'node:stream';
import type jsforce from 'jsforce';
import type { TestEmulator } from './helpers/emulator.ts';
import { startTestEmulator } from './helpers/emulator.ts';
import { useJsforceEmulator } from './helpers/jsforce.ts';

let emulator: TestEmulator;
let conn: jsforce.Connection;
useJsforceEmulator((started, connection) => {
  emulator = started;
  conn = connection;
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function multipartForm(entity: Record<string, unknown>, bytes: Buffer, part = 'VersionData') {
  const form = new FormData();
  form.append('entity_content', new Blob([JSON.stringify(entity)], { type: 'application/json' }));
  form.append(part, new Blob([bytes], { type: 'application/octet-stream' }), 'photo.png');
  return form;
}

async function postForm(
  target: TestEmulator,
  type: string,
  form: FormData
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${target.instanceUrl}/services/data/v65.0/sobjects/${type}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.accessToken}` },
    body: form
  });
  return { status: response.status, body: await response.json() };
}

test('VersionData is a URL in queries and record GETs, and that URL streams the bytes', async () => {
  const bytes = randomBytes(300_000);
  const created = await conn.sobject('ContentVersion').create({
    Title: 'Passport',
    PathOnClient: 'passport.png',
    VersionData: bytes.toString('base64')
  });
  assert.ok(created.success);
  const id = created.id as string;
  const url = `/services/data/v65.0/sobjects/ContentVersion/${id}/VersionData`;

  const result = await conn.query<{ VersionData: string; ContentSize: number }>(
    `SELECT Id, VersionData, ContentSize, ContentDocument.Title FROM ContentVersion WHERE Id = '${id}'`
  );
  assert.equal(result.records[0]?.VersionData, url);
  assert.equal(result.records[0]?.ContentSize, bytes.length);

  const record = (await conn.sobject('ContentVersion').retrieve(id)) as Record<string, unknown>;
  assert.equal(record.VersionData, url);

  // jsforce's documented way to download a file.
  const streamed = await readAll(conn.sobject('ContentVersion').record(id).blob('VersionData'));
  assert.ok(streamed.equals(bytes));

  const response = await fetch(`${emulator.instanceUrl}${url}`, {
    headers: { authorization: `Bearer ${emulator.accessToken}` }
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/octet-stream');
  assert.equal(response.headers.get('transfer-encoding'), 'chunked');
  assert.ok(Buffer.from(await response.arrayBuffer()).equals(bytes));
});

test('the blob URL of an unknown record answers 404 NOT_FOUND as JSON', async () => {
  const response = await emulator.rest(
    'GET',
    'sobjects/ContentVersion/068000000000001AAA/VersionData'
  );
  assert.equal(response.status, 404);
  assert.deepEqual(response.body, [
    { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }
  ]);
});

test('a multipart insert (entity_content + VersionData) stores the file', async () => {
  const bytes = randomBytes(70_000);
  const { status, body } = await postForm(
    emulator,
    'ContentVersion',
    multipartForm({ Title: 'Photo', PathOnClient: 'photo.png' }, bytes)
  );
  assert.equal(status, 201);
  const { id } = body as { id: string; success: boolean; errors: unknown[] };
  assert.deepEqual(body, { id, success: true, errors: [] });

  const version = (await conn.sobject('ContentVersion').retrieve(id)) as Record<string, unknown>;
  assert.equal(version.ContentSize, bytes.length);
  assert.equal(version.FileType, 'PNG');
  assert.equal(typeof version.ContentDocumentId, 'string');
  const streamed = await readAll(conn.sobject('ContentVersion').record(id).blob('VersionData'));
  assert.ok(streamed.equals(bytes));
});

test('a multipart Attachment (entity_attachment + Body) works the same way', async () => {
  const account = await conn.sobject('Account').create({ Name: 'Files Inc' });
  const form = new FormData();
  form.append(
    'entity_attachment',
    new Blob([JSON.stringify({ Name: 'scan.pdf', ParentId: account.id })], {
      type: 'application/json'
    })
  );
  form.append('Body', new Blob([Buffer.from('%PDF-1.7 scan')]), 'scan.pdf');
  const { status, body } = await postForm(emulator, 'Attachment', form);
  assert.equal(status, 201);
  const id = (body as { id: string }).id;
  const [row] = (
    await conn.query<{ Body: string; BodyLength: number }>(
      `SELECT Body, BodyLength FROM Attachment WHERE Id = '${id}'`
    )
  ).records;
  assert.equal(row?.Body, `/services/data/v65.0/sobjects/Attachment/${id}/Body`);
  assert.equal(row?.BodyLength, 13);
});

test('multipart errors: bad entity JSON, unknown binary part', async () => {
  const form = new FormData();
  form.append('entity_content', new Blob(['{"Title": '], { type: 'application/json' }));
  form.append('VersionData', new Blob([Buffer.from('x')]));
  const bad = await postForm(emulator, 'ContentVersion', form);
  assert.equal(bad.status, 400);
  assert.equal((bad.body as Array<{ errorCode: string }>)[0]?.errorCode, 'JSON_PARSER_ERROR');

  const unknown = await postForm(
    emulator,
    'ContentVersion',
    multipartForm({ Title: 'x', PathOnClient: 'x.txt' }, Buffer.from('x'), 'Photo__c')
  );
  assert.equal(unknown.status, 400);
  assert.equal((unknown.body as Array<{ errorCode: string }>)[0]?.errorCode, 'INVALID_FIELD');
});

test('large files go to disk; the emulator cap refuses a file over it while it streams', async () => {
  const small = await startTestEmulator({
    files: { inlineBytes: 64 * 1024, maxBytes: 1024 * 1024 }
  });
  try {
    const bytes = randomBytes(512 * 1024);
    const { status, body } = await postForm(
      small,
      'ContentVersion',
      multipartForm({ Title: 'Scan', PathOnClient: 'scan.pdf' }, bytes)
    );
    assert.equal(status, 201);
    const id = (body as { id: string }).id;
    const url = `${small.instanceUrl}/services/data/v65.0/sobjects/ContentVersion/${id}/VersionData`;
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${small.accessToken}` }
    });
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(bytes));
    const query = await small.rest(
      'GET',
      `query?q=${encodeURIComponent(`SELECT VersionData, ContentSize, ContentDocument.ContentSize FROM ContentVersion WHERE Id = '${id}'`)}`
    );
    const [row] = (query.body as { records: Array<Record<string, unknown>> }).records;
    assert.equal(
      row?.VersionData,
      `/services/data/v65.0/sobjects/ContentVersion/${id}/VersionData`
    );
    assert.equal(row?.ContentSize, bytes.length);
    assert.deepEqual((row?.ContentDocument as Record<string, unknown>).ContentSize, bytes.length);

    // Refused as the bytes arrive (the emulator closes the connection after its answer).
    const over = await postForm(
      small,
      'ContentVersion',
      multipartForm({ Title: 'Big', PathOnClient: 'big.bin' }, randomBytes(4 * 1024 * 1024))
    );
    assert.equal(over.status, 413);
    assert.equal(
      (over.body as Array<{ errorCode: string }>)[0]?.errorCode,
      'REQUEST_ENTITY_TOO_LARGE'
    );
    const count = await small.rest(
      'GET',
      `query?q=${encodeURIComponent("SELECT COUNT() FROM ContentVersion WHERE Title = 'Big'")}`
    );
    assert.equal((count.body as { totalSize: number }).totalSize, 0);
  } finally {
    await small.close();
  }
});

test('multipart is for inserts only; a multipart body without a boundary is refused', async () => {
  const { id } = await conn.sobject('Account').create({ Name: 'Not a file' });
  const patch = await fetch(
    `${emulator.instanceUrl}/services/data/v65.0/sobjects/Account/${String(id)}`,
    {
      method: 'PATCH',
      headers: { authorization: `Bearer ${emulator.accessToken}` },
      body: multipartForm({ Name: 'x' }, Buffer.from('x'))
    }
  );
  assert.equal(patch.status, 415);
  const noBoundary = await emulator.rest('POST', 'sobjects/ContentVersion', '--x--', {
    'content-type': 'multipart/form-data'
  });
  assert.equal(noBoundary.status, 400);
  assert.equal(
    (noBoundary.body as Array<{ errorCode: string }>)[0]?.errorCode,
    'INVALID_MULTIPART_REQUEST'
  );
});

test('with --persist, a file kept on disk survives a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sf-files-persist-'));
  const options = {
    config: { persistPath: join(dir, 'org.json') },
    files: { inlineBytes: 1024 }
  };
  try {
    const bytes = randomBytes(10_000);
    const first = await startTestEmulator(options);
    let id: string;
    try {
      const created = await postForm(
        first,
        'ContentVersion',
        multipartForm({ Title: 'Kept', PathOnClient: 'kept.bin' }, bytes)
      );
      assert.equal(created.status, 201);
      id = (created.body as { id: string }).id;
    } finally {
      await first.close();
    }
    const second = await startTestEmulator(options);
    try {
      const response = await fetch(
        `${second.instanceUrl}/services/data/v65.0/sobjects/ContentVersion/${id}/VersionData`,
        { headers: { authorization: `Bearer ${second.accessToken}` } }
      );
      assert.equal(response.status, 200);
      assert.ok(Buffer.from(await response.arrayBuffer()).equals(bytes));
    } finally {
      await second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
