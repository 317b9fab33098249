/**
 * The pieces under the HTTP API: the streaming multipart reader (delimiters split across
 * chunks, padding, malformed input), the photo sink, the signature pair, the clock.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { SimClock } from '../src/clock.ts';
import { BackCheckError } from '../src/errors.ts';
import { boundaryOf, MultipartReader, type PartHeaders } from '../src/multipart.ts';
import { photoSink, type PhotoMetadata } from '../src/photo.ts';
import { parseSignatureHeader, signCallback, verifySignature } from '../src/signature.ts';
import { jpegBytes } from './helpers/backcheck.ts';

interface Part extends PartHeaders {
  body: Buffer;
}

function parse(body: Buffer, boundary: string, chunkSize: number): Part[] {
  const parts: Part[] = [];
  const reader = new MultipartReader(boundary, (headers) => {
    const chunks: Buffer[] = [];
    return {
      write: (chunk) => chunks.push(Buffer.from(chunk)),
      end: () => parts.push({ ...headers, body: Buffer.concat(chunks) })
    };
  });
  for (let at = 0; at < body.length; at += chunkSize)
    reader.write(body.subarray(at, at + chunkSize));
  reader.end();
  return parts;
}

const boundary = '----formdata-undici-0123456789';
const sample = Buffer.concat([
  Buffer.from(
    `preamble to ignore\r\n--${boundary}\r\n` +
      'Content-Disposition: form-data; name="request"\r\nContent-Type: application/json\r\n\r\n' +
      '{"a":"--not a boundary\\r\\n"}' +
      `\r\n--${boundary} \t\r\n` +
      'Content-Disposition: form-data; name="photo"; filename="me.jpg"\r\n' +
      'Content-Type: Image/JPEG; charset=x\r\n\r\n'
  ),
  Buffer.from(`\r\n--${boundary.slice(0, -1)}X\r\n`), // almost a delimiter, inside the body
  Buffer.from(jpegBytes(300)),
  Buffer.from(`\r\n--${boundary}--\r\nepilogue ignored --${boundary}\r\n`)
]);

describe('BackCheck simulator: multipart reader', () => {
  it('reads the same parts whatever the chunking, byte by byte included', () => {
    const expected = parse(sample, boundary, sample.length);
    assert.equal(expected.length, 2);
    assert.equal(expected[0]?.name, 'request');
    assert.equal(expected[0]?.body.toString(), '{"a":"--not a boundary\\r\\n"}');
    assert.equal(expected[1]?.name, 'photo');
    assert.equal(expected[1]?.filename, 'me.jpg');
    assert.equal(expected[1]?.contentType, 'image/jpeg');
    assert.equal(expected[1]?.body.length, 300 + boundary.length + 6);
    for (const size of [1, 2, 3, 7, 31, 64, 1000]) {
      assert.deepEqual(parse(sample, boundary, size), expected, `chunks of ${size}`);
    }
  });

  it('hands a part on as it arrives, holding back less than a delimiter', () => {
    let given = 0;
    const reader = new MultipartReader(boundary, () => ({
      write: (chunk) => (given += chunk.length),
      end: () => undefined
    }));
    reader.write(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="photo"\r\n` +
          'Content-Type: image/jpeg\r\n\r\n'
      )
    );
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    for (let i = 1; i <= 32; i++) {
      reader.write(chunk);
      assert.ok(i * chunk.length - given < boundary.length + 4, `held ${i * chunk.length - given}`);
    }
    reader.write(Buffer.from(`\r\n--${boundary}--`));
    reader.end();
    assert.equal(given, 32 * chunk.length);
  });

  it('finds the boundary in the Content-Type, quoted or not, and only for form-data', () => {
    assert.equal(boundaryOf('multipart/form-data; boundary=abc'), 'abc');
    assert.equal(boundaryOf('Multipart/Form-Data; charset=utf-8; boundary="a b:c"'), 'a b:c');
    assert.equal(boundaryOf('multipart/mixed; boundary=abc'), undefined);
    assert.equal(boundaryOf('multipart/form-data'), undefined);
    assert.equal(boundaryOf(undefined), undefined);
  });

  it('refuses malformed bodies with a 400', () => {
    const cases = [
      `--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--`, // no Content-Disposition
      `--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--`, // no name
      `--b\r\nno colon here\r\n\r\nx\r\n--b--`,
      `--b\r\n\r\nno headers at all\r\n--b--`,
      `--bjunk\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--b--`,
      `--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nnever closed`,
      `--b\r\n${'X-Long: y\r\n'.repeat(1000)}\r\n`
    ];
    for (const text of cases) {
      assert.throws(
        () => parse(Buffer.from(text), 'b', 5),
        (error: unknown) => error instanceof BackCheckError && error.httpStatus === 400,
        text.slice(0, 40)
      );
    }
  });
});

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
