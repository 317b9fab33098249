import { putToStorage } from '../storagePut';
import { FakeXhr, installFakeXhr } from './data/fakeXhr';
import { ticket } from './data/propertyGalleryController';

beforeEach(installFakeXhr);

function lastXhr(): FakeXhr {
  return FakeXhr.instances[FakeXhr.instances.length - 1]!;
}

describe('putToStorage', () => {
  it('sends the file with the ticket method, URL and exactly its headers', async () => {
    const file = new File(['abc'], 'garden.jpg', { type: 'image/jpeg' });
    const t = ticket();
    const done = putToStorage(t, file, () => undefined);
    const xhr = lastXhr();
    expect(xhr.method).toBe('PUT');
    expect(xhr.url).toBe(t.uploadUrl);
    expect(xhr.headers).toEqual(t.headers);
    expect(xhr.headers['If-None-Match']).toBe('*');
    expect(xhr.body).toBe(file);
    xhr.respond(200);
    await expect(done).resolves.toEqual({ status: 200 });
  });

  it('reports whole percents of the bytes sent, ignoring events without a length', () => {
    const progress: number[] = [];
    putToStorage(ticket(), new Blob(['x']), (p) => progress.push(p));
    const xhr = lastXhr();
    xhr.progress(1, 3);
    xhr.progress(5, 10, false);
    xhr.progress(2, 3);
    xhr.progress(3, 3);
    expect(progress).toEqual([33, 66, 100]);
  });

  it('resolves with the status storage refused with', async () => {
    const done = putToStorage(ticket(), new Blob(['x']), () => undefined);
    lastXhr().respond(403);
    await expect(done).resolves.toEqual({ status: 403 });
  });

  it('resolves a 412 (the key already holds a file) as its status, for the caller to confirm', async () => {
    const done = putToStorage(ticket(), new Blob(['x']), () => undefined);
    lastXhr().respond(412);
    await expect(done).resolves.toEqual({ status: 412 });
  });

  it('resolves a network failure as status 0', async () => {
    const done = putToStorage(ticket(), new Blob(['x']), () => undefined);
    lastXhr().failNetwork();
    await expect(done).resolves.toEqual({ status: 0, networkError: true });
  });

  it('uses PUT when the ticket names no method', () => {
    putToStorage(ticket({ method: '' }), new Blob(['x']), () => undefined);
    expect(lastXhr().method).toBe('PUT');
  });
});
