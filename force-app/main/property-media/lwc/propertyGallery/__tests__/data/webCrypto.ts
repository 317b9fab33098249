import { webcrypto } from 'node:crypto';

/**
 * Gives jsdom (which has no SubtleCrypto) node's Web Crypto, the same API and digests a browser
 * has. Node checks `instanceof` against its own realm's ArrayBuffer, and jsdom's FileReader and
 * jest's test context hand out buffers of other realms, so the bytes are copied into a Node
 * Buffer on the way in; the hashing itself is node's.
 */
export function installWebCrypto(): void {
  const subtle = {
    digest: (algorithm: string, data: ArrayBuffer | ArrayBufferView) => {
      const view = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data);
      return webcrypto.subtle.digest(algorithm, Buffer.from(view));
    }
  };
  Object.defineProperty(globalThis, 'crypto', {
    value: { subtle, getRandomValues: webcrypto.getRandomValues.bind(webcrypto) },
    configurable: true
  });
}

/** Node's own hex SHA-256, the reference the browser-side hash is compared with. */
export async function nodeSha256Hex(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', Buffer.from(bytes))).toString('hex');
}
