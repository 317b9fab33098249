// The media API end to end with the embedded storage: presign, the browser's PUT straight to
// storage, confirmation (size, type, SHA-256, a decodable image) with its thumbnail, views and
// deletions; and every refusal the issue names: expired URL, wrong type, over the cap, checksum
// mismatch, keys outside the scheme, no token.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { thumbnailKeyOf } from '../../src/property-media/keys.ts';
import { MAX_BYTES } from '../../src/property-media/limits.ts';
import { BUCKET, makeImage, sha256Of, startMediaHarness, type MediaHarness } from './harness.ts';

const key = (n: number) =>
  `properties/LST-7/${n.toString(16).padStart(8, '0')}-9a4d-4e6f-8b7a-1c2d3e4f5a6b`;

interface Ticket {
  uploadUrl: string;
  method: string;
  headers: Record<string, string>;
  expiresAt: string;
}

async function exists(h: MediaHarness, storageKey: string): Promise<boolean> {
  try {
    await h.storage.send(new HeadObjectCommand({ Bucket: BUCKET, Key: storageKey }));
    return true;
  } catch {
    return false;
  }
}

/** What the LWC does: PUT the bytes to the ticket's URL with exactly the ticket's headers. */
function put(ticket: Ticket, body: Buffer, headers: Record<string, string> = {}) {
  return fetch(ticket.uploadUrl, {
    method: ticket.method,
    headers: { ...ticket.headers, ...headers },
    body
  });
}

