import { sha256Hex } from '../sha256';
import { installWebCrypto, nodeSha256Hex } from './data/webCrypto';

beforeAll(installWebCrypto);

describe('sha256Hex', () => {
  it('is the lowercase hex digest of the file (FIPS 180-2 vectors)', async () => {
    await expect(sha256Hex(new Blob(['abc']))).resolves.toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    );
    await expect(sha256Hex(new Blob([]))).resolves.toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    );
  });

  it('hashes binary content byte for byte', async () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    await expect(sha256Hex(new File([bytes], 'x.png', { type: 'image/png' }))).resolves.toBe(
      await nodeSha256Hex(bytes)
    );
  });

  it('uses Blob.arrayBuffer where the engine has it', async () => {
    const blob = new Blob(['ignored']);
    const abc = Uint8Array.from([0x61, 0x62, 0x63]).buffer;
    const arrayBuffer = jest.fn(() => Promise.resolve(abc));
    Object.defineProperty(blob, 'arrayBuffer', { value: arrayBuffer });
    await expect(sha256Hex(blob)).resolves.toMatch(/^ba7816bf/);
    expect(arrayBuffer).toHaveBeenCalled();
  });

  it('rejects when the file cannot be read', async () => {
    const blob = new Blob(['x']);
    Object.defineProperty(blob, 'arrayBuffer', {
      value: () => Promise.reject(new Error('NotReadableError'))
    });
    await expect(sha256Hex(blob)).rejects.toThrow('NotReadableError');
  });
});
