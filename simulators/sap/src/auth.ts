/**
 * HTTP basic authentication of the service user, as an ABAP system checks it: anything else
 * is `401` with `WWW-Authenticate: Basic realm="SAP NetWeaver Application Server [SIM/100]"`.
 */
import { timingSafeEqual } from 'node:crypto';
import { SapODataError } from './errors.ts';

export interface Credentials {
  username: string;
  password: string;
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Returns the authenticated user name or throws the 401. */
export function authenticate(header: string | undefined, expected: Credentials): string {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match?.[1]) {
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      const username = decoded.slice(0, colon);
      const password = decoded.slice(colon + 1);
      // User names are case-insensitive in ABAP systems; passwords are not.
      if (
        same(username.toUpperCase(), expected.username.toUpperCase()) &&
        same(password, expected.password)
      ) {
        return username.toUpperCase();
      }
    }
  }
  throw new SapODataError(
    401,
    '/IWFND/CM_MGW/001',
    'Logon failed: wrong user name or password',
    [],
    {
      'www-authenticate': 'Basic realm="SAP NetWeaver Application Server [SIM/100]"'
    }
  );
}
