// The browser half of an upload, in a real browser: Debian's Chromium loads the gallery LWC's
// compiled upload modules (sha256.js, storagePut.js; they import nothing, so they load as plain ES
// modules without LWC) on a page whose origin is not the storage's, so every PUT goes through a
// real CORS preflight against the embedded storage's CORS rule, which lists only that page's
// origin. The test plays Apex: it asks the media service for tickets with the bearer token and
// confirms through it. What storage answered is read off Chromium's own network log (DevTools
// protocol), since CORS may hide it from the page. Skipped only when /usr/bin/chromium is absent
// (.ci/run installs it). Leaves a screenshot of the page in /tmp for a human look.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { projectRoot } from '../../../toolkit/src/project.ts';
import { thumbnailKeyOf } from '../../src/property-media/keys.ts';
import { BUCKET, sha256Of, startMediaHarness, type MediaHarness } from './harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM)
  ? false
  : `Debian's Chromium is not installed at ${CHROMIUM} (apt-get install chromium); CI installs it`;

const LWC_DIR = path.join(projectRoot(), 'force-app/main/property-media/lwc/propertyGallery');
/** The gallery's own browser modules, as deployed (compiled from their .ts). */
const MODULES = ['sha256.js', 'storagePut.js'];

const key = (n: number) =>
  `properties/LST-BROWSER/${n.toString(16).padStart(8, '0')}-4b1e-4c2d-9e3f-0a1b2c3d4e5f`;

interface Ticket {
  uploadUrl: string;
  method: string;
  headers: Record<string, string>;
  expiresAt: string;
}

type PutResult = { status: number; networkError?: true };

// What the page exposes to the test, as `window.media` (see PAGE).
interface PageApi {
  loadFile(): Promise<{ sha256: string; size: number; type: string }>;
  put(ticket: Ticket, label: string): Promise<{ result: PutResult; progress: number[] }>;
  showThumbnail(url: string): Promise<{ naturalWidth: number; naturalHeight: number }>;
}
/** The page's global object (the window), as the test's evaluated functions see it. */
type PageGlobal = { media: PageApi };

