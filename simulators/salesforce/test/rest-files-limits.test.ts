/**
 * Multipart blob inserts stay bounded in time and memory: bytes after the closing boundary are
 * not buffered, the whole request has a cap (the file's limit plus the entity part and a small
 * allowance), and a request carries one entity part only. Client: Node's fetch, as integrations
 * send multipart.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
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

/**
 * Sends `prefix` then `trailingBytes` more in 64 KB writes with node:http, chunked or with a
 * Content-Length, and resolves with the answer as soon as it comes: the emulator answers an
 * oversized request early and closes the connection, so write errors after that are expected.
 */
function postEarly(
  target: TestEmulator,
  prefix: Buffer,
  trailingBytes: number,
  declareLength: boolean
): Promise<{ status: number; body: unknown }> {
  const url = new URL(`${target.instanceUrl}/services/data/v65.0/sobjects/ContentVersion`);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${target.accessToken}`,
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          ...(declareLength ? { 'content-length': String(prefix.length + trailingBytes) } : {})
        }
      },
      (response) => {
        answered = true;
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown })
        );
        response.on('error', reject);
      }
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = (): void => {
      while (!answered && sent < trailingBytes && !req.destroyed) {
        const piece = chunk.subarray(0, Math.min(chunk.length, trailingBytes - sent));
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    req.write(prefix);
    pump();
  });
}

test('the whole multipart request is capped: streamed or declared, 413 REQUEST_ENTITY_TOO_LARGE', async () => {
  const prefix = Buffer.from(head(ENTITY) + filePart('hello'));
  // 1 MB file cap + 50 MB entity + 1 MB allowance: 60 MB of epilogue is over it.
  for (const declareLength of [false, true]) {
    const answer = await postEarly(small, prefix, 60 * 1024 * 1024, declareLength);
    assert.equal(answer.status, 413, `declared length: ${declareLength}`);
    assert.equal(
      (answer.body as Array<{ errorCode: string }>)[0]?.errorCode,
      'REQUEST_ENTITY_TOO_LARGE'
    );
  }
});

test('one entity part only: a second one is refused with 400 before it is read', async () => {
  const body = head(ENTITY) + head(ENTITY, 'entity_document') + filePart('hello');
  const { status, body: answer } = await post(emulator, body);
  assert.equal(status, 400);
  const [error] = answer as Array<{ errorCode: string; message: string }>;
  assert.equal(error?.errorCode, 'INVALID_MULTIPART_REQUEST');
  assert.match(error?.message ?? '', /entity part/);
});

test('the file part is sent as a file: octet-stream without a filename is one, a text field is refused', async () => {
  const octet =
    head(ENTITY) +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="VersionData"\r\n` +
    `Content-Type: application/octet-stream\r\n\r\nhello\r\n--${BOUNDARY}--\r\n`;
  const accepted = await post(emulator, octet);
  assert.equal(accepted.status, 201, JSON.stringify(accepted.body));

  // No filename and a text type: a form field, whose bytes would arrive decoded as text.
  const field =
    head(ENTITY) +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="VersionData"\r\n\r\nhello\r\n` +
    `--${BOUNDARY}--\r\n`;
  const { status, body } = await post(emulator, field);
  assert.equal(status, 400);
  const [error] = body as Array<{ errorCode: string; message: string }>;
  assert.equal(error?.errorCode, 'INVALID_MULTIPART_REQUEST');
  assert.match(error?.message ?? '', /VersionData part needs a filename/);
});
