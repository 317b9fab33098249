/**
 * The pieces under the HTTP API: the photo sink, the signature pair, the clock. (The multipart
 * parsing itself is busboy's, wrapped and tested in toolkit/src/multipart.ts.)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { SimClock } from '../src/clock.ts';
import { photoSink, type PhotoMetadata } from '../src/photo.ts';
import { parseSignatureHeader, signCallback, verifySignature } from '../src/signature.ts';
import { jpegBytes } from './helpers/backcheck.ts';

describe('BackCheck simulator: photo sink', () => {
  it('hashes and counts as it streams', () => {
    const photo = Buffer.from(jpegBytes(10_000));
    let seen: PhotoMetadata | undefined;
    const sink = photoSink('image/jpeg', (meta) => (seen = meta));
    for (let at = 0; at < photo.length; at += 1) sink.write(photo.subarray(at, at + 1));
    sink.end();
    assert.deepEqual(seen, {
      contentType: 'image/jpeg',
      bytes: 10_000,
      sha256: createHash('sha256').update(photo).digest('hex')
    });
  });

  it('throws 413 at the first byte past the cap, 415 for a wrong type or content', () => {
    const sink = photoSink('image/png', () => undefined, 16);
    sink.write(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0])
    );
    assert.throws(() => sink.write(Buffer.from([0])), { httpStatus: 413 });
    assert.throws(() => photoSink('image/gif', () => undefined), { httpStatus: 415 });
    const liar = photoSink('image/png', () => undefined);
    assert.throws(() => liar.write(Buffer.from(jpegBytes(100))), { httpStatus: 415 });
  });
});

describe('BackCheck simulator: callback signatures', () => {
  const secret = 'whsec-test';
  const body = '{"reference":"bck_x","eventId":"evt_y"}';

  it('signs t=<unix>,v1=<hex HMAC of "<t>.<body>"> and verifies it', () => {
    const header = signCallback(secret, body, 1_800_000_000);
    assert.match(header, /^t=1800000000,v1=[0-9a-f]{64}$/);
    assert.deepEqual(parseSignatureHeader(header)?.timestamp, 1_800_000_000);
    assert.deepEqual(verifySignature(secret, body, header, { nowS: 1_800_000_100 }), {
      ok: true,
      timestamp: 1_800_000_000
    });
  });

  it('rejects a tampered body, a wrong secret, a stale or future time, a malformed header', () => {
    const header = signCallback(secret, body, 1_800_000_000);
    const at = { nowS: 1_800_000_000 };
    assert.equal(verifySignature(secret, `${body} `, header, at).ok, false);
    assert.deepEqual(verifySignature('other', body, header, at), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verifySignature(secret, body, header, { nowS: 1_800_000_301 }), {
      ok: false,
      reason: 'stale'
    });
    assert.deepEqual(verifySignature(secret, body, header, { nowS: 1_799_999_000 }), {
      ok: false,
      reason: 'stale'
    });
    for (const bad of [undefined, '', 't=1', 'v1=abc', 't=x,v1=' + 'a'.repeat(64)]) {
      assert.deepEqual(verifySignature(secret, body, bad, at), { ok: false, reason: 'malformed' });
    }
    // A replayed header on another body fails: the time is inside the signed text.
    const moved = header.replace('t=1800000000', 't=1800000001');
    assert.deepEqual(verifySignature(secret, body, moved, at), { ok: false, reason: 'mismatch' });
  });
});

describe('BackCheck simulator: clock', () => {
  it('runs due tasks in order when advanced, and later ones not yet', () => {
    let wall = 1_000_000;
    const clock = new SimClock(() => wall);
    const ran: string[] = [];
    clock.after(300, () => ran.push('c'));
    clock.after(100, () => {
      ran.push('a');
      clock.after(0, () => ran.push('a-then'));
    });
    clock.after(200, () => ran.push('b'));
    clock.advance(250);
    // A task scheduled by a task counts from the clock's now (after the jump), like a retry.
    assert.deepEqual(ran, ['a', 'b', 'a-then']);
    wall += 50; // real time passes too
    clock.advance(0);
    assert.deepEqual(ran, ['a', 'b', 'a-then', 'c']);
    assert.equal(clock.now(), 1_000_300);
    assert.throws(() => clock.advance(-1), RangeError);
    clock.stop();
  });
});
