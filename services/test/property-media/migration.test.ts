// The property image migration against real PostgreSQL, the org emulator and the embedded
// storage: objects, thumbnails and exactly one record per image; a re-run does nothing twice;
// records Salesforce refuses come back and are completed; bad lines and refused files are
// reported, not fatal; two runs at once share the work; the kill switch stops it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { derivedImageKey, thumbnailKeyOf } from '../../src/property-media/keys.ts';
import { generateImages, type GeneratedSet } from '../../src/property-media/migration/generate.ts';
import { MigrationSwitchedOffError } from '../../src/property-media/migration/run-migration.ts';
import { startMigrationLab, type MigrationLab } from './migration-harness.ts';

describe('property image migration', () => {
  let lab: MigrationLab;
  let dir: string;
  let set: GeneratedSet;

  before(async () => {
    lab = await startMigrationLab();
    dir = await mkdtemp(path.join(tmpdir(), 'media-manifest-'));
    // 12 images of ~40 KB over 3 listings: enough for concurrency, small enough to be quick.
    set = await generateImages({
      dir,
      count: 12,
      bytes: 40_000,
      listings: 3,
      seed: 'migration-test'
    });
  });
  after(async () => {
    await lab?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await lab.reset();
  });

  const expectedKeys = () =>
    set.files.map((file) => derivedImageKey(file.listingNumber, file.source));

  test('uploads every image with its thumbnail and records each exactly once', async () => {
    await lab.properties(set.listings);
    const report = await lab.run(set.manifest);
    assert.equal(report.outcome, 'completed');
    assert.equal(report.uploaded, 12);
    assert.equal(report.recordsUpserted, 12);
    assert.equal(report.failed, 0);
    assert.equal(report.bytes, set.totalBytes);

    const objects = await lab.objects();
    assert.equal(objects.size, 24, 'one original and one thumbnail per image, nothing else');
    for (const file of set.files) {
      const key = derivedImageKey(file.listingNumber, file.source);
      assert.equal(objects.get(key), file.sha256, `${key} holds the file's bytes`);
      assert.ok(objects.has(thumbnailKeyOf(key)), `${key} has a thumbnail`);
    }
    const thumbnail = await lab.client.send(
      new GetObjectCommand({
        Bucket: 'property-images',
        Key: thumbnailKeyOf(expectedKeys()[0]!)
      })
    );
    const meta = await sharp(Buffer.from(await thumbnail.Body!.transformToByteArray())).metadata();
    assert.equal(meta.format, 'webp');

    const records = await lab.records();
    assert.equal(records.length, 12);
    assert.deepEqual(
      records.map((r) => r.Storage_Key__c).sort(),
      [...expectedKeys()].sort(),
      'exactly one record per key'
    );
    const first = set.files[0]!;
    const record = records.find(
      (r) => r.Storage_Key__c === derivedImageKey(first.listingNumber, first.source)
    )!;
    assert.equal(record.SHA256__c, first.sha256);
    assert.equal(record.Size_Bytes__c, first.bytes);
    assert.equal(record.Content_Type__c, 'image/jpeg');
    assert.equal(record.Status__c, 'Available');
    assert.equal(record.File_Name__c, '001.jpg');
    assert.equal(record.Sort_Order__c, 1);
    assert.equal(record.Caption__c, `Photo 1 of ${first.listingNumber}`);
    assert.ok(Number(record.Width__c) > 0 && Number(record.Height__c) > 0);
    assert.equal(record.Thumbnail_Key__c, thumbnailKeyOf(String(record.Storage_Key__c)));
    assert.equal(
      (record.Property__r as { Listing_Number__c: string }).Listing_Number__c,
      first.listingNumber
    );
  });

  test('a re-run uploads nothing and records nothing again', async () => {
    await lab.properties(set.listings);
    await lab.run(set.manifest);
    const callsBefore = await lab.org.orgApiCalls();
    const again = await lab.run(set.manifest);
    assert.equal(again.uploaded, 0);
    assert.equal(again.alreadyDone, 12);
    assert.equal(again.recordsUpserted, 0);
    assert.equal(again.recordJobs.length, 0);
    assert.equal(again.outcome, 'completed');
    // The kill switch read and the integration log: no Bulk API job.
    assert.equal((await lab.org.orgApiCalls()) - callsBefore, 2);
    assert.equal((await lab.records()).length, 12);
  });

  test('--no-thumbnails transfers and records only; a later run makes the thumbnails and nothing else', async () => {
    await lab.properties(set.listings);
    const transfer = await lab.run(set.manifest, { settings: { thumbnails: false } });
    assert.equal(transfer.outcome, 'completed');
    assert.equal(transfer.uploaded, 12);
    assert.equal(transfer.thumbnailsMade, 0);
    assert.equal(transfer.state.thumbnailsPending, 12);
    assert.equal((await lab.objects()).size, 12, 'originals only');
    for (const record of await lab.records()) {
      assert.equal(record.Status__c, 'Available', 'available before its thumbnail');
      assert.equal(record.Thumbnail_Key__c, null);
    }

    const callsBefore = await lab.org.orgApiCalls();
    const later = await lab.run(set.manifest, { settings: { thumbnailConcurrency: 2 } });
    const calls = (await lab.org.orgApiCalls()) - callsBefore;
    assert.equal(later.outcome, 'completed');
    assert.equal(later.uploaded, 0, 'no original read or sent again');
    assert.equal(later.recordJobs.length, 0);
    assert.equal(later.thumbnailsMade, 12);
    assert.equal(later.thumbnailsRecorded, 12);
    assert.equal(later.thumbnailJobs.length, 1, 'one upsert job for all of them');
    // Kill switch, one ingest job (create, upload, close, poll or two) and the integration log.
    assert.ok(calls <= 8, `${calls} API calls`);
    const objects = await lab.objects();
    assert.equal(objects.size, 24, 'exactly one thumbnail per image');
    const records = await lab.records();
    assert.equal(records.length, 12);
    for (const record of records)
      assert.equal(record.Thumbnail_Key__c, thumbnailKeyOf(String(record.Storage_Key__c)));
    const thumbnail = await lab.client.send(
      new GetObjectCommand({ Bucket: 'property-images', Key: thumbnailKeyOf(expectedKeys()[3]!) })
    );
    const meta = await sharp(Buffer.from(await thumbnail.Body!.transformToByteArray())).metadata();
    assert.equal(meta.format, 'webp');
    const fourth = records.find((r) => r.Storage_Key__c === expectedKeys()[3]);
    assert.equal(
      meta.width,
      Math.min(480, Number(fourth!.Width__c)),
      '480 px wide, never enlarged'
    );

    const again = await lab.run(set.manifest);
    assert.equal(again.thumbnailsMade, 0, 'nothing made twice');
    assert.equal(again.thumbnailJobs.length, 0);
  });

  test('Thumbnail_Key__c goes out a job per recordsPerJob thumbnails, while they are made', async () => {
    await lab.properties(set.listings);
    const report = await lab.run(set.manifest, {
      settings: { recordsPerJob: 5, thumbnailConcurrency: 1 }
    });
    assert.equal(report.outcome, 'completed');
    assert.equal(report.recordJobs.length, 3, '5 + 5 + 2 records');
    assert.equal(report.thumbnailJobs.length, 3, '5 + 5 + 2 thumbnails');
    assert.equal(report.thumbnailsRecorded, 12);
    for (const record of await lab.records())
      assert.equal(record.Thumbnail_Key__c, thumbnailKeyOf(String(record.Storage_Key__c)));
  });

  test('a thumbnail from a changed local file is made from the stored original instead', async () => {
    const own = await mkdtemp(path.join(tmpdir(), 'media-changed-'));
    try {
      const one = await generateImages({
        dir: own,
        count: 1,
        bytes: 30_000,
        listings: 1,
        seed: 'changed-file'
      });
      await lab.properties(one.listings);
      await lab.run(one.manifest, { settings: { thumbnails: false } });
      // The file now holds another picture (same name): the stored original is the truth.
      const other = await sharp({
        create: { width: 200, height: 900, channels: 3, background: '#aa0000' }
      })
        .jpeg()
        .toBuffer();
      await writeFile(path.join(own, one.files[0]!.source), other);
      const report = await lab.run(one.manifest);
      assert.equal(report.thumbnailsMade, 1);
      const key = derivedImageKey(one.files[0]!.listingNumber, one.files[0]!.source);
      const thumbnail = await lab.client.send(
        new GetObjectCommand({ Bucket: 'property-images', Key: thumbnailKeyOf(key) })
      );
      const meta = await sharp(
        Buffer.from(await thumbnail.Body!.transformToByteArray())
      ).metadata();
      const [record] = await lab.records();
      // The stored original's size (these are under 480 px), not the 200 x 900 replacement's.
      assert.equal(meta.width, Number(record!.Width__c));
      assert.equal(meta.height, Number(record!.Height__c));
      assert.notEqual(meta.width, 200);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  test('an original that is readable in its header but not decodable is reported; its record stays without a thumbnail', async () => {
    const own = await mkdtemp(path.join(tmpdir(), 'media-truncated-'));
    try {
      const one = await generateImages({
        dir: own,
        count: 1,
        bytes: 30_000,
        listings: 1,
        seed: 'truncated'
      });
      const file = path.join(own, one.files[0]!.source);
      const bytes = await readFile(file);
      await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await lab.properties(one.listings);
      const report = await lab.run(one.manifest);
      assert.equal(report.uploaded, 1, 'the header is fine: transferred');
      assert.equal(report.recordsUpserted, 1);
      assert.equal(report.thumbnailsMade, 0);
      assert.equal(report.state.thumbnailsFailed, 1);
      assert.equal(report.outcome, 'incomplete');
      assert.match(report.failures[0]!.error, /^thumbnail: not a decodable image/);
      // Available means decodable, as for an upload: the record is set Failed with the reason.
      const [record] = await lab.records();
      assert.equal(record?.Thumbnail_Key__c, null);
      assert.equal(record?.Status__c, 'Failed');
      assert.match(String(record?.Failure_Reason__c), /^The original cannot be decoded/);
      const again = await lab.run(one.manifest);
      assert.equal(again.thumbnailsMade, 0, 'not tried again without --retry-failed');
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  test('records that exist already (a run killed after its job, before noting it) are updated, not duplicated', async () => {
    await lab.properties(set.listings);
    await lab.run(set.manifest);
    const before = await lab.records();
    // As if the run died between the job's completion and markRecorded.
    await lab.db.pool.query("UPDATE media.migration_images SET state = 'uploaded'");
    const again = await lab.run(set.manifest);
    assert.equal(again.outcome, 'completed');
    assert.equal(again.uploaded, 0);
    assert.equal(again.recordsUpserted, 12);
    // The first job refuses the parent column of existing records; the second updates them.
    assert.equal(again.recordJobs.length, 2);
    const after = await lab.records();
    assert.equal(after.length, 12);
    assert.deepEqual(
      after.map((r) => [r.Id, r.Storage_Key__c, r.SHA256__c]).sort(),
      before.map((r) => [r.Id, r.Storage_Key__c, r.SHA256__c]).sort()
    );
  });

  test('records Salesforce refuses (property not there yet) are re-queued and completed later', async () => {
    const [missing, ...present] = set.listings;
    await lab.properties(present);
    const first = await lab.run(set.manifest);
    assert.equal(first.outcome, 'incomplete');
    assert.equal(first.uploaded, 12);
    assert.equal(first.recordsUpserted, 8);
    const refused = first.failures.filter((f) => f.state === 'uploaded');
    assert.equal(refused.length, 4);
    for (const failure of refused)
      assert.match(failure.error, /^INVALID_FIELD:Foreign key external ID: .* not found/);
    const { rows } = await lab.db.pool.query<{ n: number; attempts: number }>(
      "SELECT count(*)::int AS n, max(record_attempts) AS attempts FROM media.migration_images WHERE state = 'uploaded'"
    );
    assert.equal(rows[0]!.n, 4);
    // Three passes in the run, each a job: the refusal was retried before being reported.
    assert.equal(rows[0]!.attempts, 3);

    await lab.properties([missing!]);
    await lab.db.pool.query('UPDATE media.migration_images SET record_attempts = 0');
    const second = await lab.run(set.manifest);
    assert.equal(second.outcome, 'completed');
    assert.equal(second.uploaded, 0, 'nothing uploaded again');
    assert.equal(second.recordsUpserted, 4);
    const records = await lab.records();
    assert.equal(records.length, 12);
    assert.equal(new Set(records.map((r) => r.Storage_Key__c)).size, 12);
  });

  test('bad manifest lines and refused files are reported with their reason; the rest goes ahead', async () => {
    const own = await mkdtemp(path.join(tmpdir(), 'media-bad-'));
    try {
      const good = await generateImages({
        dir: own,
        count: 2,
        bytes: 5_000,
        listings: 1,
        seed: 'bad-lines'
      });
      await writeFile(path.join(own, 'not-an-image.jpg'), 'this is an HTML error page, not a JPEG');
      await writeFile(path.join(own, 'large.jpg'), Buffer.alloc(60_000, 0xff));
      const png = await sharp({
        create: { width: 20, height: 10, channels: 3, background: '#336699' }
      })
        .png()
        .toBuffer();
      await writeFile(path.join(own, 'tiny.png'), png);
      const listing = good.listings[0]!;
      const manifest = path.join(own, 'manifest.csv');
      const lines = readFile(good.manifest, 'utf8');
      await writeFile(
        manifest,
        (await lines) +
          [
            `${listing},not-an-image.jpg,3,`,
            `${listing},large.jpg,4,`,
            `${listing},tiny.png,5,"A caption, with a comma"`,
            `${listing},missing.jpg,6,`,
            'bad listing!,x.jpg,1,',
            `${listing},,1,`,
            `${listing},../outside.jpg,1,`,
            `${listing},ftp://old/x.jpg,1,`,
            `${listing},y.jpg,first,`,
            `${listing},z.jpg,1,a,b`,
            `${listing},tiny.png,7,the same image again`
          ].join('\n') +
          '\n'
      );
      await lab.properties([listing]);
      const report = await lab.run(manifest, { settings: { maxBytes: 50_000 } });
      const issues = report.manifestIssues.map((i) => `${i.line}:${i.column}`);
      assert.deepEqual(issues, [
        '8:listing_number',
        '9:source',
        '10:source',
        '11:source',
        '12:sort_order',
        '13:row',
        '14:source'
      ]);
      assert.match(report.manifestIssues[6]!.message, /repeats line 6/);
      assert.equal(report.uploaded, 3, 'the two generated images and the PNG');
      assert.equal(report.recordsUpserted, 3);
      const reasons = new Map(report.failures.map((f) => [f.source, f]));
      assert.match(reasons.get('not-an-image.jpg')!.error, /not a JPEG, PNG or WebP/);
      assert.match(reasons.get('large.jpg')!.error, /60000 bytes, over the 50000-byte size cap/);
      assert.match(reasons.get('missing.jpg')!.error, /no such file/);
      for (const source of ['not-an-image.jpg', 'large.jpg', 'missing.jpg'])
        assert.equal(reasons.get(source)!.state, 'failed', `${source} is not retried`);
      const again = await lab.run(manifest, { settings: { maxBytes: 50_000 } });
      assert.equal(again.uploaded, 0, 'refused files stay refused on a re-run');
      // The operator restores the missing file: --retry-failed gives the refused ones a new try.
      await writeFile(path.join(own, 'missing.jpg'), png);
      const retried = await lab.run(manifest, {
        settings: { maxBytes: 50_000, retryFailed: true }
      });
      assert.equal(retried.uploaded, 1);
      assert.deepEqual(retried.failures.map((f) => f.source).sort(), [
        'large.jpg',
        'not-an-image.jpg'
      ]);
      const objects = await lab.objects();
      assert.equal(objects.size, 8, 'only the four accepted images and their thumbnails');
      const pngRecord = (await lab.records()).find((r) => r.File_Name__c === 'tiny.png');
      assert.equal(pngRecord?.Content_Type__c, 'image/png');
      assert.equal(pngRecord?.Caption__c, 'A caption, with a comma');
      assert.equal(pngRecord?.Width__c, 20);
      assert.equal(pngRecord?.SHA256__c, createHash('sha256').update(png).digest('hex'));
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });

  test('http(s) sources: read once from the server; a 404 is refused for good, a 503 retried', async () => {
    const image = await readFile(path.join(dir, set.files[0]!.source));
    let served503 = 0;
    const server = createServer((request, response) => {
      if (request.url === '/photo.jpg') {
        response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': image.length });
        response.end(image);
      } else if (request.url === '/busy.jpg') {
        served503 += 1;
        response.writeHead(served503 === 1 ? 503 : 200, { 'content-type': 'image/jpeg' });
        response.end(served503 === 1 ? '' : image);
      } else {
        response.writeHead(404);
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const own = await mkdtemp(path.join(tmpdir(), 'media-http-'));
    try {
      const manifest = path.join(own, 'manifest.csv');
      const listing = set.listings[0]!;
      await writeFile(
        manifest,
        `listing_number,source,sort_order,caption\n${listing},${base}/photo.jpg,1,\n${listing},${base}/gone.jpg,2,\n${listing},${base}/busy.jpg,3,\n`
      );
      await lab.properties([listing]);
      const report = await lab.run(manifest);
      assert.equal(report.uploaded, 2, 'the photo, and the busy one on the second pass');
      assert.equal(served503, 2);
      assert.deepEqual(
        report.failures.map((f) => [f.state, f.error]),
        [['failed', `${base}/gone.jpg: HTTP 404`]]
      );
      const objects = await lab.objects();
      assert.equal(
        objects.get(derivedImageKey(listing, `${base}/photo.jpg`)),
        createHash('sha256').update(image).digest('hex')
      );
      const records = await lab.records();
      assert.deepEqual(records.map((r) => r.File_Name__c).sort(), ['busy.jpg', 'photo.jpg']);
    } finally {
      server.close();
      await rm(own, { recursive: true, force: true });
    }
  });

  test('two runs at once upload each image once between them', async () => {
    await lab.properties(set.listings);
    const [a, b] = await Promise.all([
      lab.run(set.manifest, { settings: { concurrency: 2 } }),
      lab.run(set.manifest, { settings: { concurrency: 2 } })
    ]);
    assert.equal(a.uploaded + b.uploaded, 12);
    assert.equal(a.recordsUpserted + b.recordsUpserted, 12);
    assert.equal((await lab.objects()).size, 24);
    assert.equal((await lab.records()).length, 12);
  });

  test('the kill switch off stops the run before anything is uploaded or recorded', async () => {
    await lab.properties(set.listings);
    lab.killSwitch(false);
    try {
      await assert.rejects(lab.run(set.manifest), MigrationSwitchedOffError);
      assert.equal((await lab.objects()).size, 0);
      assert.equal((await lab.records()).length, 0);
    } finally {
      lab.killSwitch(true);
    }
    const report = await lab.run(set.manifest);
    assert.equal(report.uploaded, 12);
    assert.equal(report.recordsUpserted, 12);
  });

  test('an original above the multipart threshold goes up in parts, its SHA-256 intact', async () => {
    const own = await mkdtemp(path.join(tmpdir(), 'media-multipart-'));
    try {
      const big = await generateImages({
        dir: own,
        count: 1,
        bytes: 6_000_000,
        listings: 1,
        seed: 'multipart'
      });
      await lab.properties(big.listings);
      // What the client sends: the commands and each request's x-amz-checksum-sha256.
      const sent: Array<{ command: string; key: string; checksum: string | undefined }> = [];
      lab.client.middlewareStack.add(
        (next, context) => async (args) => {
          const request = args.request as { headers?: Record<string, string> };
          sent.push({
            command: String(context.commandName),
            key: String((args.input as { Key?: string }).Key),
            checksum: request.headers?.['x-amz-checksum-sha256']
          });
          return next(args);
        },
        { step: 'finalizeRequest', name: 'recordRequests' }
      );
      const report = await lab.run(big.manifest, {
        settings: { multipartBytes: 5 * 1024 * 1024, partBytes: 5 * 1024 * 1024 }
      });
      assert.equal(report.uploaded, 1);
      const key = derivedImageKey(big.files[0]!.listingNumber, big.files[0]!.source);
      const objects = await lab.objects();
      assert.equal(objects.get(key), big.files[0]!.sha256);
      assert.ok(objects.has(thumbnailKeyOf(key)));
      const parts = sent.filter((r) => r.command === 'UploadPartCommand');
      assert.deepEqual(
        sent.filter((r) => r.key === key && r.command !== 'GetObjectCommand').map((r) => r.command),
        [
          'CreateMultipartUploadCommand',
          'UploadPartCommand',
          'UploadPartCommand',
          'CompleteMultipartUploadCommand'
        ]
      );
      for (const part of parts)
        assert.match(part.checksum ?? '', /^[A-Za-z0-9+/]{43}=$/, 'each part carries its SHA-256');
      const [record] = await lab.records();
      assert.equal(record?.SHA256__c, big.files[0]!.sha256);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});
