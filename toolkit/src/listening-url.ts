// The URL a server bound to `host` answers on: the port it actually got (port 0 picks one), and
// an IPv6 literal in brackets as URLs require (`http://[::1]:8080`). One rule for every server of
// the project: a host written without brackets made a URL no client could parse.
import type { Server } from 'node:net';

/** `protocol://host:port` of a listening server; throws if it is not listening on TCP. */
export function listeningUrl(
  server: Server,
  host: string,
  protocol: 'http' | 'https' = 'http'
): string {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`the server is not listening on a TCP port (address: ${String(address)})`);
  }
  return `${protocol}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
