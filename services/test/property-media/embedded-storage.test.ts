import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
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
import {
  startEmbeddedStorage,
  type EmbeddedStorage
} from '../../src/property-media/embedded-storage.ts';
import { createStorageClient, sha256HexToBase64 } from '../../src/property-media/storage.ts';

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
});
