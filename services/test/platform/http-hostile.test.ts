// The platform's HTTP server against hostile or broken clients, over real sockets: a body that
// never arrives, an announced body after an early 401, sockets that never send a byte, and a
// flood of all of them. None may hold a socket for long, exhaust the process, starve /healthz
// or hold the shutdown.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createHttpServer, createLogger, type HttpServer } from '../../src/platform/index.ts';
import { sleep, until } from '../../../toolkit/testing/wait.ts';

const TOKEN = 'hostile-test-token-0123456789abcdef';
const REQUEST_TIMEOUT_MS = 2000;

interface Probe {
  socket: net.Socket;
  data: string;
  closedAt: number | undefined;
}

function open(url: string, first: string, localAddress?: string): Probe {
  const { hostname, port } = new URL(url);
  const probe: Probe = {
    socket: net.connect({
      port: Number(port),
      host: hostname,
      ...(localAddress ? { localAddress } : {})
    }),
    data: '',
    closedAt: undefined
  };
  probe.socket.on('data', (chunk) => (probe.data += chunk.toString('latin1')));
  probe.socket.on('close', () => (probe.closedAt = Date.now()));
  probe.socket.on('error', () => undefined);
  if (first) probe.socket.write(first);
  return probe;
}

const slowPost = (token?: string) =>
  [
    'POST /orders HTTP/1.1',
    'Host: localhost',
    'Content-Type: application/json',
    'Content-Length: 16000',
    ...(token ? [`Authorization: Bearer ${token}`] : []),
    '',
    '{"a":'
  ].join('\r\n');

describe('HTTP server against hostile clients', () => {
  let server: HttpServer;
  let url: string;

  before(async () => {
    server = await createHttpServer({
      config: {
        host: '127.0.0.1',
        port: 0,
        apiTokens: [TOKEN],
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        maxConnections: 5000,
        // These tests flood from one address on purpose; the per-client cap has its own test.
        maxConnectionsPerClient: 5000
      },
      logger: createLogger({ level: 'silent' }),
      drainTimeoutMs: 1000
    });
    server.app.post('/orders', async (request) => ({ received: request.body }));
    url = await server.listen();
  });

  after(async () => {
    await server?.close();
  });

  test('an early 401 closes the connection: the announced body is not waited for', async () => {
    const probe = open(url, slowPost());
    await until(() => probe.closedAt !== undefined, 'the server to close the socket', 3000);
    assert.match(probe.data, /^HTTP\/1\.1 401/);
    assert.match(probe.data, /connection: close/i);
  });

  test('an authenticated body trickled too slowly is cut at the request timeout (408)', async () => {
    const started = Date.now();
    const probe = open(url, slowPost(TOKEN));
    const trickle = setInterval(() => probe.socket.write(' '), 300);
    try {
      await until(() => probe.closedAt !== undefined, 'the slow request to be cut', 10_000);
    } finally {
      clearInterval(trickle);
    }
    const held = (probe.closedAt ?? Date.now()) - started;
    assert.ok(held < REQUEST_TIMEOUT_MS + 2500, `held ${held} ms`);
    assert.match(probe.data, /^HTTP\/1\.1 408/);
  });

  test('a socket that never sends a byte is closed', async () => {
    const probe = open(url, '');
    await until(() => probe.closedAt !== undefined, 'the idle socket to be closed', 15_000);
  });

  test('a flood of slow and idle sockets does not starve /healthz, and all of them are closed', async () => {
    const flood: Probe[] = [];
    for (let i = 0; i < 400; i++) flood.push(open(url, i % 2 === 0 ? slowPost() : ''));
    const trickle = setInterval(() => {
      for (const probe of flood) if (probe.closedAt === undefined) probe.socket.write(' ');
    }, 500);
    try {
      await sleep(200);
      const started = Date.now();
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200);
      assert.ok(Date.now() - started < 2000, 'health answers promptly during the flood');
      await until(
        () => flood.every((probe) => probe.closedAt !== undefined),
        () => `every flood socket to be closed (${flood.filter((p) => !p.closedAt).length} open)`,
        20_000
      );
      const connections = await new Promise<number>((resolve, reject) =>
        server.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count)))
      );
      assert.ok(connections <= 1, `${connections} connections left`);
    } finally {
      clearInterval(trickle);
      for (const probe of flood) probe.socket.destroy();
    }
  });

  test('connections beyond the cap are refused at accept, the server keeps serving', async () => {
    const capped = await createHttpServer({
      config: {
        host: '127.0.0.1',
        port: 0,
        apiTokens: [],
        maxConnections: 20,
        maxConnectionsPerClient: 100
      },
      logger: createLogger({ level: 'silent' })
    });
    const cappedUrl = await capped.listen();
    const idle = Array.from({ length: 40 }, () => open(cappedUrl, ''));
    try {
      await until(
        () => idle.filter((probe) => probe.closedAt !== undefined).length >= 20,
        'the sockets over the cap to be dropped',
        5000
      );
      for (const probe of idle) probe.socket.destroy();
      await until(
        async () => (await fetch(`${cappedUrl}/healthz`).catch(() => undefined))?.status === 200,
        'health once the flood is gone',
        5000
      );
    } finally {
      for (const probe of idle) probe.socket.destroy();
      await capped.close();
    }
  });

  test('one client cannot take every connection: other clients are still served', async () => {
    const shared = await createHttpServer({
      config: { host: '127.0.0.1', port: 0, apiTokens: [], maxConnectionsPerClient: 50 },
      logger: createLogger({ level: 'silent' })
    });
    const sharedUrl = await shared.listen();
    // The attacker holds as many idle sockets as it likes from 127.0.0.2 ...
    const hog = Array.from({ length: 300 }, () => open(sharedUrl, '', '127.0.0.2'));
    try {
      await until(
        () => hog.filter((probe) => probe.closedAt !== undefined).length >= 250,
        'the sockets over the per-client cap to be dropped',
        5000
      );
      // ... and a health probe from another address still gets in at once.
      const probe = open(
        sharedUrl,
        'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
      );
      await until(() => probe.closedAt !== undefined, 'the health answer', 3000);
      assert.match(probe.data, /^HTTP\/1\.1 200/);
    } finally {
      for (const probe of hog) probe.socket.destroy();
      await shared.close();
    }
  });

  test('shutdown during a flood finishes within the drain time', async () => {
    const doomed = await createHttpServer({
      config: { host: '127.0.0.1', port: 0, apiTokens: [TOKEN], requestTimeoutMs: 60_000 },
      logger: createLogger({ level: 'silent' }),
      drainTimeoutMs: 1000
    });
    doomed.app.post('/orders', async (request) => ({ received: request.body }));
    const doomedUrl = await doomed.listen();
    const flood = Array.from({ length: 50 }, () => open(doomedUrl, slowPost(TOKEN)));
    await sleep(200);
    const started = Date.now();
    await doomed.close();
    assert.ok(Date.now() - started < 3000, `closed in ${Date.now() - started} ms`);
    await until(() => flood.every((probe) => probe.closedAt !== undefined), 'sockets closed', 3000);
  });
});
