/**
 * Multipart blob inserts stay bounded in time and memory: bytes after the closing boundary are
 * not buffered, the whole request has a cap (the file's limit plus the entity part and a small
 * allowance), and a request carries one entity part only. Client: Node's fetch, as integrations
 * send multipart.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestEmulator } from './helpers/emulator.ts';
import { startTestEmulator } from './helpers/emulator.ts';

let emulator: TestEmulator;
let small: TestEmulator;
before(async () => {
  emulator = await startTestEmulator();
  small = await startTestEmulator({ files: { maxBytes: 1024 * 1024 } });
});
after(async () => {
  await emulator.close();
  await small.close();
});

const BOUNDARY = 'sfemutestboundary';

function head(entity: string, name = 'entity_content'): string {
  return (
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n` +
    `Content-Type: application/json\r\n\r\n${entity}\r\n`
  );
}

function filePart(bytes: string): string {
  return (
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="VersionData"; filename="a.txt"\r\n` +
    `Content-Type: application/octet-stream\r\n\r\n${bytes}\r\n--${BOUNDARY}--\r\n`
  );
}

const ENTITY = JSON.stringify({ Title: 'Small', PathOnClient: 'a.txt' });

async function post(
  target: TestEmulator,
  body: string | Buffer | ReadableStream<Uint8Array>,
  chunked = false
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(
    `${target.instanceUrl}/services/data/v65.0/sobjects/ContentVersion`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${target.accessToken}`,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`
      },
      body,
      ...(chunked ? { duplex: 'half' } : {})
    } as RequestInit
  );
  return { status: response.status, body: await response.json() };
}

/** A body streamed in 64 KB chunks without Content-Length (Transfer-Encoding: chunked). */
function chunkedBody(prefix: Buffer, trailingBytes: number): ReadableStream<Uint8Array> {
  let sent = -1;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return new ReadableStream({
    pull(controller) {
      if (sent < 0) {
        controller.enqueue(prefix);
        sent = 0;
      } else if (sent < trailingBytes) {
        controller.enqueue(chunk);
        sent += chunk.length;
      } else controller.close();
    }
  });
}

test('garbage after the closing boundary is not buffered: a 5-byte file + 40 MB epilogue is quick', async () => {
  const prefix = Buffer.from(head(ENTITY) + filePart('hello'));
  const started = Date.now();
  const { status, body } = await post(emulator, chunkedBody(prefix, 40 * 1024 * 1024), true);
  const elapsed = Date.now() - started;
  assert.equal(status, 201, JSON.stringify(body));
  assert.ok(elapsed < 8000, `took ${elapsed} ms`);
  const id = (body as { id: string }).id;
  const bytes = await fetch(
    `${emulator.instanceUrl}/services/data/v65.0/sobjects/ContentVersion/${id}/VersionData`,
    { headers: { authorization: `Bearer ${emulator.accessToken}` } }
  );
  assert.equal(await bytes.text(), 'hello');
});

test('the whole multipart request is capped: streamed or declared, 413 REQUEST_ENTITY_TOO_LARGE', async () => {
  const prefix = Buffer.from(head(ENTITY) + filePart('hello'));
  // 1 MB file cap + 50 MB entity + 1 MB allowance: 60 MB of epilogue is over it.
  const streamed = await post(small, chunkedBody(prefix, 60 * 1024 * 1024), true);
  assert.equal(streamed.status, 413);
  assert.equal(
    (streamed.body as Array<{ errorCode: string }>)[0]?.errorCode,
    'REQUEST_ENTITY_TOO_LARGE'
  );
  const declared = await post(small, Buffer.concat([prefix, Buffer.alloc(60 * 1024 * 1024, 0x61)]));
  assert.equal(declared.status, 413);
});

test('one entity part only: a second one is refused with 400 before it is read', async () => {
  const body = head(ENTITY) + head(ENTITY, 'entity_document') + filePart('hello');
  const { status, body: answer } = await post(emulator, body);
  assert.equal(status, 400);
  const [error] = answer as Array<{ errorCode: string; message: string }>;
  assert.equal(error?.errorCode, 'INVALID_MULTIPART_REQUEST');
  assert.match(error?.message ?? '', /entity part/);
});
