import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';
import {
  startEmbeddedStorage,
  type EmbeddedStorage
} from '../../src/property-media/embedded-storage.ts';
import { presignUpload } from '../../src/property-media/presign.ts';
import { createStorageClient, sha256HexToBase64 } from '../../src/property-media/storage.ts';
import { eventually } from '../../../toolkit/testing/wait.ts';

const BUCKET = 'property-images';
const KEY = 'properties/LST-1/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';

describe('embedded storage (s3rver behind SigV4 verification)', () => {
  let directory: string;
  let storage: EmbeddedStorage;
  let client: S3Client;
  const body = Buffer.from('a small image body');
  const sha256 = createHash('sha256').update(body).digest('hex');

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'media-storage-'));
    storage = await startEmbeddedStorage({
      directory,
      bucket: BUCKET,
      secretAccessKey: 'test-secret',
      port: 0,
      corsOrigins: ['https://example.lightning.force.com']
    });
    client = createStorageClient({
      endpoint: storage.endpoint,
      region: 'us-east-1',
      bucket: BUCKET,
      forcePathStyle: true,
      credentials: storage.credentials
    });
  });
  after(async () => {
    client.destroy();
    await storage.close();
    await rm(directory, { recursive: true, force: true });
  });

  const presignPut = (key: string, expiresIn = 600, size = body.length) =>
    getSignedUrl(
      client,
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        ContentType: 'image/jpeg',
        ContentLength: size,
        ChecksumSHA256: sha256HexToBase64(sha256)
      }),
      {
        expiresIn,
        signableHeaders: new Set(['content-type', 'content-length']),
        unhoistableHeaders: new Set(['x-amz-checksum-sha256'])
      }
    );
  /** Sends the head and the first part of a body, then leaves without the rest. */
  const putCutShort = (url: URL, part: Buffer, headers: Record<string, string>) =>
    new Promise<void>((resolve) => {
      const request = httpRequest({
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: 'PUT',
        headers
      });
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      request.write(part, () => setTimeout(() => request.destroy(), 50));
    });
  /** A presigned upload as the media service issues it (conditional, checksum signed). */
  const ticketFor = (storageKey: string, data: Buffer = body) =>
    presignUpload(
      client,
      BUCKET,
      {
        storageKey,
        contentType: 'image/jpeg',
        size: data.length,
        sha256: createHash('sha256').update(data).digest('hex')
      },
      600
    );
  /** The request line and headers of a ticket's PUT, for clients written on a raw socket. */
  const requestHead = (ticket: { uploadUrl: string; headers: object }, length: number) => {
    const target = new URL(ticket.uploadUrl);
    return (
      `PUT ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n` +
      Object.entries({ ...ticket.headers, 'Content-Length': String(length) })
        .map(([name, value]) => `${name}: ${String(value)}\r\n`)
        .join('') +
      '\r\n'
    );
  };
  const put = (url: string, headers: Record<string, string> = {}, data: Buffer = body) =>
    fetch(url, {
      method: 'PUT',
      headers: {
        'content-type': 'image/jpeg',
        'x-amz-checksum-sha256': sha256HexToBase64(sha256),
        ...headers
      },
      body: data
    });

  it('stores a PUT to a valid presigned URL, readable with the SDK', async () => {
    const answer = await put(await presignPut(KEY));
    assert.equal(answer.status, 200, await answer.text());
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
    assert.equal(head.ContentLength, body.length);
    assert.equal(head.ContentType, 'image/jpeg');
    const read = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
    assert.deepEqual(Buffer.from(await read.Body!.transformToByteArray()), body);
  });

  it('refuses another content type, another length, another key and an expired URL', async () => {
    const url = await presignPut(KEY);
    const wrongType = await put(url, { 'content-type': 'text/html' });
    assert.equal(wrongType.status, 403);
    assert.match(await wrongType.text(), /SignatureDoesNotMatch/);
    const longer = await put(url, {}, Buffer.concat([body, Buffer.from('x')]));
    assert.equal(longer.status, 403);
    const otherKey = await put(url.replace('3f2b8c1e', '4f2b8c1e'));
    assert.equal(otherKey.status, 403);
    const expired = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: KEY }), {
      expiresIn: 1,
      signingDate: new Date(Date.now() - 5_000)
    });
    const answer = await fetch(expired);
    assert.equal(answer.status, 403);
    assert.match(await answer.text(), /Request has expired/);
  });

  it('refuses a body that differs from its signed SHA-256 (BadDigest) and stores nothing', async () => {
    const key = 'properties/LST-3/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    const url = await presignPut(key);
    const tampered = Buffer.from(body);
    tampered[0] = tampered[0]! ^ 1;
    const refused = await put(url, {}, tampered);
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /<Code>BadDigest<\/Code>/);
    await assert.rejects(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
    const accepted = await put(url);
    assert.equal(accepted.status, 200, await accepted.text());
  });

  it('keeps the stored object when a replacement fails its checksum, as S3 does', async () => {
    const key = 'properties/LST-4/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: body,
        ChecksumSHA256: sha256HexToBase64(sha256)
      })
    );
    await assert.rejects(
      client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: Buffer.from('another body of other bytes'),
          ChecksumSHA256: sha256HexToBase64(sha256)
        })
      ),
      (error: Error) => error.name === 'BadDigest'
    );
    await assert.rejects(
      client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: body,
          ChecksumSHA256: 'not-a-digest'
        })
      ),
      (error: Error) => error.name === 'InvalidRequest'
    );
    const read = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.deepEqual(Buffer.from(await read.Body!.transformToByteArray()), body);
  });

  it('checks a body above the in-memory spool (17 MiB) the same way', async () => {
    const key = 'properties/LST-7/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    const large = Buffer.alloc(17 * 1024 * 1024, 0x5a);
    const largeSha256 = createHash('sha256').update(large).digest('hex');
    const send = (data: Buffer) =>
      client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: data,
          ChecksumSHA256: sha256HexToBase64(largeSha256)
        })
      );
    const altered = Buffer.from(large);
    altered[altered.length - 1] = 0;
    await assert.rejects(send(altered), (error: Error) => error.name === 'BadDigest');
    await assert.rejects(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
    await send(large);
    const read = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const stored = Buffer.from(await read.Body!.transformToByteArray());
    assert.equal(createHash('sha256').update(stored).digest('hex'), largeSha256);
  });

  it('refuses a header-signed body that differs from its x-amz-content-sha256', async () => {
    const key = 'properties/LST-5/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    const command = new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body });
    const swapBody =
      (next: (args: { request: { body: unknown } }) => Promise<unknown>) =>
      // Swaps the body after the SDK signed it: the signature still holds, the payload hash not.
      (args: { request: { body: unknown } }) => {
        args.request.body = Buffer.alloc(body.length, 0x41);
        return next(args);
      };
    command.middlewareStack.addRelativeTo(
      swapBody as unknown as Parameters<typeof command.middlewareStack.addRelativeTo>[0],
      { relation: 'after', toMiddleware: 'awsAuthMiddleware', name: 'swapBody' }
    );
    await assert.rejects(
      client.send(command),
      (error: Error) => error.name === 'XAmzContentSHA256Mismatch'
    );
    await assert.rejects(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
  });

  it('stores nothing from an upload whose client goes away mid-body, and goes on serving', async () => {
    const key = 'properties/LST-6/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    const url = new URL(await presignPut(key));
    await putCutShort(url, body.subarray(0, 5), {
      'content-type': 'image/jpeg',
      'content-length': String(body.length),
      'x-amz-checksum-sha256': sha256HexToBase64(sha256)
    });
    await assert.rejects(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
    const accepted = await put(url.toString());
    assert.equal(accepted.status, 200, await accepted.text());
  });

  it('runs one conditional upload per key at a time: the others get 409 or 412, never a rewrite', async () => {
    const key = 'properties/LST-8/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    const ticket = await ticketFor(key);
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.headers, body })
      )
    );
    const statuses = answers.map((answer) => answer.status).sort();
    assert.equal(statuses.filter((status) => status === 200).length, 1, String(statuses));
    assert.ok(
      statuses.every((status) => status === 200 || status === 409 || status === 412),
      String(statuses)
    );
    const conflict = answers.find((answer) => answer.status === 409);
    if (conflict) assert.match(await conflict.text(), /ConditionalRequestConflict/);
    const again = await fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.headers, body });
    assert.equal(again.status, 412);
  });

  it('checks Content-MD5 as S3 does', async () => {
    const key = 'properties/LST-9/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    const send = (md5: string) =>
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentMD5: md5 }));
    const other = createHash('md5').update('other bytes').digest('base64');
    await assert.rejects(send(other), (error: Error) => error.name === 'BadDigest');
    await assert.rejects(send('not-an-md5'), (error: Error) => error.name === 'InvalidDigest');
    await send(createHash('md5').update(body).digest('base64'));
    const read = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    assert.deepEqual(Buffer.from(await read.Body!.transformToByteArray()), body);
  });

  it('holds bodies in memory only within its budget, and leaves no spool file behind', async () => {
    const spoolFiles = async () => {
      let count = 0;
      count += (await readdir(`${directory}-spool`)).length;
      return count;
    };
    const key = 'properties/LST-10/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    const declared = 16 * 1024 * 1024;
    const url = new URL(await presignPut(key, 600, declared));
    // Six slow uploads of 16 MiB: four fit the 64 MiB budget, the other two spool to files.
    const sockets = Array.from({ length: 6 }, () => {
      const request = httpRequest({
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: 'PUT',
        headers: {
          'content-type': 'image/jpeg',
          'content-length': String(declared),
          'x-amz-checksum-sha256': sha256HexToBase64(sha256)
        }
      });
      request.on('error', () => undefined);
      request.write(Buffer.alloc(1024));
      return request;
    });
    await eventually(
      async () => ((await spoolFiles()) === 2 ? true : undefined),
      'two spool files'
    );
    for (const socket of sockets) socket.destroy();
    await eventually(async () => ((await spoolFiles()) === 0 ? true : undefined), 'spool emptied');

    // Complete uploads above the in-memory size: the file is gone once the answer is out, also
    // when the client half-closes the connection right after its body.
    const large = Buffer.alloc(17 * 1024 * 1024, 0x33);
    await Promise.all(
      [11, 12, 13].map(async (n) => {
        const largeKey = `properties/LST-${n}/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b`;
        const ticket = await ticketFor(largeKey, large);
        const target = new URL(ticket.uploadUrl);
        // A raw request whose client half-closes (FIN) right after the body.
        const head = requestHead(ticket, large.length);
        const socket = connect(Number(target.port), target.hostname);
        let answer = '';
        socket.on('error', () => undefined);
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => (answer += chunk));
        socket.write(head);
        socket.end(large);
        await once(socket, 'close');
        // Node's server may close a half-closed connection before it answers; either way is fine.
        assert.match(answer, /^(HTTP\/1\.1 200 |$)/);
      })
    );
    await eventually(async () => ((await spoolFiles()) === 0 ? true : undefined), 'no file left');
  });

  it('empties its spool folder when it starts (what a killed process left)', async () => {
    const otherDirectory = await mkdtemp(path.join(tmpdir(), 'media-storage-'));
    const spool = `${otherDirectory}-spool`;
    await mkdir(spool);
    await writeFile(path.join(spool, 'left-over'), 'x');
    const other = await startEmbeddedStorage({
      directory: otherDirectory,
      bucket: BUCKET,
      secretAccessKey: 'test-secret',
      port: 0,
      corsOrigins: ['*']
    });
    try {
      assert.deepEqual(await readdir(spool), []);
    } finally {
      await other.close();
      await rm(otherDirectory, { recursive: true, force: true });
    }
    await assert.rejects(stat(spool), { code: 'ENOENT' }, 'removed on close');
  });

  it('stores nothing of a conditional upload cut short, digest or not, so a retry succeeds', async () => {
    const key = 'properties/LST-14/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    const full = Buffer.alloc(200_000, 0x44);
    const url = new URL(
      await getSignedUrl(
        client,
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          ContentType: 'image/jpeg',
          ContentLength: full.length,
          IfNoneMatch: '*'
        }),
        { expiresIn: 600, signableHeaders: new Set(['content-type', 'content-length']) }
      )
    );
    await putCutShort(url, full.subarray(0, 50_000), {
      'content-type': 'image/jpeg',
      'content-length': String(full.length),
      'if-none-match': '*'
    });
    await assert.rejects(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
    const retry = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'image/jpeg', 'if-none-match': '*' },
      body: full
    });
    assert.equal(retry.status, 200, await retry.text());
  });

  it("holds a conditional upload's key until s3rver has stored it, even if its client left", async () => {
    const key = 'properties/LST-15/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
    const ticket = await ticketFor(key);
    // s3rver's store made slow, so the first upload is still being written when the second comes.
    const store = FilesystemStore.prototype;
    const putObject = store.putObject;
    let writing = 0;
    let overlapped = false;
    store.putObject = async function (this: unknown, ...args: unknown[]) {
      overlapped ||= writing > 0;
      writing++;
      try {
        await sleep(400);
        return await putObject.apply(this, args);
      } finally {
        writing--;
      }
    };
    try {
      const target = new URL(ticket.uploadUrl);
      const first = connect(Number(target.port), target.hostname);
      first.on('error', () => undefined);
      first.write(requestHead(ticket, body.length));
      first.write(body);
      await sleep(150);
      first.destroy(); // the client leaves while s3rver is still storing
      await sleep(50);
      const second = await fetch(ticket.uploadUrl, {
        method: 'PUT',
        headers: ticket.headers,
        body
      });
      assert.equal(second.status, 409, await second.text());
      await eventually(
        async () =>
          (
            await client
              .send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
              .catch(() => undefined)
          )?.ETag,
        'the first upload stored'
      );
      const third = await fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.headers, body });
      assert.equal(third.status, 412);
      assert.equal(overlapped, false, 'never two writes of one key at once');
    } finally {
      store.putObject = putObject;
    }
  });

  it('refuses a presigned PUT carrying an unsigned x-amz header (a copy of another object)', async () => {
    const url = await presignPut('properties/LST-2/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b');
    const copy = await put(url, { 'x-amz-copy-source': `/${BUCKET}/${KEY}` });
    assert.equal(copy.status, 403);
    assert.match(await copy.text(), /not signed: x-amz-copy-source/);
  });

  it('refuses unsigned requests and a wrong secret', async () => {
    const anonymous = await fetch(`${storage.endpoint}/${BUCKET}/${KEY}`);
    assert.equal(anonymous.status, 403);
    const intruder = createStorageClient({
      endpoint: storage.endpoint,
      region: 'us-east-1',
      bucket: BUCKET,
      forcePathStyle: true,
      credentials: { accessKeyId: storage.credentials.accessKeyId, secretAccessKey: 'guess' }
    });
    await assert.rejects(
      intruder.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY })),
      (error: Error & { $metadata?: { httpStatusCode?: number } }) =>
        error.$metadata?.httpStatusCode === 403
    );
    intruder.destroy();
  });

  it('answers CORS preflights from the bucket configuration: listed origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${storage.endpoint}/${BUCKET}/${KEY}`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'content-type,x-amz-checksum-sha256'
        }
      });
    const listed = await preflight('https://example.lightning.force.com');
    assert.equal(listed.status, 200);
    assert.match(listed.headers.get('access-control-allow-methods') ?? '', /PUT/);
    const other = await preflight('https://attacker.example');
    assert.equal(other.status, 403);
  });

  /** A raw request, target exactly as given (fetch would normalise it). */
  const raw = (target: string, method = 'GET', headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(storage.endpoint);
      const request = httpRequest(
        { host: url.hostname, port: url.port, path: target, method, headers },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (body += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        }
      );
      request.on('error', reject);
      request.end();
    });
  const amzDate = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');

  it('survives hostile request targets and signed-header names', async () => {
    const date = amzDate();
    const credential = encodeURIComponent(`S3RVER/${date.slice(0, 8)}/us-east-1/s3/aws4_request`);
    const query = (signedHeaders: string) =>
      `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${credential}&X-Amz-Date=${date}&X-Amz-Expires=60&X-Amz-SignedHeaders=${encodeURIComponent(signedHeaders)}&X-Amz-Signature=${'0'.repeat(64)}`;
    for (const target of [
      `/${BUCKET}/${KEY}?${query('host;constructor')}`,
      `/${BUCKET}/${KEY}?${query('host;__proto__')}`,
      `/${BUCKET}/${KEY}?${query('host;host')}`,
      `/${BUCKET}/${KEY}?${query('Host')}`,
      '//x:99999/',
      '//[/',
      `/${BUCKET}/%E0%A4%A?${query('host')}`
    ]) {
      const answer = await raw(target);
      assert.ok(answer.status === 400 || answer.status === 403, `${target}: ${answer.status}`);
    }
    // Still serving.
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
    assert.equal(head.ContentLength, body.length);
  });

  it('refuses dot segments, encoded slashes and duplicate signature parameters', async () => {
    const url = new URL(await presignPut(KEY));
    const signedQuery = url.search;
    for (const pathname of [
      `/${BUCKET}/properties/LST-1/..%2F..%2F..%2FESCAPED%2Fx/../3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b`,
      `/${BUCKET}/properties/LST-1/%2e%2e/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b`,
      `/${BUCKET}/properties/LST-1\\3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b`,
      `/${BUCKET}/properties/LST-1%5C3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b`,
      `/${BUCKET}//properties/LST-1/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b`
    ]) {
      const answer = await raw(`${pathname}${signedQuery}`, 'PUT', {
        'content-type': 'image/jpeg',
        'content-length': String(body.length),
        'x-amz-checksum-sha256': sha256HexToBase64(sha256)
      });
      assert.equal(answer.status, 400, pathname);
    }
    const twice = await raw(`${url.pathname}${signedQuery}&X-Amz-Signature=${'1'.repeat(64)}`);
    assert.equal(twice.status, 400);
    assert.deepEqual(
      await readdir(path.dirname(directory)).then((names) => names.includes('ESCAPED')),
      false
    );
  });
});
