import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { UsageError } from '../src/cli/args.ts';
import {
  bearerToken,
  checkControlRequest,
  controlAccessHook,
  driverSecretFromFlag,
  isLoopbackAddress,
  secretMatches,
  validateDriverSecret
} from '../src/loopback.ts';

/** An IPv4 address of this machine that is not loopback, if it has one. */
function nonLoopbackIpv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}

describe('isLoopbackAddress', () => {
  it('accepts 127.0.0.0/8, ::1 and their IPv4-mapped forms', () => {
    for (const address of [
      '127.0.0.1',
      '127.0.0.53',
      '127.255.255.254',
      '::1',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      '::ffff:127.1.2.3',
      '::ffff:7f00:1'
    ]) {
      assert.equal(isLoopbackAddress(address), true, address);
    }
  });

  it('refuses everything else, including junk and nothing', () => {
    for (const address of [
      '128.0.0.1',
      '126.255.255.255',
      '10.0.0.1',
      '192.168.1.10',
      '0.0.0.0',
      '::',
      '::2',
      '::ffff:10.0.0.1',
      '::127.0.0.1',
      'fe80::1',
      'fe80::1%eth0',
      'fd00::2',
      'localhost',
      '127.0.0.1.example.com',
      ' 127.0.0.1',
      '',
      undefined
    ]) {
      assert.equal(isLoopbackAddress(address), false, String(address));
    }
  });
});

