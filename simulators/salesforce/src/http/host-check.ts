/**
 * DNS-rebinding guard: a browser page on another site can make its own name resolve to
 * 127.0.0.1 and then read the emulator's answers (the default client secret is public). Such
 * requests carry the attacker's name in `Host`, so only loopback names and the names the
 * emulator was configured with (its bind address, unless a wildcard, and `--public-host`) are
 * answered, on the port the request arrived at. Others get 421 Misdirected Request.
 */
import type { FastifyInstance } from 'fastify';
import { SalesforceApiError } from '../model.ts';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);

function hostname(name: string): string {
  const lower = name.toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

export interface HostCheckOptions {
  /** The address the server is bound to (allowed unless a wildcard). */
  bindHost?: string;
  /** Further names clients use to reach the emulator (`--public-host`). */
  publicHosts?: string[];
  /** Whether the server speaks HTTPS (the port a Host without one means). */
  tls?: boolean;
  /** Requests this answers true for skip the check (composite subrequests). */
  skip?: (request: import('fastify').FastifyRequest) => boolean;
}

export function allowedHostNames(options: HostCheckOptions): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  if (options.bindHost !== undefined && !WILDCARDS.has(options.bindHost)) {
    names.add(hostname(options.bindHost));
  }
  for (const name of options.publicHosts ?? []) names.add(hostname(name));
  return names;
}

export function installHostCheck(app: FastifyInstance, options: HostCheckOptions): void {
  const names = allowedHostNames(options);
  const defaultPort = options.tls === true ? 443 : 80;
  app.addHook('onRequest', async (request) => {
    if (options.skip?.(request) === true) return;
    const header = request.headers.host ?? '';
    let url: URL | undefined;
    try {
      url = new URL(`http://${header}`);
    } catch {
      url = undefined;
    }
    const localPort = request.raw.socket?.localPort;
    const port = url === undefined || url.port === '' ? defaultPort : Number(url.port);
    const ok =
      url !== undefined &&
      header !== '' &&
      url.pathname === '/' &&
      url.username === '' &&
      names.has(url.hostname) &&
      (localPort === undefined || port === localPort);
    if (!ok) {
      throw new SalesforceApiError(
        421,
        'MISDIRECTED_REQUEST',
        `The Host header '${header.slice(0, 200)}' is not one this emulator answers (loopback names or its configured host)`
      );
    }
  });
}
