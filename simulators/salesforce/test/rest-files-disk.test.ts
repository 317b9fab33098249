/**
 * Files kept on disk follow their record: a ContentVersion whose file is gone answers its blob
 * URL with 404 NOT_FOUND (not 500), and deleting the file's ContentDocument removes the bytes
 * from disk. Clients: fetch (multipart upload, blob download, delete).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';

let dir: string;
let emulator: TestEmulator;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sf-files-disk-'));
  emulator = await startTestEmulator({
    config: { persistPath: join(dir, 'org.json') },
    files: { inlineBytes: 1024 }
  });
});
after(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

async function upload(): Promise<{ id: string; path: string }> {
  const form = new FormData();
  form.append(
    'entity_content',
    new Blob([JSON.stringify({ Title: 'Disk', PathOnClient: 'disk.bin' })], {
      type: 'application/json'
    })
  );
  form.append('VersionData', new Blob([randomBytes(10_000)]), 'disk.bin');
  const response = await fetch(
    `${emulator.instanceUrl}/services/data/v65.0/sobjects/ContentVersion`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${emulator.accessToken}` },
      body: form
    }
  );
  assert.equal(response.status, 201);
  const { id } = (await response.json()) as { id: string };
  const path = join(dir, 'org.json.files', `${id}.VersionData`);
  assert.ok(existsSync(path), 'a file over inlineBytes is kept on disk');
  return { id, path };
}

test('a ContentVersion whose file is missing answers 404 NOT_FOUND', async () => {
  const { id, path } = await upload();
  await unlink(path);
  const response = await fetch(
    `${emulator.instanceUrl}/services/data/v65.0/sobjects/ContentVersion/${id}/VersionData`,
    { headers: { authorization: `Bearer ${emulator.accessToken}` } }
  );
  assert.equal(response.status, 404);
  const [error] = (await response.json()) as Array<{ errorCode: string }>;
  assert.equal(error?.errorCode, 'NOT_FOUND');
});

test('deleting the ContentDocument removes the version file from disk', async () => {
  const { id, path } = await upload();
  const version = await emulator.rest('GET', `sobjects/ContentVersion/${id}`);
  const documentId = (version.body as { ContentDocumentId: string }).ContentDocumentId;
  const deleted = await emulator.rest('DELETE', `sobjects/ContentDocument/${documentId}`);
  assert.equal(deleted.status, 204);
  for (let i = 0; i < 50 && existsSync(path); i++) await sleep(50);
  assert.equal(existsSync(path), false, `${path} is still on disk`);
});