describe('driver secrets', () => {
  it('takes visible ASCII without spaces and refuses the rest, the empty string included', () => {
    assert.equal(validateDriverSecret(undefined), undefined);
    assert.equal(validateDriverSecret('s3cret-_.~+/='), 's3cret-_.~+/=');
    for (const bad of ['', 'with space', 'tab\tin', 'naïve', 'line\nbreak', 'x'.repeat(1025)]) {
      assert.throws(() => validateDriverSecret(bad), RangeError, JSON.stringify(bad));
    }
  });

  it('compares secrets of any length', () => {
    assert.equal(secretMatches('abc', 'abc'), true);
    assert.equal(secretMatches('abc', 'abd'), false);
    assert.equal(secretMatches('abc', 'abcd'), false);
    assert.equal(secretMatches('', 'abc'), false);
  });

  it('reads Authorization: Bearer', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer   abc '), 'abc');
    assert.equal(bearerToken('Basic YWJjOmRlZg=='), undefined);
    assert.equal(bearerToken('Bearer'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });

  it('gives the CLIs a random secret unless --driver-secret chooses one', () => {
    const first = driverSecretFromFlag(undefined);
    assert.match(first, /^[0-9a-f]{48}$/);
    assert.notEqual(driverSecretFromFlag(undefined), first);
    assert.equal(driverSecretFromFlag('chosen'), 'chosen');
    assert.throws(
      () => driverSecretFromFlag('has space'),
      (error: unknown) => error instanceof UsageError && /--driver-secret/.test(error.message)
    );
  });
});

describe('checkControlRequest', () => {
  it('refuses a non-loopback client with 403, whatever the secret', () => {
    for (const secret of [undefined, 'abc']) {
      const refusal = checkControlRequest('192.0.2.7', 'Bearer abc', secret);
      assert.equal(refusal?.status, 403);
      assert.match(refusal.message, /loopback/);
      assert.match(refusal.message, /192\.0\.2\.7/);
    }
    assert.equal(checkControlRequest(undefined, undefined, undefined)?.status, 403);
  });

  it('lets loopback clients through without a secret configured', () => {
    assert.equal(checkControlRequest('127.0.0.1', undefined, undefined), undefined);
    assert.equal(checkControlRequest('::ffff:127.0.0.1', 'Basic x', undefined), undefined);
  });

  it('needs the right bearer secret when one is configured', () => {
    const missing = checkControlRequest('::1', undefined, 'abc', 'test-realm');
    assert.equal(missing?.status, 401);
    assert.match(missing.message, /Authorization: Bearer/);
    assert.equal(missing.headers['www-authenticate'], 'Bearer realm="test-realm"');
    const wrong = checkControlRequest('127.0.0.1', 'Bearer abd', 'abc');
    assert.equal(wrong?.status, 401);
    assert.match(wrong.message, /Wrong driver secret.*Authorization: Bearer/);
    assert.match(wrong.headers['www-authenticate'] ?? '', /error="invalid_token"/);
    assert.equal(checkControlRequest('127.0.0.1', 'Basic YWJj', 'abc')?.status, 401);
    assert.equal(checkControlRequest('127.0.0.1', 'Bearer abc', 'abc'), undefined);
  });
});

describe('controlAccessHook over real HTTP', () => {
  async function app(secret: string | undefined): Promise<FastifyInstance> {
    const server = Fastify();
    await server.register(
      async (control) => {
        control.addHook(
          'onRequest',
          controlAccessHook({
            secret,
            realm: 'test',
            refuse: (reply, refusal) =>
              reply.code(refusal.status).send({ refused: refusal.message })
          })
        );
        control.get('/state', async () => ({ ok: true }));
      },
      { prefix: '/__control' }
    );
    server.get('/open', async (request) => ({ peer: request.raw.socket.remoteAddress }));
    return server;
  }

  it('refuses a bad secret option when the hook is made', () => {
    assert.throws(
      () => controlAccessHook({ secret: '', realm: 'x', refuse: (reply) => reply }),
      RangeError
    );
  });

  describe('bound to 0.0.0.0', () => {
    let server: FastifyInstance;
    let port = 0;
    before(async () => {
      server = await app('abc');
      await server.listen({ host: '0.0.0.0', port: 0 });
      const address = server.server.address();
      port = typeof address === 'object' && address ? address.port : 0;
    });
    after(() => server.close());

    it('answers a loopback client with the secret only', async () => {
      const base = `http://127.0.0.1:${port}/__control/state`;
      const without = await fetch(base);
      assert.equal(without.status, 401);
      assert.equal(without.headers.get('www-authenticate'), 'Bearer realm="test"');
      assert.equal((await fetch(base, { headers: { authorization: 'Bearer x' } })).status, 401);
      const right = await fetch(base, { headers: { authorization: 'Bearer abc' } });
      assert.equal(right.status, 200);
      assert.deepEqual(await right.json(), { ok: true });
    });

    it('refuses a client on a non-loopback address with 403, even with the secret', async (t) => {
      const ip = nonLoopbackIpv4();
      if (!ip) {
        t.skip('this machine has no non-loopback IPv4 address to connect from');
        return;
      }
      const refused = await fetch(`http://${ip}:${port}/__control/state`, {
        headers: { authorization: 'Bearer abc' }
      });
      assert.equal(refused.status, 403);
      assert.match(((await refused.json()) as { refused: string }).refused, /loopback/);
      const open = await fetch(`http://${ip}:${port}/open`);
      assert.equal(open.status, 200, 'other routes are not affected');
      assert.deepEqual(await open.json(), { peer: ip }, 'the peer really is not loopback');
    });
  });

  it('accepts IPv4-mapped loopback peers of a dual-stack server', async (t) => {
    const server = await app(undefined);
    try {
      try {
        await server.listen({ host: '::', port: 0 });
      } catch {
        t.skip('this machine cannot listen on :: (no IPv6)');
        return;
      }
      const address = server.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const peer = (await (await fetch(`http://127.0.0.1:${port}/open`)).json()) as {
        peer: string;
      };
      assert.equal(peer.peer, '::ffff:127.0.0.1', 'the peer is IPv4-mapped');
      assert.equal((await fetch(`http://127.0.0.1:${port}/__control/state`)).status, 200);
      assert.equal((await fetch(`http://[::1]:${port}/__control/state`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
