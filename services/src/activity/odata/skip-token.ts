// $skiptoken of server-driven paging: how many rows of the query the client has received, bound
// to the query it belongs to. Opaque to the client (base64url JSON), validated here: a token that
// does not decode, is not of this query (its $filter/$orderby/$select/$top/$skip/$count), or
// names a negative or absurd position is refused with 400. It needs no secret: a forged token
// can only name another position of the same query, which $skip reaches as well, so signing
// would add key management without protecting anything.
import { createHash } from 'node:crypto';
import { badRequest } from './errors.ts';

const MAX_POSITION = 2_147_483_647;

/** A digest of the options that define the result, in the order the request gave them. */
export function queryBinding(defining: ReadonlyArray<readonly [string, string]>): string {
  const canonical = defining.map(([name, value]) => `${name}=${value}`).join('&');
  return createHash('sha256').update(canonical, 'utf8').digest('base64url').slice(0, 22);
}

export function encodeSkipToken(delivered: number, binding: string): string {
  return Buffer.from(JSON.stringify({ v: 1, n: delivered, q: binding }), 'utf8').toString(
    'base64url'
  );
}

/** Rows already delivered, from a token of this query; 400 otherwise. */
export function decodeSkipToken(token: string, binding: string): number {
  const invalid = () => badRequest('The $skiptoken is not a token of this query.');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(token)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid();
  const { v, n, q } = parsed as Record<string, unknown>;
  if (v !== 1 || q !== binding) throw invalid();
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > MAX_POSITION) {
    throw invalid();
  }
  return n;
}
