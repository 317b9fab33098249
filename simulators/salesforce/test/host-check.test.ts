/**
 * DNS rebinding: a page on another site whose name resolves to 127.0.0.1 sends its own name in
 * Host. The emulator answers loopback names and its configured host only, on its own port;
 * others get 421. Bound to 0.0.0.0 it answers the names given as public hosts. Client: node:http
 * (fetch does not let a caller set Host).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { startTestEmulator, type TestEmulator } from './helpers/emulator.ts';

let emulator: TestEmulator;
let lan: TestEmulator;
before(async () => {
  emulator = await startTestEmulator();
  lan = await startTestEmulator({ host: '0.0.0.0', publicHosts: ['emulator.lan'] });
});
after(async () => {
  await emulator.close();
  await lan.close();
});

function get(target: TestEmulator, host: string, path = '/services/data'): Promise<number> {
  const port = new URL(target.instanceUrl).port;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

test('loopback names on the emulator port are answered; any other Host is 421', async () => {
  const port = new URL(emulator.instanceUrl).port;
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
    assert.equal(await get(emulator, host), 200, host);
  }
  for (const host of [`attacker.example:${port}`, 'attacker.example', `127.0.0.1:1`, 'localhost']) {
    assert.equal(await get(emulator, host), 421, host);
  }
  assert.equal(await get(emulator, `evil.example:${port}`, '/services/oauth2/token'), 421);
});

test('bound to 0.0.0.0 with a public host: that name works, others do not', async () => {
  const port = new URL(lan.instanceUrl).port;
  assert.equal(lan.instanceUrl, `http://emulator.lan:${port}`);
  assert.equal(await get(lan, `emulator.lan:${port}`), 200);
  assert.equal(await get(lan, `127.0.0.1:${port}`), 200);
  assert.equal(await get(lan, `0.0.0.0:${port}`), 421);
  assert.equal(await get(lan, `rebind.attacker.example:${port}`), 421);
});
