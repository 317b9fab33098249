/**
 * The emulator's TLS identity: one self-signed certificate made at start, served by the Pub/Sub
 * gRPC server always and by the HTTP server with `tls: true`, and written to a PEM file clients
 * can trust (`NODE_EXTRA_CA_CERTS`, `SF_CA_FILE`, curl `--cacert`). The official Pub/Sub client
 * only speaks TLS (it pins Salesforce's root CA unless `rejectUnauthorizedSsl: false`), and
 * clients that build `https://{instance}` themselves need REST over TLS too.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface SelfSignedCertificate {
  certPem: string;
  keyPem: string;
}

/** A fresh certificate is made at every start: it need not outlive a long lab session. */
export const CERTIFICATE_VALIDITY_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * EC P-256 keeps generation in the milliseconds. The certificate is a self-signed leaf, not a
 * CA (basic constraints CA:FALSE, no certSign): trusting it (NODE_EXTRA_CA_CERTS, `ca`) trusts
 * this one server identity and can never vouch for another certificate, whatever its name. The
 * SANs cover the loopback names a client may dial, and the listening address when it is
 * another IP. Valid 30 days (a new one is made at every start).
 */
export async function createSelfSignedCertificate(host: string): Promise<SelfSignedCertificate> {
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'emulator.local' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + CERTIFICATE_VALIDITY_MS),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: 'pubsub.emulator.local' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          ...(host !== '127.0.0.1' && /^[\d.]+$/.test(host) ? [{ type: 7 as const, ip: host }] : [])
        ]
      }
    ]
  });
  return { certPem: pems.cert, keyPem: pems.private };
}

/**
 * Where certificate files go: `$XDG_RUNTIME_DIR/sf-emulator` (a per-user tmpfs) when set, else
 * `<project>/.data/sf-emulator-tls`. Never a shared directory such as /tmp, where another user
 * could plant a file at the path clients are told to trust.
 */
export function certificateDir(projectDir: string): string {
  const runtime = process.env.XDG_RUNTIME_DIR;
  return runtime
    ? path.join(runtime, 'sf-emulator')
    : path.join(projectDir, '.data', 'sf-emulator-tls');
}

/** Makes `dir` (0700) and checks it is a real directory of this user, not a planted link. */
async function ownPrivateDir(dir: string): Promise<void> {
  // Parents with the default mode: a recursive mkdir with 0700 made the repository's `.data/`
  // private too, and the embedded PostgreSQL, run as the postgres user when the lab runs as
  // root, could then not reach `.data/postgres`. Only the certificates' folder is private.
  await mkdir(path.dirname(dir), { recursive: true });
  await mkdir(dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const stats = await lstat(dir);
  if (!stats.isDirectory() || (process.getuid !== undefined && stats.uid !== process.getuid())) {
    throw new Error(`${dir} is not a directory of this user: refusing to write certificates there`);
  }
  if ((stats.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

/**
 * Writes the certificate to `<certificateDir>/ca-<random>.pem` (the directory 0700, the file
 * created new, 0600); `remove()` deletes it again.
 */
export async function writeCaFile(
  certificate: SelfSignedCertificate,
  dir: string
): Promise<{ path: string; remove(): Promise<void> }> {
  await ownPrivateDir(dir);
  const file = path.join(dir, `ca-${process.pid}-${randomBytes(6).toString('hex')}.pem`);
  await writeFile(file, certificate.certPem, { mode: 0o600, flag: 'wx' });
  return { path: file, remove: () => rm(file, { force: true }) };
}