describe('media API', () => {
  let h: MediaHarness;
  before(async () => {
    h = await startMediaHarness();
  });
  after(async () => h.close());

  async function ticketFor(storageKey: string, data: Buffer, contentType = 'image/jpeg') {
    const answer = await h.call('/media/uploads', {
      storageKey,
      contentType,
      size: data.length,
      sha256: sha256Of(data)
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as unknown as Ticket;
  }

  it('uploads straight to storage, confirms with a thumbnail, views and deletes', async () => {
    const image = await makeImage('jpeg', 1600, 1000);
    const storageKey = key(1);
    const ticket = await ticketFor(storageKey, image);
    assert.equal(ticket.method, 'PUT');
    assert.ok(Date.parse(ticket.expiresAt) > Date.now() + 500_000, 'valid for ~10 minutes');
    assert.equal((await put(ticket, image)).status, 200);

    const request = {
      storageKey,
      contentType: 'image/jpeg',
      size: image.length,
      sha256: sha256Of(image)
    };
    const confirmed = await h.call('/media/uploads/confirm', request);
    assert.equal(confirmed.status, 200);
    assert.deepEqual(confirmed.body, {
      storageKey,
      status: 'Available',
      width: 1600,
      height: 1000,
      thumbnailKey: thumbnailKeyOf(storageKey),
      reason: null
    });
    const thumbnail = await h.storage.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: thumbnailKeyOf(storageKey) })
    );
    assert.equal(thumbnail.ContentType, 'image/webp');
    const meta = await sharp(Buffer.from(await thumbnail.Body!.transformToByteArray())).metadata();
    assert.equal(meta.format, 'webp');
    assert.equal(meta.width, 480);
    assert.equal(meta.height, 300);

    // The upload URL cannot replace the verified file, even with bytes of the same length and the
    // signed checksum header (storage that does not compare them would otherwise take them):
    // the PUT is conditional.
    const swap = Buffer.alloc(image.length, 0x41);
    const replaced = await put(ticket, swap);
    assert.equal(replaced.status, 412);
    const stillThere = await h.storage.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: storageKey })
    );
    assert.equal(
      sha256Of(Buffer.from(await stillThere.Body!.transformToByteArray())),
      sha256Of(image)
    );

    // Confirming again gives the same verdict (Apex may retry after a timeout).
    assert.deepEqual((await h.call('/media/uploads/confirm', request)).body, confirmed.body);

    const viewed = await h.call('/media/views', {
      images: [{ storageKey, thumbnailKey: thumbnailKeyOf(storageKey) }]
    });
    assert.equal(viewed.status, 200);
    const [view] = viewed.body.images as Array<{ url: string; thumbnailUrl: string }>;
    const original = await fetch(view!.url);
    assert.equal(original.status, 200);
    assert.equal(sha256Of(Buffer.from(await original.arrayBuffer())), sha256Of(image));
    assert.equal((await fetch(view!.thumbnailUrl)).status, 200);
    assert.ok(Date.parse(String(viewed.body.expiresAt)) <= Date.now() + 300_000);

    const deleted = await h.call('/media/deletions', { storageKeys: [storageKey] });
    assert.deepEqual(deleted.body, { deleted: [storageKey] });
    assert.equal(await exists(h, storageKey), false);
    assert.equal(await exists(h, thumbnailKeyOf(storageKey)), false);
    assert.equal(
      (await fetch(view!.url)).status,
      404,
      'a view URL of a deleted image shows nothing'
    );
    // Deleting again is harmless.
    assert.equal((await h.call('/media/deletions', { storageKeys: [storageKey] })).status, 200);
  });

  it('storage refuses a PUT of another type, another length or another file than signed', async () => {
    const image = await makeImage('png', 300, 200);
    const storageKey = key(2);
    const ticket = await ticketFor(storageKey, image, 'image/png');
    const asHtml = await put(ticket, image, { 'Content-Type': 'text/html' });
    assert.equal(asHtml.status, 403);
    const longer = await put(ticket, Buffer.concat([image, Buffer.alloc(10)]));
    assert.equal(longer.status, 403);
    const otherChecksum = await put(ticket, image, {
      'x-amz-checksum-sha256': Buffer.alloc(32).toString('base64')
    });
    assert.equal(otherChecksum.status, 403);
    assert.equal(await exists(h, storageKey), false);
  });

  it('refuses types outside the whitelist and sizes over the cap before signing', async () => {
    const base = { storageKey: key(3), size: 100, sha256: sha256Of(Buffer.from('x')) };
    for (const contentType of [
      'image/gif',
      'text/html',
      'image/svg+xml',
      'application/octet-stream'
    ]) {
      const answer = await h.call('/media/uploads', { ...base, contentType });
      assert.equal(answer.status, 400, contentType);
      assert.equal(answer.body.error, 'validation_failed');
    }
    const over = await h.call('/media/uploads', {
      ...base,
      contentType: 'image/jpeg',
      size: MAX_BYTES + 1
    });
    assert.equal(over.status, 400);
    assert.match(String(over.body.message), /at most 20971520 bytes/);
    for (const size of [0, -1, 1.5]) {
      const answer = await h.call('/media/uploads', { ...base, contentType: 'image/jpeg', size });
      assert.equal(answer.status, 400, String(size));
    }
  });

  it('a checksum mismatch, a non-image or another format ends Failed, with the object deleted', async () => {
    const image = await makeImage('jpeg', 400, 300);
    const tampered = Buffer.from(image);
    tampered[tampered.length - 10] = (tampered[tampered.length - 10]! + 1) % 256;
    const cases: Array<{
      n: number;
      declared: Buffer;
      sent: Buffer;
      type: string;
      reason: RegExp;
    }> = [
      {
        n: 4,
        declared: image,
        sent: tampered,
        type: 'image/jpeg',
        reason: /SHA-256 does not match/
      },
      {
        n: 5,
        declared: Buffer.from('<html>'.repeat(50)),
        sent: Buffer.from('<html>'.repeat(50)),
        type: 'image/jpeg',
        reason: /not a readable image\/jpeg image/
      },
      {
        n: 6,
        declared: await makeImage('png', 50, 50),
        sent: await makeImage('png', 50, 50),
        type: 'image/jpeg',
        reason: /is png, not image\/jpeg/
      }
    ];
    for (const c of cases) {
      const storageKey = key(c.n);
      const ticket = await ticketFor(storageKey, c.declared, c.type);
      if (c.sent.equals(c.declared)) {
        assert.equal((await put(ticket, c.sent)).status, 200);
      } else {
        // The storage refuses a body that differs from the ticket's checksum (BadDigest, as S3).
        const refused = await put(ticket, c.sent);
        assert.equal(refused.status, 400);
        assert.match(await refused.text(), /BadDigest/);
        // A storage that does not check checksums would keep it: the confirmation must catch it.
        await h.storage.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: storageKey,
            Body: c.sent,
            ContentType: c.type
          })
        );
      }
      const verdict = await h.call('/media/uploads/confirm', {
        storageKey,
        contentType: c.type,
        size: c.declared.length,
        sha256: sha256Of(c.declared)
      });
      assert.equal(verdict.status, 200);
      assert.equal(verdict.body.status, 'Failed', JSON.stringify(verdict.body));
      assert.match(String(verdict.body.reason), c.reason);
      assert.equal(verdict.body.thumbnailKey, null);
      assert.equal(await exists(h, storageKey), false, 'the refused file is deleted');
    }
  });

  it('confirming before any upload is Failed without deleting anything', async () => {
    const verdict = await h.call('/media/uploads/confirm', {
      storageKey: key(7),
      contentType: 'image/jpeg',
      size: 10,
      sha256: sha256Of(Buffer.from('0123456789'))
    });
    assert.equal(verdict.body.status, 'Failed');
    assert.match(String(verdict.body.reason), /No file has been uploaded/);
  });

  it("signs only keys of the scheme, and only an image's own thumbnail", async () => {
    const sha256 = sha256Of(Buffer.from('x'));
    for (const storageKey of [
      '../etc/passwd',
      'properties/LST-7/../LST-8/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b',
      'properties/LST%2F7/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b',
      thumbnailKeyOf(key(8)),
      'properties/LST-7/3F2B8C1E-9A4D-4E6F-8B7A-1C2D3E4F5A6B',
      'other/LST-7/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b'
    ]) {
      const answer = await h.call('/media/uploads', {
        storageKey,
        contentType: 'image/jpeg',
        size: 1,
        sha256
      });
      assert.equal(answer.status, 400, storageKey);
    }
    const foreignThumbnail = await h.call('/media/views', {
      images: [{ storageKey: key(8), thumbnailKey: thumbnailKeyOf(key(9)) }]
    });
    assert.equal(foreignThumbnail.status, 400);
    const arbitrary = await h.call('/media/views', {
      images: [{ storageKey: key(8), thumbnailKey: 'secrets/payroll.csv' }]
    });
    assert.equal(arbitrary.status, 400);
    const tooMany = await h.call('/media/views', {
      images: Array.from({ length: 201 }, (_, i) => ({
        storageKey: key(100 + i),
        thumbnailKey: null
      }))
    });
    assert.equal(tooMany.status, 400);
  });

  it('needs the Named Credential token', async () => {
    const body = { storageKeys: [key(9)] };
    assert.equal((await h.call('/media/deletions', body, null)).status, 401);
    assert.equal((await h.call('/media/deletions', body, 'wrong-token')).status, 401);
  });

  it('never logs a presigned URL', async () => {
    const image = await makeImage('webp', 64, 64);
    const ticket = await ticketFor(key(10), image, 'image/webp');
    const signature = new URL(ticket.uploadUrl).searchParams.get('X-Amz-Signature') ?? '';
    assert.ok(signature.length === 64);
    assert.ok(!h.logs.some((line) => line.includes(signature)));
  });
});

describe('media API: an expired upload URL', () => {
  let h: MediaHarness;
  before(async () => {
    h = await startMediaHarness({ MEDIA_UPLOAD_URL_SECONDS: '1' });
  });
  after(async () => h.close());

  it('is refused by storage', async () => {
    const image = await makeImage('jpeg', 64, 64);
    const answer = await h.call('/media/uploads', {
      storageKey: key(11),
      contentType: 'image/jpeg',
      size: image.length,
      sha256: sha256Of(image)
    });
    const ticket = answer.body as unknown as Ticket;
    await sleep(2_100);
    const late = await put(ticket, image);
    assert.equal(late.status, 403);
    assert.match(await late.text(), /Request has expired/);
  });
});
