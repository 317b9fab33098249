/**
 * The emulator's TLS identity: one self-signed certificate made at start, served by the Pub/Sub
 * gRPC server always and by the HTTP server with `tls: true`, and written to a PEM file clients
 * can trust (`NODE_EXTRA_CA_CERTS`, `SF_CA_FILE`, curl `--cacert`). The official Pub/Sub client
 * only speaks TLS (it pins Salesforce's root CA unless `rejectUnauthorizedSsl: false`), and
 * clients that build `https://{instance}` themselves need REST over TLS too.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface SelfSignedCertificate {
  certPem: string;
  keyPem: string;
}

/**
 * EC P-256 keeps generation in the milliseconds. The certificate is its own CA (basic
 * constraints CA, key usage certSign) so a client can trust it as a root; the SANs cover the
 * loopback names a client may dial, and the listening address when it is another IP.
 */
export async function createSelfSignedCertificate(host: string): Promise<SelfSignedCertificate> {
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'emulator.local' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 365 * 24 * 60 * 60 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
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

/** Writes the certificate to `<tmp>/sf-emulator-*\/ca.pem`; `remove()` deletes it again. */
export async function writeCaFile(
  certificate: SelfSignedCertificate
): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sf-emulator-tls-'));
  const file = path.join(dir, 'ca.pem');
  await writeFile(file, certificate.certPem, { mode: 0o644 });
  return { path: file, remove: () => rm(dir, { recursive: true, force: true }) };
}
