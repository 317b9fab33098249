/**
 * `POST /v1/checks` and `GET /v1/checks/{reference}` over real HTTP, with the multipart body
 * built by the standard FormData/Blob: acceptance, idempotency, auth, the photo's type (by its
 * bytes) and size, the request part's validation, status lookups.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { beforeEach, describe, it } from 'node:test';
import { REFERENCE_PATTERN } from '../src/ids.ts';
import { MAX_PHOTO_BYTES } from '../src/photo.ts';
import {
  checkRequest,
  jpegBytes,
  pngBytes,
  read,
  startBackCheck,
  useBackCheck,
  type HttpResult
} from './helpers/backcheck.ts';

describe('BackCheck simulator: submitting checks', () => {
  const bc = useBackCheck();
  beforeEach(() => bc.control.reset());

  it('accepts a check with a JPEG and answers 202 with a bck_ reference, pending', async () => {
    const request = checkRequest();
    const answer = await bc.submit(request);
    assert.equal(answer.status, 202);
    assert.match(answer.body.reference, REFERENCE_PATTERN);
    assert.deepEqual(answer.body, {
      reference: answer.body.reference,
      status: 'pending',
      clientReference: request.clientReference
    });
    assert.equal(answer.headers.get('idempotent-replayed'), 'false');
    const [check] = bc.control.checks();
    const photo = jpegBytes();
    assert.deepEqual(check?.photo, {
      contentType: 'image/jpeg',
      bytes: photo.length,
      sha256: createHash('sha256').update(photo).digest('hex')
    });
  });

  it('accepts a PNG', async () => {
    const answer = await bc.submit(checkRequest(), {
      photo: pngBytes(5000),
      photoType: 'image/png'
    });
    assert.equal(answer.status, 202);
    assert.equal(bc.control.checks()[0]?.photo.contentType, 'image/png');
  });

  it('answers the same reference for the same key and request, 409 for another request', async () => {
    const request = checkRequest();
    const key = `bgc-${randomUUID()}`;
    const first = await bc.submit(request, { idempotencyKey: key });
    const again = await bc.submit(request, { idempotencyKey: key });
    assert.equal(again.status, 202);
    assert.equal(again.body.reference, first.body.reference);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    const otherSubject = await bc.submit(
      { ...request, subject: { ...request.subject, lastName: 'Byron' } },
      { idempotencyKey: key }
    );
    assert.equal(otherSubject.status, 409);
    assert.deepEqual(otherSubject.body.error, 'conflict');
    const otherPhoto = await bc.submit(request, { idempotencyKey: key, photo: jpegBytes(4096) });
    assert.equal(otherPhoto.status, 409, 'the photo is part of the request');
    const otherKey = await bc.submit(request);
    assert.notEqual(otherKey.body.reference, first.body.reference);
    assert.equal(bc.control.checks().length, 2);
  });

  it('makes one check for concurrent requests with one key', async () => {
    const request = checkRequest();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => bc.submit(request, { idempotencyKey: 'same-key' }))
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [202, 202, 202, 202, 202]
    );
    assert.equal(new Set(answers.map((answer) => answer.body.reference)).size, 1);
    assert.equal(bc.control.checks().length, 1);
  });

  it('scopes idempotency keys and checks to the API key', async () => {
    const other = await startBackCheck({ extraClients: [{ apiKey: 'second-client-key' }] });
    try {
      const request = checkRequest();
      const mine = await other.submit(request, { idempotencyKey: 'k1' });
      const theirs = await other.submit(request, {
        idempotencyKey: 'k1',
        authorization: 'Bearer second-client-key'
      });
      assert.equal(theirs.status, 202);
      assert.notEqual(theirs.body.reference, mine.body.reference);
      const lookup = await other.status(mine.body.reference, 'Bearer second-client-key');
      assert.equal(lookup.status, 404, "another client's check is not found");
    } finally {
      await other.close();
    }
  });

  it('refuses a missing or wrong API key with 401 before reading the upload', async () => {
    for (const authorization of [null, 'Bearer wrong-key', 'Basic YTpi']) {
      const answer = await bc.submit(checkRequest(), { authorization });
      assert.equal(answer.status, 401, String(authorization));
      assert.equal(answer.body.error, 'unauthorized');
      assert.match(String(answer.headers.get('www-authenticate')), /^Bearer /);
    }
    assert.equal((await bc.status('bck_00000000000000000000000000', 'Bearer nope')).status, 401);
    assert.equal(bc.control.checks().length, 0);
  });

  it('requires a well-formed Idempotency-Key', async () => {
    const missing = await bc.submit(checkRequest(), { idempotencyKey: null });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'validation_failed');
    assert.match(missing.body.message, /Idempotency-Key/);
    const long = await bc.submit(checkRequest(), { idempotencyKey: 'x'.repeat(256) });
    assert.equal(long.status, 400);
  });

  it('refuses a photo whose bytes are not the declared type with 415 (magic bytes)', async () => {
    const pdf = new Uint8Array(Buffer.from('%PDF-1.7\n% not a photo at all\n'));
    for (const [photo, type] of [
      [pdf, 'image/jpeg'],
      [pngBytes(), 'image/jpeg'],
      [jpegBytes(), 'image/png'],
      [new Uint8Array([0xff, 0xd8]), 'image/jpeg'],
      [new Uint8Array(0), 'image/png']
    ] as const) {
      const answer = await bc.submit(checkRequest(), { photo, photoType: type });
      assert.equal(answer.status, 415, `${type} ${photo.length}`);
      assert.equal(answer.body.error, 'unsupported_media_type');
    }
    for (const type of ['image/gif', 'application/pdf', 'application/octet-stream']) {
      const answer = await bc.submit(checkRequest(), { photoType: type });
      assert.equal(answer.status, 415, type);
    }
    assert.equal(bc.control.checks().length, 0);
  });

  it('refuses a photo over 10 MB with 413 while streaming, and takes exactly 10 MB', async () => {
    const over = await bc.submit(checkRequest(), { photo: jpegBytes(MAX_PHOTO_BYTES + 1) });
    assert.equal(over.status, 413);
    assert.equal(over.body.error, 'payload_too_large');
    assert.match(over.body.message, /photo/);
    const limit = await bc.submit(checkRequest(), { photo: jpegBytes(MAX_PHOTO_BYTES) });
    assert.equal(limit.status, 202);
    assert.equal(bc.control.checks()[0]?.photo.bytes, MAX_PHOTO_BYTES);
  });

  it('refuses a chunked upload (no Content-Length) once it passes the cap', async () => {
    // 14 MB sent in chunks without a length: the answer comes while data is still flowing.
    const boundary = 'chunked-boundary-123';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="request"\r\n` +
        `Content-Type: application/json\r\n\r\n${JSON.stringify(checkRequest())}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p.jpg"\r\n` +
        'Content-Type: image/jpeg\r\n\r\n'
    );
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${bc.url}/v1/checks`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bc.apiKey}`,
          'idempotency-key': randomUUID(),
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'transfer-encoding': 'chunked'
        }
      });
      req.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(head);
      req.write(Buffer.from(jpegBytes(1024)));
      const chunk = Buffer.alloc(1024 * 1024, 7);
      let sent = 0;
      const pump = () => {
        while (sent < 14) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end(`\r\n--${boundary}--\r\n`);
      };
      pump();
    });
    assert.equal(answer.status, 413);
    assert.equal(JSON.parse(answer.body).error, 'payload_too_large');
    assert.equal(bc.control.checks().length, 0);
  });

  it('refuses a body declared larger than the cap before reading it', async () => {
    const answer = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${bc.url}/v1/checks`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bc.apiKey}`,
          'idempotency-key': randomUUID(),
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': String(50 * 1024 * 1024)
        }
      });
      req.on('response', (response) => {
        response.pipe(new Writable({ write: (_c, _e, next) => next() }));
        resolve(response.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', () => undefined);
      req.write('--x\r\n');
      setTimeout(() => reject(new Error('no answer')), 5000).unref();
    });
    assert.equal(answer, 413);
  });

  it('validates the request part and names fields, never their values', async () => {
    const request = checkRequest();
    const cases: Array<[unknown, RegExp]> = [
      [{ ...request, clientReference: '' }, /clientReference/],
      [{ ...request, subject: { ...request.subject, birthdate: '1990-02-30' } }, /birthdate/],
      [{ ...request, subject: { ...request.subject, birthdate: '2999-01-01' } }, /future/],
      [{ ...request, subject: { ...request.subject, nationality: 'GBR' } }, /nationality/],
      [{ ...request, subject: { ...request.subject, passportNumber: 'pa-123' } }, /passportNumber/],
      [{ ...request, subject: { ...request.subject, firstName: '  ' } }, /firstName/],
      [{ clientReference: 'a0X1' }, /subject/]
    ];
    for (const [body, field] of cases) {
      const answer = await bc.submitRaw({ request: JSON.stringify(body), photo: jpegBytes() });
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error, 'validation_failed');
      assert.match(answer.body.message, field);
      assert.ok(!answer.body.message.includes('pa-123') && !answer.body.message.includes('GBR'));
    }
    const notJson = await bc.submitRaw({ request: '{"clientReference":', photo: jpegBytes() });
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.message, /not valid JSON/);
  });

  it('needs both parts, once each, and nothing else', async () => {
    const noPhoto = await bc.submitRaw({ request: checkRequest() });
    assert.equal(noPhoto.status, 400);
    assert.match(noPhoto.body.message, /photo part is missing/);
    const noRequest = await bc.submitRaw({ photo: jpegBytes() });
    assert.equal(noRequest.status, 400);
    assert.match(noRequest.body.message, /request part is missing/);

    const send = async (form: FormData): Promise<HttpResult> =>
      read(
        await fetch(`${bc.url}/v1/checks`, {
          method: 'POST',
          headers: { authorization: `Bearer ${bc.apiKey}`, 'idempotency-key': randomUUID() },
          body: form
        })
      );
    const extra = new FormData();
    extra.append(
      'request',
      new Blob([JSON.stringify(checkRequest())], { type: 'application/json' })
    );
    extra.append('photo', new Blob([jpegBytes()], { type: 'image/jpeg' }), 'p.jpg');
    extra.append('note', 'hello');
    assert.equal((await send(extra)).status, 400);
    const twice = new FormData();
    twice.append(
      'request',
      new Blob([JSON.stringify(checkRequest())], { type: 'application/json' })
    );
    twice.append('photo', new Blob([jpegBytes()], { type: 'image/jpeg' }), 'a.jpg');
    twice.append('photo', new Blob([jpegBytes()], { type: 'image/jpeg' }), 'b.jpg');
    assert.equal((await send(twice)).status, 400);
    assert.equal(bc.control.checks().length, 0);
  });

  it('refuses a photo sent as a text field (no filename) with 400', async () => {
    const answer = await fetch(`${bc.url}/v1/checks`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${bc.apiKey}`,
        'idempotency-key': randomUUID(),
        'content-type': 'multipart/form-data; boundary=abc'
      },
      body: Buffer.concat([
        Buffer.from(
          '--abc\r\nContent-Disposition: form-data; name="request"\r\n\r\n' +
            `${JSON.stringify(checkRequest())}\r\n` +
            '--abc\r\nContent-Disposition: form-data; name="photo"\r\n' +
            'Content-Type: image/jpeg\r\n\r\n'
        ),
        Buffer.from(jpegBytes()),
        Buffer.from('\r\n--abc--\r\n')
      ])
    });
    assert.equal(answer.status, 400);
    assert.match(((await answer.json()) as { message: string }).message, /photo part .* file/);
    assert.equal(bc.control.checks().length, 0);
  });

  it('refuses a body that is not multipart with 415, and a truncated one with 400', async () => {
    const json = await fetch(`${bc.url}/v1/checks`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${bc.apiKey}`,
        'idempotency-key': randomUUID(),
        'content-type': 'application/json'
      },
      body: JSON.stringify(checkRequest())
    });
    assert.equal(json.status, 415);
    const truncated = await fetch(`${bc.url}/v1/checks`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${bc.apiKey}`,
        'idempotency-key': randomUUID(),
        'content-type': 'multipart/form-data; boundary=abc'
      },
      body: '--abc\r\nContent-Disposition: form-data; name="photo"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff'
    });
    assert.equal(truncated.status, 400);
    assert.match(((await truncated.json()) as { message: string }).message, /closing boundary/);
  });

  it('GET answers the pending check, 404 for unknown or malformed references', async () => {
    const request = checkRequest();
    const { body } = await bc.submit(request);
    const found = await bc.status(body.reference);
    assert.equal(found.status, 200);
    assert.deepEqual(found.body, {
      reference: body.reference,
      clientReference: request.clientReference,
      status: 'pending',
      result: null,
      notes: null,
      completedAt: null
    });
    for (const reference of ['bck_00000000000000000000000000', 'nope', '../__sim/checks']) {
      const missing = await bc.status(reference);
      assert.equal(missing.status, 404, reference);
      assert.deepEqual(missing.body.error, 'not_found');
    }
  });
});

describe('BackCheck simulator: what it logs', () => {
  it('never logs the photo or the subject, only routes and references', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, next) {
        lines.push(chunk.toString());
        next();
      }
    });
    const bc = await startBackCheck({ logger: { level: 'trace', stream } });
    try {
      const request = checkRequest({ passportNumber: 'ZZ98765432' });
      const accepted = await bc.submit(request);
      await bc.submit(
        { ...request, subject: { ...request.subject, birthdate: 'yesterday' } },
        { photo: jpegBytes() }
      );
      await bc.status(accepted.body.reference);
      const log = lines.join('');
      assert.match(log, /\/v1\/checks/);
      for (const secret of [
        'ZZ98765432',
        'Lovelace',
        'Ada',
        '1990-12-10',
        'yesterday',
        bc.apiKey
      ]) {
        assert.ok(!log.includes(secret), `the log shows ${secret}`);
      }
      const everything = JSON.stringify([bc.control.requests(), bc.control.checks()]);
      for (const secret of ['ZZ98765432', 'Lovelace']) assert.ok(!everything.includes(secret));
    } finally {
      await bc.close();
    }
  });
});
