// The BackCheck client against a fake BackCheck that misbehaves: an answer larger than 64 KB is
// refused without being buffered (review finding 7), a status answer outside BackCheck's API
// (unknown status or result, a completed check without a result) is refused, not returned
// (finding 8).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  BackCheckClient,
  BackCheckInvalidAnswerError,
  BackCheckUnavailableError,
  MAX_ANSWER_BYTES
} from '../../src/background-check/backcheck-client.ts';

let answer: { status: number; body: string | (() => AsyncGenerator<string>) };
let server: http.Server;
let client: BackCheckClient;
let sentBytes = 0;

before(async () => {
  server = http.createServer((request, response) => {
    request.resume();
    request.on('end', async () => {
      response.writeHead(answer.status, { 'Content-Type': 'application/json' });
      if (typeof answer.body === 'string') {
        response.end(answer.body);
        return;
      }
      // Streams far more than the cap, unless the client hangs up first.
      try {
        for await (const piece of answer.body()) {
          if (response.destroyed) return;
          sentBytes += piece.length;
          if (!response.write(piece))
            await new Promise((resolve) => response.once('drain', resolve));
        }
        response.end();
      } catch {
        // the client hung up
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new BackCheckClient({
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: 'test-key',
    timeoutMs: 5000
  });
});
after(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const VALID = {
  reference: 'bck_1',
  clientReference: 'a0X5g00000ABCDEFGH',
  status: 'completed',
  result: 'clear',
  notes: null,
  completedAt: '2026-12-07T10:00:00.000Z'
};

test('an answer over 64 KB is refused as unavailable, not buffered whole', async () => {
  sentBytes = 0;
  answer = {
    status: 200,
    body: async function* () {
      yield `{"reference":"bck_1","notes":"`;
      for (let i = 0; i < 1024; i += 1) yield 'x'.repeat(16 * 1024); // 16 MB
      yield '"}';
    }
  };
  await assert.rejects(client.status('bck_1'), (error: Error) => {
    assert.ok(error instanceof BackCheckUnavailableError);
    assert.match(error.message, /larger than 64 KB/);
    return true;
  });
  // Of 16 MB: the kernel's socket buffers on both sides take a few MB before the client stops
  // reading (4.2 MB seen on a loaded CI machine); reading it whole would take all 16.
  assert.ok(sentBytes < 8 * 1024 * 1024, `stopped reading early (${sentBytes} bytes sent)`);
});

test('a submit answer over 64 KB is refused too', async () => {
  answer = { status: 202, body: JSON.stringify({ reference: 'x'.repeat(MAX_ANSWER_BYTES) }) };
  const photo = {
    type: 'image/jpeg' as const,
    chunks: (async function* () {
      yield Buffer.from([0xff, 0xd8, 0xff, 0xe0]);
    })()
  };
  await assert.rejects(
    client.submit('bgc-x-1', { clientReference: 'a', subject: {} as never }, photo),
    /larger than 64 KB/
  );
});

test('a valid status answer is returned; one outside the API is refused', async () => {
  answer = { status: 200, body: JSON.stringify(VALID) };
  assert.deepEqual(await client.status('bck_1'), VALID);
  for (const invalid of [
    { ...VALID, result: 'approved' },
    { ...VALID, status: 'done' },
    { ...VALID, result: null },
    { ...VALID, completedAt: 'yesterday' },
    { ...VALID, clientReference: undefined },
    'not json'
  ]) {
    answer = { status: 200, body: typeof invalid === 'string' ? invalid : JSON.stringify(invalid) };
    await assert.rejects(client.status('bck_1'), BackCheckInvalidAnswerError);
  }
});