// The page: imports the real modules, fetches the image from its own origin into a File (as a
// drop or file input gives the LWC), and lists every attempt so the screenshot shows them.
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Property gallery upload check</title>
<style>body{font:14px sans-serif;margin:16px} li{margin:2px 0} img{border:1px solid #999}</style>
</head><body>
<h1>Property gallery: upload straight to storage</h1>
<ul id="log"></ul>
<figure><img id="thumbnail" alt="Uploaded image's thumbnail"><figcaption id="caption"></figcaption></figure>
<script type="module">
import { sha256Hex } from './lwc/sha256.js';
import { putToStorage } from './lwc/storagePut.js';
let file;
function log(text) {
  const item = document.createElement('li');
  item.textContent = text;
  document.getElementById('log').append(item);
}
window.media = {
  async loadFile() {
    const response = await fetch('./house.jpg');
    file = new File([await response.blob()], 'house.jpg', { type: 'image/jpeg' });
    const sha256 = await sha256Hex(file);
    log('house.jpg: ' + file.size + ' bytes, SHA-256 ' + sha256.slice(0, 16) + '...');
    return { sha256, size: file.size, type: file.type };
  },
  async put(ticket, label) {
    const progress = [];
    const result = await putToStorage(ticket, file, (percent) => progress.push(percent));
    log(label + ': ' + JSON.stringify(result) + ', progress ' + progress.join(' '));
    return { result, progress };
  },
  showThumbnail(url) {
    const img = document.getElementById('thumbnail');
    return new Promise((resolve, reject) => {
      img.onload = () => {
        document.getElementById('caption').textContent =
          'Thumbnail ' + img.naturalWidth + ' x ' + img.naturalHeight + ' from storage';
        resolve({ naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight });
      };
      img.onerror = () => reject(new Error('the thumbnail did not load'));
      img.src = url;
    });
  }
};
</script></body></html>`;

/** A photo-like JPEG: a gradient with noise, so it does not compress to nothing (~750 KB). */
async function makePhoto(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 42;
  for (let i = 0; i < pixels.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const pixel = Math.floor(i / 3);
    const gradient = i % 3 === 0 ? (pixel % width) / width : Math.floor(pixel / width) / height;
    pixels[i] = Math.max(0, Math.min(255, gradient * 200 + (seed % 56)));
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/** Serves the page, the two LWC modules and the image; nothing else. */
async function startPageServer(image: Buffer): Promise<{ origin: string; server: Server }> {
  const modules = new Map<string, string>();
  for (const name of MODULES)
    modules.set(`/lwc/${name}`, await readFile(path.join(LWC_DIR, name), 'utf8'));
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://page');
    const module = modules.get(url.pathname);
    if (url.pathname === '/') response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    else if (module) response.writeHead(200, { 'content-type': 'text/javascript' }).end(module);
    else if (url.pathname === '/house.jpg')
      response.writeHead(200, { 'content-type': 'image/jpeg' }).end(image);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** What Chromium itself saw of one request (DevTools protocol), whatever the page was told. */
interface WireRecord {
  method: string;
  url: string;
  /** The status storage answered, also when CORS keeps it from the page. */
  status?: number;
  /** Why Chromium failed the request for the page (CORS), if it did. */
  blocked?: string;
}

interface Wire {
  /** Requests to a storage URL, preflights included, in the order sent. */
  to(url: string): WireRecord[];
  /** Sends at `bytesPerSecond` from now on (-1: unthrottled). */
  throttleUploads(bytesPerSecond: number): Promise<void>;
}

/** Records every request a page makes through the DevTools protocol, preflights included. */
async function watchWire(page: Page): Promise<Wire> {
  const records = new Map<string, WireRecord>();
  const cdp = await page.context().newCDPSession(page);
  cdp.on('Network.requestWillBeSent', (event) => {
    records.set(event.requestId, { method: event.request.method, url: event.request.url });
  });
  // The raw answer, sent even when CORS hides the response from the page.
  cdp.on('Network.responseReceivedExtraInfo', (event) => {
    const record = records.get(event.requestId);
    if (record) record.status = event.statusCode;
  });
  cdp.on('Network.loadingFailed', (event) => {
    const record = records.get(event.requestId);
    if (record) record.blocked = event.corsErrorStatus?.corsError ?? event.errorText;
  });
  await cdp.send('Network.enable');
  return {
    to: (url) => [...records.values()].filter((record) => record.url === url),
    async throttleUploads(bytesPerSecond) {
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: bytesPerSecond
      });
    }
  };
}

/** A page of the given origin with the modules loaded and the image read into a File. */
async function openPage(browser: Browser, origin: string): Promise<{ page: Page; wire: Wire }> {
  const page = await browser.newPage();
  const wire = await watchWire(page);
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => 'media' in globalThis);
  return { page, wire };
}

const loadFile = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as PageGlobal).media.loadFile());

const putFrom = (page: Page, ticket: Ticket, label: string) =>
  page.evaluate(([t, l]) => (globalThis as unknown as PageGlobal).media.put(t, l), [
    ticket,
    label
  ] as const);

/** The preflight and the PUT Chromium sent for a ticket, by method. */
function exchange(wire: Wire, ticket: Ticket) {
  const records = wire.to(ticket.uploadUrl);
  return {
    preflight: records.find((record) => record.method === 'OPTIONS'),
    put: records.find((record) => record.method === 'PUT')
  };
}

describe('browser upload straight to storage (Chromium)', { skip }, () => {
  let image: Buffer;
  let declared: { contentType: string; size: number; sha256: string };
  let allowed: { origin: string; server: Server };
  let foreign: { origin: string; server: Server };
  let h: MediaHarness;
  let short: MediaHarness;
  let expiredTicket: Ticket;
  let browser: Browser;
  let page: Page;
  let wire: Wire;
  /** What the page was told of each refused PUT (asserted by the to-do test below). */
  const refusedResults: Array<{ label: string; result: PutResult }> = [];

  async function ticketFrom(harness: MediaHarness, storageKey: string, body = declared) {
    const answer = await harness.call('/media/uploads', { storageKey, ...body });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body as unknown as Ticket;
  }

  async function stored(storageKey: string): Promise<boolean> {
    try {
      await h.storage.send(new HeadObjectCommand({ Bucket: BUCKET, Key: storageKey }));
      return true;
    } catch {
      return false;
    }
  }

  before(async () => {
    image = await makePhoto(1600, 1000);
    declared = { contentType: 'image/jpeg', size: image.length, sha256: sha256Of(image) };
    [allowed, foreign] = await Promise.all([startPageServer(image), startPageServer(image)]);
    // Only the page's origin may upload: the other page server's origin is refused by CORS.
    const cors = { corsOrigins: [allowed.origin] };
    [h, short, browser] = await Promise.all([
      startMediaHarness({}, cors),
      // Its tickets expire after one second: the expired-ticket case.
      startMediaHarness({ MEDIA_UPLOAD_URL_SECONDS: '1' }, cors),
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync'
        ]
      })
    ]);
    // Asked for now, sent last: by then it has expired.
    expiredTicket = await ticketFrom(short, key(2));
    ({ page, wire } = await openPage(browser, allowed.origin));
  });
  after(async () => {
    await browser?.close();
    await Promise.all([h?.close(), short?.close()]);
    allowed?.server.close();
    foreign?.server.close();
  });

  it('hashes with Web Crypto, PUTs through a preflight with progress, confirms, shows the thumbnail', async () => {
    const file = await loadFile(page);
    assert.deepEqual(file, { sha256: declared.sha256, size: image.length, type: 'image/jpeg' });

    const storageKey = key(1);
    const ticket = await ticketFrom(h, storageKey, {
      contentType: file.type,
      size: file.size,
      sha256: file.sha256
    });
    await wire.throttleUploads(4 * 1024 * 1024);
    const { result, progress } = await putFrom(page, ticket, 'upload');
    await wire.throttleUploads(-1);
    assert.deepEqual(result, { status: 200 });
    assert.ok(progress.length >= 2, `progress was reported as the bytes went: ${progress.join()}`);
    assert.equal(progress.at(-1), 100);
    assert.deepEqual(
      progress,
      [...progress].sort((a, b) => a - b),
      'progress only grows'
    );
    const sent = exchange(wire, ticket);
    assert.equal(sent.preflight?.status, 200, 'the PUT went through a CORS preflight');
    assert.equal(sent.put?.status, 200);

    const confirmed = await h.call('/media/uploads/confirm', { storageKey, ...declared });
    assert.deepEqual(confirmed.body, {
      storageKey,
      status: 'Available',
      width: 1600,
      height: 1000,
      thumbnailKey: thumbnailKeyOf(storageKey),
      reason: null
    });
    const viewed = await h.call('/media/views', {
      images: [{ storageKey, thumbnailKey: thumbnailKeyOf(storageKey) }]
    });
    const [view] = viewed.body.images as Array<{ thumbnailUrl: string }>;
    const shown = await page.evaluate(
      (url) => (globalThis as unknown as PageGlobal).media.showThumbnail(url),
      view!.thumbnailUrl
    );
    assert.deepEqual(shown, { naturalWidth: 480, naturalHeight: 300 });
  });

  it('storage refuses an expired ticket, a ticket for another size and a header the ticket does not have', async () => {
    const otherSize = await ticketFrom(h, key(3), { ...declared, size: image.length + 1 });
    // A page that sends another Content-Type than the ticket's (the signature covers it).
    const valid = await ticketFrom(h, key(4));
    const otherHeader = { ...valid, headers: { ...valid.headers, 'Content-Type': 'image/png' } };
    const wait = Date.parse(expiredTicket.expiresAt) + 100 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));

    for (const [label, ticket, storageKey] of [
      ['expired ticket', expiredTicket, key(2)],
      ['ticket for another size', otherSize, key(3)],
      ['Content-Type not the signed one', otherHeader, key(4)]
    ] as const) {
      const { result } = await putFrom(page, ticket, label);
      refusedResults.push({ label, result });
      assert.notEqual(result.status, 200, label);
      const sent = exchange(wire, ticket);
      // The preflight passes (S3 answers it from the CORS rules alone); storage refuses the PUT.
      assert.ok(
        sent.preflight?.status === 200 && sent.put?.status === 403,
        `${label}: ${JSON.stringify(sent)}`
      );
      assert.equal(await stored(storageKey), false, `${label}: nothing stored`);
    }
    assert.equal(await stored(key(2)), false);
  });

  it('the page reads the 403 through storagePut (so the gallery can say the link expired)', () => {
    assert.deepEqual(
      refusedResults.map(({ label, result }) => ({ label, status: result.status })),
      refusedResults.map(({ label }) => ({ label, status: 403 }))
    );
  });

  it('a ticket for another type is taken by storage (its own type is signed) and fails confirmation', async () => {
    const storageKey = key(5);
    const asPng = { ...declared, contentType: 'image/png' };
    const ticket = await ticketFrom(h, storageKey, asPng);
    const { result } = await putFrom(page, ticket, 'ticket for image/png');
    assert.deepEqual(result, { status: 200 });
    const verdict = await h.call('/media/uploads/confirm', { storageKey, ...asPng });
    assert.equal(verdict.body.status, 'Failed');
    assert.match(String(verdict.body.reason), /jpeg/);
    assert.equal(await stored(storageKey), false, 'the failed upload was deleted');
  });

  it('an origin outside the CORS list is stopped at the preflight', async () => {
    const other = await openPage(browser, foreign.origin);
    await loadFile(other.page);
    const storageKey = key(6);
    const ticket = await ticketFrom(h, storageKey);
    const { result } = await putFrom(other.page, ticket, 'foreign origin');
    assert.deepEqual(result, { status: 0, networkError: true });
    const sent = exchange(other.wire, ticket);
    assert.ok(sent.preflight, 'a preflight was sent');
    assert.notEqual(sent.preflight.status, 200);
    assert.ok(!sent.put || sent.put.status === undefined, 'the PUT itself never reached storage');
    assert.equal(await stored(storageKey), false);
    await other.page.close();

    await page.screenshot({ path: '/tmp/property-media-browser-upload.png', fullPage: true });
  });
});
