// `npm run media:migrate`: the command as an operator runs it, in a process of its own. SIGKILLed
// while uploading, then again while recording, then run to the end: every image is in the bucket
// exactly once (with one thumbnail) and has exactly one Property_Image__c record. SIGKILLed in the
// thumbnail phase: the next run makes only the missing thumbnails and sets every
// Thumbnail_Key__c. Usage mistakes
// and an unreadable manifest are refused before any work.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  MEDIA_CLIENT_ID,
  MEDIA_CLIENT_SECRET
} from '../../simulators/salesforce/src/emulator.ts';
import { UsageError } from '../../toolkit/src/cli/args.ts';
import { derivedImageKey, thumbnailKeyOf } from '../../services/src/property-media/keys.ts';
import {
  generateImages,
  type GeneratedSet
} from '../../services/src/property-media/migration/generate.ts';
import {
  BUCKET,
  startMigrationLab,
  type MigrationLab
} from '../../services/test/property-media/migration-harness.ts';
import { createTestDatabase, type TestDatabase } from '../../services/test/helpers/database.ts';
import { EXIT, mediaMigrateCommand } from '../src/media-migrate.ts';

const CLI = fileURLToPath(new URL('../src/media-migrate-cli.ts', import.meta.url));

function collector() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    }
  });
  return { stream, text: () => text };
}

describe('npm run media:migrate', () => {
  let lab: MigrationLab;
  let dir: string;
  let set: GeneratedSet;

  before(async () => {
    lab = await startMigrationLab();
    dir = await mkdtemp(path.join(tmpdir(), 'media-migrate-cli-'));
    set = await generateImages({ dir, count: 40, bytes: 60_000, listings: 4, seed: 'cli-kill' });
    await lab.properties(set.listings);
  });
  after(async () => {
    await lab?.close();
    await rm(dir, { recursive: true, force: true });
  });

  // As an operator configures it for a real org and S3-compatible storage.
  const env = () => ({
    PATH: process.env.PATH,
    DATABASE_URL: lab.db.url,
    SF_INSTANCE_URL: lab.org.emulator.instanceUrl,
    SF_CLIENT_ID: DEFAULT_CLIENT_ID,
    SF_CLIENT_SECRET: DEFAULT_CLIENT_SECRET,
    MEDIA_SF_CLIENT_ID: MEDIA_CLIENT_ID,
    MEDIA_SF_CLIENT_SECRET: MEDIA_CLIENT_SECRET,
    MEDIA_STORAGE: 's3',
    MEDIA_S3_ENDPOINT: lab.storage.endpoint,
    MEDIA_S3_FORCE_PATH_STYLE: 'true',
    MEDIA_S3_BUCKET: BUCKET,
    MEDIA_S3_ACCESS_KEY_ID: lab.storage.credentials.accessKeyId,
    MEDIA_S3_SECRET_ACCESS_KEY: lab.storage.credentials.secretAccessKey,
    LOG_LEVEL: 'error'
  });

  const count = async (state: string) =>
    (
      await lab.db.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM media.migration_images WHERE state = $1',
        [state]
      )
    ).rows[0]!.n;

  async function killWhen(
    child: ChildProcess,
    ready: () => Promise<boolean>,
    what: string
  ): Promise<void> {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    for (let i = 0; i < 600; i++) {
      if (await ready()) {
        child.kill('SIGKILL');
        await exited;
        return;
      }
      if (child.exitCode !== null) assert.fail(`the run ended (${child.exitCode}) before ${what}`);
      await sleep(25);
    }
    child.kill('SIGKILL');
    assert.fail(`never reached: ${what}`);
  }

  test('SIGKILLed while uploading and while recording, then rerun: every image once in storage, one record each', async () => {
    const first = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, set.manifest, '--concurrency', '2'],
      {
        env: env(),
        stdio: 'ignore'
      }
    );
    await killWhen(first, async () => (await count('uploaded')) >= 8, 'eight images uploaded');
    const uploadedAtKill = await count('uploaded');
    assert.ok(uploadedAtKill < 40, 'killed midway');
    assert.equal(await count('recorded'), 0);

    const second = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, set.manifest, '--concurrency', '4'],
      {
        env: env(),
        stdio: 'ignore'
      }
    );
    // Every image uploaded: the run is now on its ingest job (or about to submit it).
    await killWhen(second, async () => (await count('uploaded')) === 40, 'all images uploaded');

    const out = collector();
    const code = await mediaMigrateCommand([set.manifest, '--json'], {
      env: env(),
      stdout: out.stream,
      stderr: out.stream
    });
    assert.equal(code, EXIT.ok, out.text());
    const report = JSON.parse(out.text().trim().split('\n').at(-1)!) as {
      uploaded: number;
      alreadyDone: number;
      outcome: string;
    };
    assert.equal(report.outcome, 'completed');
    assert.equal(report.uploaded, 0, 'the third run had nothing left to upload');
    assert.equal(report.alreadyDone, 40);

    const objects = await lab.objects();
    assert.equal(objects.size, 80, 'exactly one original and one thumbnail per image');
    for (const file of set.files) {
      const key = derivedImageKey(file.listingNumber, file.source);
      assert.equal(objects.get(key), file.sha256);
      assert.ok(objects.has(thumbnailKeyOf(key)));
    }
    const records = await lab.records();
    assert.equal(records.length, 40, 'one record per image');
    assert.equal(new Set(records.map((r) => r.Storage_Key__c)).size, 40);
    assert.equal(await count('recorded'), 40);
  });

  test('SIGKILLed in the thumbnail phase, then rerun: only the missing thumbnails are made, one per image, and every record gets its Thumbnail_Key__c', async () => {
    await lab.reset();
    await lab.properties(set.listings);
    const thumbnailCount = async (state: string) =>
      (
        await lab.db.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM media.migration_images WHERE thumbnail_state = $1',
          [state]
        )
      ).rows[0]!.n;
    const transfer = collector();
    assert.equal(
      await mediaMigrateCommand([set.manifest, '--json', '--no-thumbnails'], {
        env: env(),
        stdout: transfer.stream,
        stderr: transfer.stream
      }),
      EXIT.ok,
      transfer.text()
    );
    assert.equal(await count('recorded'), 40);
    assert.equal(await thumbnailCount('pending'), 40);

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, set.manifest, '--thumbnail-concurrency', '1'],
      { env: env(), stdio: 'ignore' }
    );
    await killWhen(child, async () => (await thumbnailCount('stored')) >= 5, 'five thumbnails');
    const storedAtKill = await thumbnailCount('stored');
    assert.ok(storedAtKill < 40, 'killed midway');

    const out = collector();
    const code = await mediaMigrateCommand([set.manifest, '--json'], {
      env: env(),
      stdout: out.stream,
      stderr: out.stream
    });
    assert.equal(code, EXIT.ok, out.text());
    const report = JSON.parse(out.text().trim().split('\n').at(-1)!) as {
      uploaded: number;
      thumbnailsMade: number;
      thumbnailsRecorded: number;
    };
    assert.equal(report.uploaded, 0);
    assert.equal(report.thumbnailsMade, 40 - storedAtKill, 'only the missing thumbnails');
    assert.equal(report.thumbnailsRecorded, 40);
    assert.equal(await thumbnailCount('recorded'), 40);

    const objects = await lab.objects();
    assert.equal(objects.size, 80, 'exactly one original and one thumbnail per image');
    const records = await lab.records();
    assert.equal(records.length, 40);
    for (const record of records)
      assert.equal(record.Thumbnail_Key__c, thumbnailKeyOf(String(record.Storage_Key__c)));
  });

  test('usage mistakes and an unreadable manifest are refused before any work', async () => {
    await assert.rejects(mediaMigrateCommand([], { env: env() }), UsageError);
    await assert.rejects(mediaMigrateCommand(['a.csv', 'b.csv'], { env: env() }), UsageError);
    await assert.rejects(
      mediaMigrateCommand([set.manifest, '--concurrency', '0'], { env: env() }),
      /--concurrency must be from 1 to 256/
    );
    await assert.rejects(
      mediaMigrateCommand([set.manifest, '--thumbnail-concurrency', '0'], { env: env() }),
      /--thumbnail-concurrency must be from 1 to 256/
    );
    await assert.rejects(
      mediaMigrateCommand([set.manifest, '--no-thumbnails', '--thumbnails-only'], { env: env() }),
      UsageError
    );
    const out = collector();
    const missing = await mediaMigrateCommand([path.join(dir, 'nope.csv')], {
      env: env(),
      stdout: out.stream,
      stderr: out.stream
    });
    assert.equal(missing, EXIT.refused);
    assert.match(out.text(), /nope\.csv: no such file/);
  });
});

