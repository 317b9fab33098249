/**
 * The storage of the property media benchmark, in a process of its own: the embedded storage
 * (s3rver behind our SigV4 check) on a fresh folder, as a remote S3 would be, so that its CPU
 * (receiving, checking signatures, writing files) is not on the event loop of the side being
 * measured. Both the plain SDK upload and the migration reach it over loopback. Prints
 * `{"endpoint", "accessKeyId", "secretAccessKey"}` once it listens; on SIGTERM it stops and
 * removes its folder.
 *
 *   node --import tsx bench/workers/media-storage.ts <bucket>
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedStorage } from '../../services/src/property-media/embedded-storage.ts';

const bucket = process.argv[2];
if (!bucket) {
  console.error('usage: media-storage.ts <bucket>');
  process.exit(2);
}

const directory = await mkdtemp(path.join(tmpdir(), 'bench-media-storage-'));
const storage = await startEmbeddedStorage({
  directory,
  bucket,
  secretAccessKey: 'bench-secret',
  port: 0,
  host: '127.0.0.1',
  corsOrigins: ['*']
});

process.stdout.write(`${JSON.stringify({ endpoint: storage.endpoint, ...storage.credentials })}\n`);
process.on('SIGTERM', () => {
  void storage
    .close()
    .then(() => rm(directory, { recursive: true, force: true }))
    .then(() => process.exit(0));
});
