// PropertyMediaContract.json (the static resource Apex's callout mocks answer with) against the
// real service: its limits are the service's, each of its requests is accepted at its path, and
// every answer has exactly the contract's fields and JSON types.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CONTENT_TYPES,
  MAX_BYTES,
  MAX_KEYS_PER_REQUEST,
  THUMBNAIL_WIDTH,
  UPLOAD_URL_SECONDS,
  VIEW_URL_SECONDS
} from '../../src/property-media/limits.ts';
import {
  LISTING_NUMBER_PATTERN,
  STORAGE_KEY_PATTERN,
  thumbnailKeyOf
} from '../../src/property-media/keys.ts';
import {
  API_TOKEN,
  loadContract,
  makeImage,
  sha256Of,
  startMediaHarness,
  type MediaContract,
  type MediaHarness
} from './harness.ts';

/** The JSON types of a value, recursively (arrays by their first element). */
function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, shape(v)])
    );
  return typeof value;
}

describe('PropertyMediaContract.json', () => {
  let contract: MediaContract;
  let h: MediaHarness;
  before(async () => {
    contract = await loadContract();
    h = await startMediaHarness();
  });
  after(async () => h.close());

  it('states the service limits and key scheme', () => {
    assert.deepEqual(contract.limits, {
      contentTypes: [...CONTENT_TYPES],
      maxBytes: MAX_BYTES,
      uploadUrlSeconds: UPLOAD_URL_SECONDS,
      viewUrlSeconds: VIEW_URL_SECONDS,
      maxKeysPerRequest: MAX_KEYS_PER_REQUEST,
      thumbnailWidth: THUMBNAIL_WIDTH,
      storageKeyPattern: STORAGE_KEY_PATTERN,
      listingNumberPattern: LISTING_NUMBER_PATTERN
    });
  });

  it('its requests are accepted and its answers are the service answers, field for field', async () => {
    // The contract's upload of a real image (its own example sha256 is of another file).
    const image = await makeImage('jpeg', 320, 240);
    const storageKey = String(contract.uploadRequest.body.storageKey);
    const body = { ...contract.uploadRequest.body, size: image.length, sha256: sha256Of(image) };
    const upload = await h.call(contract.uploadRequest.path, body);
    assert.equal(upload.status, contract.responses.upload!.httpStatus);
    assert.deepEqual(shape(upload.body), shape(contract.responses.upload!.body));
    const ticket = upload.body as { uploadUrl: string; headers: Record<string, string> };
    assert.equal(
      ticket.headers['x-amz-checksum-sha256'],
      Buffer.from(sha256Of(image), 'hex').toString('base64')
    );
    await fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.headers, body: image });

    const confirmed = await h.call(contract.confirmRequest.path, body);
    assert.deepEqual(shape(confirmed.body), shape(contract.responses.confirmAvailable!.body));
    assert.equal(confirmed.body.thumbnailKey, thumbnailKeyOf(storageKey));
    const failed = await h.call(contract.confirmRequest.path, {
      ...body,
      storageKey: storageKey.replace(/.$/, 'c')
    });
    assert.equal(failed.body.status, 'Failed');
    assert.deepEqual(shape(failed.body), shape(contract.responses.confirmFailed!.body));

    const viewed = await h.call(contract.viewRequest.path, contract.viewRequest.body);
    assert.equal(viewed.status, contract.responses.view!.httpStatus);
    assert.deepEqual(shape(viewed.body), shape(contract.responses.view!.body));
    const images = viewed.body.images as Array<{ thumbnailUrl: string | null }>;
    assert.equal(images[1]!.thumbnailUrl, null, 'no thumbnail key, no thumbnail URL');

    const deleted = await h.call(contract.deleteRequest.path, contract.deleteRequest.body);
    assert.deepEqual(deleted.body, contract.responses.delete!.body);

    const invalid = await h.call(contract.uploadRequest.path, { ...body, size: MAX_BYTES + 1 });
    const { correlationId, ...rest } = invalid.body;
    assert.equal(typeof correlationId, 'string');
    assert.equal(invalid.status, contract.responses.validationFailed!.httpStatus);
    assert.equal(rest.error, contract.responses.validationFailed!.body.error);
    assert.ok(String(rest.message).includes('at most 20971520 bytes'));

    const unauthorized = await h.call(contract.uploadRequest.path, body, null);
    assert.equal(unauthorized.status, contract.responses.unauthorized!.httpStatus);
    assert.equal(unauthorized.body.message, contract.responses.unauthorized!.body.message);
    assert.ok(API_TOKEN.length > 0);
  });
});
