import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { listeningUrl } from '../src/listening-url.ts';

async function listening(host: string): Promise<http.Server> {
  const server = http.createServer((_request, response) => response.end('up'));
  server.listen(0, host);
  await once(server, 'listening');
  return server;
}

describe('listeningUrl', () => {
  it('gives the port the server got and a URL a client can reach (IPv4)', async () => {
    const server = await listening('127.0.0.1');
    try {
      const url = listeningUrl(server, '127.0.0.1');
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(new URL(url).port, '0');
      assert.equal(await (await fetch(url)).text(), 'up');
    } finally {
      server.close();
    }
  });

  it('brackets an IPv6 literal, so the URL parses and connects', async (t) => {
    let server: http.Server;
    try {
      server = await listening('::1');
    } catch {
      t.skip('no IPv6 loopback on this machine');
      return;
    }
    try {
      const url = listeningUrl(server, '::1', 'https');
      assert.match(url, /^https:\/\/\[::1\]:\d+$/);
      assert.equal(new URL(url).hostname, '[::1]');
      const plain = listeningUrl(server, '::1');
      assert.equal(await (await fetch(plain)).text(), 'up');
    } finally {
      server.close();
    }
  });

  it('refuses a server that is not listening', () => {
    assert.throws(() => listeningUrl(http.createServer(), '127.0.0.1'), /not listening/);
  });
});