describe('npm run media:migrate without SF_INSTANCE_URL (the demo)', () => {
  let db: TestDatabase;
  let dir: string;
  let set: GeneratedSet;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(path.join(tmpdir(), 'media-migrate-demo-'));
    set = await generateImages({
      dir: path.join(dir, 'images'),
      count: 6,
      bytes: 40_000,
      listings: 2,
      seed: 'demo'
    });
  });
  after(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a later run finds the records the earlier runs made in the stand-in org', async () => {
    const orgFile = path.join(dir, 'demo-org.json');
    const run = async (...flags: string[]) => {
      const out = collector();
      const code = await mediaMigrateCommand(
        [set.manifest, '--json', '--demo-org', orgFile, ...flags],
        {
          env: {
            PATH: process.env.PATH,
            DATABASE_URL: db.url,
            MEDIA_EMBEDDED_DIR: path.join(dir, 'storage'),
            LOG_LEVEL: 'error'
          },
          stdout: out.stream,
          stderr: out.stream
        }
      );
      return { code, text: out.text() };
    };
    const transfer = await run('--no-thumbnails');
    assert.equal(transfer.code, EXIT.ok, transfer.text);
    // A second process: its stand-in org is a new emulator, which must hold the records.
    const thumbnails = await run('--thumbnails-only');
    assert.equal(thumbnails.code, EXIT.ok, thumbnails.text);

    const saved = JSON.parse(await readFile(orgFile, 'utf8')) as {
      records: Record<string, Array<Record<string, unknown>>>;
    };
    const images = saved.records.Property_Image__c ?? [];
    assert.equal(images.length, 6, 'one record per image');
    for (const image of images)
      assert.equal(image.Thumbnail_Key__c, thumbnailKeyOf(String(image.Storage_Key__c)));
    assert.equal(
      saved.records.Property__c?.length,
      2,
      'one demo property per listing, not one a run'
    );
  });
});
