// What a manifest may point at, and what it may say: local sources are regular files only (no
// symbolic links, devices or FIFOs), URL redirects are not followed, a stray quote does not end
// the manifest, captions that a spreadsheet would run are refused, and an import admits no image
// the upload path would refuse (decompression bombs).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { readLocalSourceIfSized } from '../../src/property-media/migration/local-file.ts';
import { openSource, SourceRefused } from '../../src/property-media/migration/image-source.ts';
import { readManifest, type ManifestEntry } from '../../src/property-media/migration/manifest.ts';
import { thumbnailPipeline } from '../../src/property-media/thumbnail.ts';

describe('migration inputs', () => {
  let dir: string;
  let server: Server;
  let origin: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'media-inputs-'));
    await writeFile(path.join(dir, 'real.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    await symlink(path.join(dir, 'real.jpg'), path.join(dir, 'link.jpg'));
    await symlink('/dev/zero', path.join(dir, 'zero.jpg'));
    execFileSync('mkfifo', [path.join(dir, 'pipe.jpg')]);
    server = createServer((request, response) => {
      if (request.url === '/moved') {
        response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '3' });
      response.end(Buffer.from([0xff, 0xd8, 0xff]));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens a regular file, and refuses links, devices and FIFOs without reading them', async () => {
    assert.equal((await openSource(dir, 'real.jpg')).size, 7);
    for (const source of ['link.jpg', 'zero.jpg', 'pipe.jpg', 'missing.jpg', '.']) {
      await assert.rejects(openSource(dir, source), SourceRefused, source);
    }
    // The thumbnail phase's local read: only a regular file of the uploaded size.
    assert.equal((await readLocalSourceIfSized(path.join(dir, 'real.jpg'), 7))?.length, 7);
    assert.equal(await readLocalSourceIfSized(path.join(dir, 'real.jpg'), 8), undefined);
    assert.equal(await readLocalSourceIfSized(path.join(dir, 'zero.jpg'), 7), undefined);
    assert.equal(await readLocalSourceIfSized(path.join(dir, 'pipe.jpg'), 7), undefined);
  });

  it('does not follow a URL redirect (it could lead to an internal host)', async () => {
    await assert.rejects(openSource(dir, `${origin}/moved`), (error: Error) => {
      assert.ok(error instanceof SourceRefused);
      assert.match(error.message, /302 redirect \(not followed/);
      return true;
    });
    assert.equal((await openSource(dir, `${origin}/image.jpg`)).size, 3);
  });

  it('reads a stray quote as text and refuses formula-like captions line by line', async () => {
    const manifest = path.join(dir, 'manifest.csv');
    await writeFile(
      manifest,
      [
        'listing_number,source,sort_order,caption',
        'L-1,real.jpg,1,He said "hi" at the door',
        'L-1,a.jpg,2,=HYPERLINK("http://evil.example")',
        'L-1,b.jpg,3,+cmd',
        'L-1,c.jpg,4,- Kitchen',
        'L-1,d.jpg,5,-2+3'
      ].join('\n')
    );
    const entries: ManifestEntry[] = [];
    for await (const entry of readManifest(manifest)) entries.push(entry);
    assert.equal(entries.length, 5);
    const captions = entries.map((entry) => ('row' in entry ? entry.row.caption : 'refused'));
    assert.deepEqual(captions, [
      'He said "hi" at the door',
      'refused',
      'refused',
      '- Kitchen',
      'refused'
    ]);
  });

  it('refuses a decompression bomb as the upload path does (over 50 megapixels)', async () => {
    const bomb = await sharp({
      create: { width: 10_000, height: 6_000, channels: 3, background: '#fff' }
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    assert.ok(bomb.length < 2_000_000, 'small file, huge image');
    await assert.rejects(thumbnailPipeline(bomb).toBuffer(), /pixel limit/i);
  });
});
