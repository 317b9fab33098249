// openStorage with the embedded default: a per-checkout random secret (no committed default), and
// a second process of the same checkout uses the storage the first one serves.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { checkoutSecret, openStorage } from '../../src/property-media/open-storage.ts';
import type { EmbeddedStorageConfig } from '../../src/property-media/config.ts';

describe('openStorage (embedded)', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'media-open-'));
  });
  after(async () => rm(directory, { recursive: true, force: true }));

  it('makes one random owner-only secret per checkout and keeps it', async () => {
    const first = await checkoutSecret(directory);
    assert.match(first, /^[0-9a-f]{64}$/);
    assert.equal(await checkoutSecret(directory), first);
    assert.equal((await stat(path.join(directory, 'secret'))).mode & 0o777, 0o600);
    const other = await mkdtemp(path.join(tmpdir(), 'media-open-other-'));
    assert.notEqual(await checkoutSecret(other), first);
    await rm(other, { recursive: true, force: true });
  });

  it('a second process finds the port taken and uses the running storage', async () => {
    // A free port for both "processes" (the first binds it, the second finds it taken).
    const probe = await openStorage(config(0));
    const port = Number(new URL(probe.endpoint ?? '').port);
    await probe.close();
    const lab = await openStorage(config(port));
    const migration = await openStorage(config(port));
    try {
      await migration.client.send(
        new PutObjectCommand({ Bucket: 'property-images', Key: 'properties/A/x', Body: 'hi' })
      );
      const head = await lab.client.send(
        new HeadObjectCommand({ Bucket: 'property-images', Key: 'properties/A/x' })
      );
      assert.equal(head.ContentLength, 2);
      assert.equal(migration.endpoint, lab.endpoint);
    } finally {
      await migration.close();
      await lab.close();
    }
    assert.ok((await readFile(path.join(directory, 'secret'), 'utf8')).length === 64);
  });

  const config = (port: number): EmbeddedStorageConfig => ({
    kind: 'embedded',
    directory,
    port,
    corsOrigins: ['https://*.lightning.force.com'],
    bucket: 'property-images',
    region: 'us-east-1'
  });
});
