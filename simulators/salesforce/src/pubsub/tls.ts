import { ServerCredentials } from '@grpc/grpc-js';
import { generate } from 'selfsigned';

export interface SelfSignedCertificate {
  certPem: string;
  keyPem: string;
  credentials: ServerCredentials;
}

/**
 * A certificate made at start for the local gRPC server. The official Pub/Sub client only speaks
 * TLS (it pins Salesforce's root CA unless `rejectUnauthorizedSsl: false`), so the emulator must
 * too. EC P-256 keeps generation in the milliseconds; the SANs cover the loopback names a client
 * may dial.
 */
export async function createSelfSignedCredentials(host: string): Promise<SelfSignedCertificate> {
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'pubsub.emulator.local' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 365 * 24 * 60 * 60 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: 'pubsub.emulator.local' },
          { type: 7, ip: '127.0.0.1' },
          ...(host !== '127.0.0.1' && /^[\d.]+$/.test(host) ? [{ type: 7 as const, ip: host }] : [])
        ]
      }
    ]
  });
  const credentials = ServerCredentials.createSsl(
    null,
    [{ private_key: Buffer.from(pems.private), cert_chain: Buffer.from(pems.cert) }],
    false
  );
  return { certPem: pems.cert, keyPem: pems.private, credentials };
}
