// BackCheck's `timeout` on submit is an unknown outcome: BackCheck may have created the check and
// only its answer was lost. The service retries through the job queue with the same
// Idempotency-Key (bgc-<application id>-<attempt>), so BackCheck answers the check it already
// has (200 replay, same reference) and never makes a second one.
//  - the simulator's `timeout` fault: the request is held and dropped before BackCheck acts;
//  - a proxy that lets BackCheck create the check and then drops the answer (the case that
//    matters: the check exists, the service does not know its reference).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startLab, type Lab } from './harness.ts';

let lab: Lab;
let proxy: http.Server;
let proxyUrl: string;
/** Drop the answer of the next POST /v1/checks after BackCheck has handled it. */
let dropNextAnswer = false;
const keysSeen: string[] = [];

before(async () => {
  lab = await startLab();
  proxy = http.createServer((req, res) => {
    const upstream = http.request(
      new URL(req.url ?? '/', lab.backCheck.url),
      { method: req.method, headers: req.headers },
      (answer) => {
        if (req.method === 'POST' && dropNextAnswer) {
          dropNextAnswer = false;
          answer.resume();
          // BackCheck has answered (the check exists); the service never hears it.
          answer.on('end', () => res.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      }
    );
    upstream.on('error', () => res.destroy());
    if (req.method === 'POST') keysSeen.push(String(req.headers['idempotency-key']));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  await lab.startService({ BACKCHECK_BASE_URL: proxyUrl, BACKCHECK_TIMEOUT_MS: '1500' });
});
after(async () => {
  await lab?.close();
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy?.close(resolve));
});

const checksAt = (applicationId: string) =>
  lab.backCheck.control.checks().filter((c) => c.clientReference === applicationId);

test('simulator timeout on submit: retried with the same Idempotency-Key, one check', async () => {
  lab.backCheck.control.injectFailures({ status: 'timeout', count: 1, methods: ['POST'] });
  const app = await lab.createApplication();
  keysSeen.length = 0;
  assert.equal((await lab.submit(app.body)).status, 202);
  await lab.until(
    async () => (await lab.row(app.applicationId))?.state === 'accepted',
    'accepted after the timeout',
    30_000
  );
  // Two submits with one key: the first one held by the fault (the simulator logs it only once
  // its 60 s hold ends), the retry accepted.
  assert.deepEqual(keysSeen, [`bgc-${app.applicationId}-1`, `bgc-${app.applicationId}-1`]);
  assert.equal(checksAt(app.applicationId).length, 1);
});

test('answer lost after BackCheck created the check: the retry gets the same reference, never a second check', async () => {
  dropNextAnswer = true;
  const app = await lab.createApplication();
  keysSeen.length = 0;
  assert.equal((await lab.submit(app.body)).status, 202);
  await lab.until(
    async () => (await lab.row(app.applicationId))?.state === 'accepted',
    'accepted after the lost answer',
    30_000
  );
  const created = checksAt(app.applicationId);
  assert.equal(created.length, 1, 'one BackCheck check');
  assert.equal((await lab.row(app.applicationId))?.reference, created[0]?.reference);
  assert.equal(keysSeen.length, 2, 'submitted twice');
  assert.deepEqual(new Set(keysSeen), new Set([`bgc-${app.applicationId}-1`]));
  // BackCheck answered the retry as a replay of the check it already had.
  assert.ok(
    lab.backCheck.control
      .requests()
      .some((r) => r.replayed === true && r.reference === created[0]?.reference),
    'the retry was a replay'
  );
});
