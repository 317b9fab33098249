/**
 * readMultipart (busboy with the rules the simulators need): parts in order whatever the
 * chunking, backpressure (a slow sink holds the upload back, nothing is buffered), the body cap,
 * truncated and malformed bodies, content types, and what happens to the rest after a failure.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import {
  MultipartError,
  MultipartTooLargeError,
  readMultipart,
  type MultipartPart,
  type ReadMultipartOptions
} from '../src/multipart.ts';

const boundary = '----formdata-undici-0123456789';
const headers = { 'content-type': `multipart/form-data; boundary=${boundary}` };

interface Read extends Omit<MultipartPart, 'body'> {
  bytes: Buffer;
}

function chunked(body: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) chunks.push(body.subarray(at, at + size));
  return Readable.from(chunks, { objectMode: false });
}

async function readAll(
  source: Readable,
  options: Partial<ReadMultipartOptions> = {}
): Promise<Read[]> {
  const parts: Read[] = [];
  await readMultipart(source, headers, {
    maxTotalBytes: 10 * 1024 * 1024,
    ...options,
    async onPart({ body, ...part }) {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      parts.push({ ...part, bytes: Buffer.concat(chunks) });
    }
  });
  return parts;
}

const closed = (stream: Readable): Promise<unknown> =>
  stream.closed ? Promise.resolve() : once(stream, 'close');

const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(300, 0x80)]);
const sample = Buffer.concat([
  Buffer.from(
    `preamble to ignore\r\n--${boundary}\r\n` +
      'Content-Disposition: form-data; name="request"\r\nContent-Type: application/json\r\n\r\n' +
      '{"a":"--not a boundary\\r\\n é"}' +
      `\r\n--${boundary}\r\n` +
      'Content-Disposition: form-data; name="photo"; filename="me.jpg"\r\n' +
      'Content-Type: Image/JPEG\r\n\r\n'
  ),
  Buffer.from(`\r\n--${boundary.slice(0, -1)}X\r\n`), // almost a delimiter, inside the file
  photo,
  Buffer.from(`\r\n--${boundary}--\r\nepilogue ignored --${boundary}\r\n`)
]);

describe('readMultipart', () => {
  it('hands on fields and files in order, the same whatever the chunking', async () => {
    const expected = await readAll(chunked(sample, sample.length));
    assert.equal(expected.length, 2);
    assert.deepEqual(
      expected.map(({ name, filename, mimeType, isFile }) => ({
        name,
        filename,
        mimeType,
        isFile
      })),
      [
        { name: 'request', filename: undefined, mimeType: 'application/json', isFile: false },
        { name: 'photo', filename: 'me.jpg', mimeType: 'image/jpeg', isFile: true }
      ]
    );
    assert.equal(expected[0]?.bytes.toString('utf8'), '{"a":"--not a boundary\\r\\n é"}');
    assert.equal(expected[1]?.bytes.length, photo.length + boundary.length + 6);
    assert.ok(expected[1]?.bytes.subarray(-photo.length).equals(photo));
    for (const size of [1, 2, 7, 64, 1000]) {
      assert.deepEqual(await readAll(chunked(sample, size)), expected, `chunks of ${size}`);
    }
  });

  it('holds the upload back while a sink is slow: the bytes read ahead stay bounded', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const total = 32 * chunk.length;
    let pulled = 0;
    let sent = -1;
    const source = new Readable({
      read() {
        if (sent < 0) {
          this.push(
            `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p"\r\n\r\n`
          );
          sent = 0;
        } else if (sent < total) {
          sent += chunk.length;
          pulled += chunk.length;
          this.push(chunk);
        } else {
          this.push(`\r\n--${boundary}--\r\n`);
          this.push(null);
        }
      }
    });
    let given = 0;
    let mostHeld = 0;
    await readMultipart(source, headers, {
      maxTotalBytes: 4 * total,
      async onPart(part) {
        for await (const piece of part.body) {
          await tick(); // a sink that takes its time (a disk write)
          given += (piece as Buffer).length;
          mostHeld = Math.max(mostHeld, pulled - given);
        }
      }
    });
    assert.equal(given, total);
    // Stream buffers only (the source's, busboy's, the part's): never the file.
    assert.ok(mostHeld <= 512 * 1024, `held ${mostHeld} bytes`);
  });

  it('caps the whole body: declared (nothing read) or counted as it arrives', async () => {
    let read = false;
    const untouched = new Readable({
      read() {
        read = true;
        this.push(null);
      }
    });
    await assert.rejects(
      readMultipart(
        untouched,
        { ...headers, 'content-length': '2000' },
        { maxTotalBytes: 1000, onPart: () => assert.fail('no part expected') }
      ),
      (error: unknown) => error instanceof MultipartTooLargeError && error.limit === 1000
    );
    assert.equal(read, false);

    // A small form, then an epilogue past the cap: refused, though the form was complete.
    const epilogue = Buffer.concat([sample, Buffer.alloc(20_000, 0x61)]);
    await assert.rejects(readAll(chunked(epilogue, 1024), { maxTotalBytes: 10_000 }), {
      name: 'MultipartTooLargeError'
    });
  });

  it('refuses truncated and malformed bodies, and other content types', async () => {
    const truncated = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="p"\r\n\r\nabc`
    );
    await assert.rejects(
      readAll(chunked(truncated, 5)),
      (error: unknown) =>
        error instanceof MultipartError &&
        error.reason === 'body' &&
        /closing boundary/.test(error.message)
    );
    const longHeaders = Buffer.from(`--${boundary}\r\n${'X-Long: y\r\n'.repeat(2000)}\r\n`);
    await assert.rejects(readAll(chunked(longHeaders, 512)), {
      name: 'MultipartError',
      message: /header/
    });
    for (const contentType of ['multipart/form-data', 'application/x-www-form-urlencoded']) {
      await assert.rejects(
        readMultipart(
          chunked(sample, 100),
          { 'content-type': contentType },
          {
            maxTotalBytes: 1e6,
            onPart: () => assert.fail('no part expected')
          }
        ),
        (error: unknown) => error instanceof MultipartError && error.reason === 'content-type'
      );
    }
  });

  it("rejects with a handler's error, drops the rest of the upload, and cuts a long one", async () => {
    const refused = new Error('not this part');
    const rest = chunked(Buffer.concat([sample, Buffer.alloc(5000)]), 100);
    let parts = 0;
    await assert.rejects(
      readMultipart(rest, headers, {
        maxTotalBytes: 1e6,
        onPart: () => {
          parts++;
          throw refused;
        }
      }),
      (error: unknown) => error === refused
    );
    assert.equal(parts, 1);
    // The rest is read and dropped (the client can read the answer).
    await closed(rest);
    assert.equal(rest.readableEnded, true);

    // More than another cap's worth after the failure: the source is destroyed.
    let pushed = 0;
    const endless = new Readable({
      read() {
        pushed++;
        this.push(pushed === 1 ? sample.subarray(0, 200) : Buffer.alloc(1024));
      }
    });
    await assert.rejects(
      readMultipart(endless, headers, {
        maxTotalBytes: 10_000,
        onPart: () => {
          throw refused;
        }
      })
    );
    await closed(endless);
    assert.equal(endless.destroyed, true);
    assert.ok(pushed < 30, `read ${pushed} chunks`);
  });

  it('cuts a text field one byte past maxFieldBytes, so the caller sees it is too long', async () => {
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="request"\r\n\r\n${'x'.repeat(100)}` +
        `\r\n--${boundary}--\r\n`
    );
    const [part] = await readAll(chunked(body, 10), { maxFieldBytes: 40 });
    assert.equal(part?.bytes.length, 41);
  });
});
