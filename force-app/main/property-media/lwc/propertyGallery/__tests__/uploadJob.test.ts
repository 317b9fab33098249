import { readFileSync } from 'fs';
import { join } from 'path';
import {
  ALREADY_AVAILABLE,
  LINK_EXPIRED,
  NETWORK_FAILED,
  UPLOAD_UNDER_WAY,
  NOT_ACCEPTED,
  READ_FAILED,
  runUpload,
  type UploadProgress,
  type UploadServices
} from '../uploadJob';
import type { PutResult } from '../storagePut';
import {
  NEW_IMAGE_ID,
  PROPERTY_ID,
  apexError,
  confirmed,
  ticket
} from './data/propertyGalleryController';

const SHA = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const NOW = Date.parse('2026-12-07T10:00:00.000Z');

function services(overrides: Partial<UploadServices> = {}): jest.Mocked<UploadServices> {
  return {
    hash: jest.fn().mockResolvedValue(SHA),
    requestUpload: jest.fn().mockResolvedValue(ticket()),
    retryUpload: jest
      .fn()
      .mockResolvedValue(ticket({ uploadUrl: 'https://media.example.com/retry' })),
    confirmUpload: jest.fn().mockResolvedValue(confirmed()),
    put: jest.fn().mockImplementation((_t, _f, onProgress: (p: number) => void) => {
      onProgress(50);
      return Promise.resolve({ status: 200 } as PutResult);
    }),
    messageOf: jest.fn(() => 'Apex said no'),
    now: jest.fn(() => NOW),
    ...overrides
  } as jest.Mocked<UploadServices>;
}

const FILE = new File(['abc'], 'garden.jpg', { type: 'image/jpeg' });
const FRESH: UploadProgress = { status: 'queued', progress: 0, message: '' };

/** Runs one upload and returns every state it went through, merged as the component merges them. */
async function run(s: UploadServices, from: UploadProgress = FRESH): Promise<UploadProgress[]> {
  const states: UploadProgress[] = [];
  let state = { ...from };
  await runUpload(PROPERTY_ID, FILE, from, s, (patch) => {
    state = { ...state, ...patch };
    states.push(state);
  });
  return states;
}

describe('runUpload', () => {
  it('hashes, asks for a ticket, PUTs, confirms: each step reported in order', async () => {
    const s = services();
    const states = await run(s);
    expect(states.map((x) => x.status)).toEqual([
      'hashing',
      'hashing',
      'requesting',
      'uploading',
      'uploading',
      'verifying',
      'done'
    ]);
    expect(s.requestUpload).toHaveBeenCalledWith({
      propertyId: PROPERTY_ID,
      fileName: 'garden.jpg',
      contentType: 'image/jpeg',
      sizeBytes: 3,
      sha256: SHA
    });
    expect(s.put.mock.calls[0]![0]).toEqual(ticket());
    expect(s.confirmUpload).toHaveBeenCalledWith({ imageId: NEW_IMAGE_ID });
    const last = states[states.length - 1]!;
    expect(last).toMatchObject({
      status: 'done',
      imageId: NEW_IMAGE_ID,
      sha256: SHA,
      progress: 100
    });
    expect(last.image).toEqual(confirmed());
  });

  it('a retry reuses the hash and the image record: retryUpload, not requestUpload', async () => {
    const s = services();
    const states = await run(s, {
      status: 'queued',
      progress: 0,
      message: '',
      imageId: NEW_IMAGE_ID,
      sha256: SHA
    });
    expect(s.hash).not.toHaveBeenCalled();
    expect(s.requestUpload).not.toHaveBeenCalled();
    expect(s.retryUpload).toHaveBeenCalledWith({ imageId: NEW_IMAGE_ID });
    expect(s.put.mock.calls[0]![0].uploadUrl).toBe('https://media.example.com/retry');
    expect(states[states.length - 1]!.status).toBe('done');
  });

  it('a retry refused ALREADY_AVAILABLE (an earlier confirm answer was lost) confirms and is done', async () => {
    const s = services({
      retryUpload: jest.fn().mockRejectedValue(apexError(ALREADY_AVAILABLE)),
      messageOf: jest.fn(() => ALREADY_AVAILABLE)
    });
    const states = await run(s, {
      status: 'failed',
      progress: 0,
      message: 'The upload could not be verified: timeout',
      imageId: NEW_IMAGE_ID,
      sha256: SHA
    });
    expect(s.put).not.toHaveBeenCalled();
    expect(s.confirmUpload).toHaveBeenCalledWith({ imageId: NEW_IMAGE_ID });
    const last = states[states.length - 1]!;
    expect(last.status).toBe('done');
    expect(last.message).toBe('');
    expect(last.image).toEqual(confirmed());
  });

  it('another retry refusal still fails with its message, without a confirm', async () => {
    const s = services({
      retryUpload: jest.fn().mockRejectedValue(apexError('Apex said no')),
      messageOf: jest.fn(() => 'Apex said no')
    });
    const states = await run(s, {
      status: 'failed',
      progress: 0,
      message: '',
      imageId: NEW_IMAGE_ID,
      sha256: SHA
    });
    expect(s.confirmUpload).not.toHaveBeenCalled();
    expect(states[states.length - 1]).toMatchObject({
      status: 'failed',
      message: 'The upload could not be started: Apex said no'
    });
  });

  it('ALREADY_AVAILABLE is the text of the Apex constant', () => {
    const apex = readFileSync(
      join(__dirname, '../../../classes/PropertyGalleryController.cls'),
      'utf8'
    );
    expect(apex).toContain(`ALREADY_AVAILABLE = '${ALREADY_AVAILABLE}';`);
  });

  it('fails with a message when the file cannot be read', async () => {
    const s = services({ hash: jest.fn().mockRejectedValue(new Error('NotReadable')) });
    const states = await run(s);
    expect(states[states.length - 1]).toMatchObject({ status: 'failed', message: READ_FAILED });
    expect(s.requestUpload).not.toHaveBeenCalled();
  });

  it('fails with the Apex message when no ticket is given', async () => {
    const s = services({ requestUpload: jest.fn().mockRejectedValue(apexError('x')) });
    const states = await run(s);
    expect(states[states.length - 1]).toMatchObject({
      status: 'failed',
      message: 'The upload could not be started: Apex said no'
    });
    expect(s.put).not.toHaveBeenCalled();
  });

  it.each([
    [{ status: 403 }, ticket({ expiresAt: '2026-12-07T09:59:59.000Z' }), LINK_EXPIRED],
    [
      { status: 403 },
      ticket({ expiresAt: '2026-12-07T10:10:00.000Z' }),
      'Storage refused the file (HTTP 403).'
    ],
    [{ status: 500 }, ticket(), 'Storage refused the file (HTTP 500).'],
    [{ status: 409 }, ticket(), UPLOAD_UNDER_WAY],
    [{ status: 0, networkError: true }, ticket(), NETWORK_FAILED]
  ])('a PUT answered %j fails without confirming', async (result, t, message) => {
    const s = services({
      requestUpload: jest.fn().mockResolvedValue(t),
      put: jest.fn().mockResolvedValue(result)
    });
    const states = await run(s);
    expect(states[states.length - 1]).toMatchObject({
      status: 'failed',
      message,
      imageId: NEW_IMAGE_ID
    });
    expect(s.confirmUpload).not.toHaveBeenCalled();
  });

  it('a PUT answered 412 (the file is already stored, e.g. an earlier answer was lost) goes on to confirm', async () => {
    const s = services({ put: jest.fn().mockResolvedValue({ status: 412 }) });
    const states = await run(s);
    expect(s.confirmUpload).toHaveBeenCalledWith({ imageId: NEW_IMAGE_ID });
    expect(states.map((x) => x.status).slice(-2)).toEqual(['verifying', 'done']);
    expect(states[states.length - 1]!.image).toEqual(confirmed());
  });

  it('a 412 for a different stored file ends as confirm decides: Failed with its reason', async () => {
    const mismatch = confirmed({
      status: 'Failed',
      failureReason: 'The stored file does not match.',
      url: null
    });
    const s = services({
      put: jest.fn().mockResolvedValue({ status: 412 }),
      confirmUpload: jest.fn().mockResolvedValue(mismatch)
    });
    expect((await run(s)).pop()).toMatchObject({
      status: 'failed',
      message: 'The stored file does not match.'
    });
  });

  it('fails with the service reason when confirm says Failed', async () => {
    const refused = confirmed({ status: 'Failed', failureReason: 'Checksum mismatch.', url: null });
    const s = services({ confirmUpload: jest.fn().mockResolvedValue(refused) });
    const states = await run(s);
    expect(states[states.length - 1]).toMatchObject({
      status: 'failed',
      message: 'Checksum mismatch.'
    });
    const noReason = services({
      confirmUpload: jest.fn().mockResolvedValue({ ...refused, failureReason: null })
    });
    expect((await run(noReason)).pop()).toMatchObject({ status: 'failed', message: NOT_ACCEPTED });
  });

  it('fails with the Apex message when confirm throws', async () => {
    const s = services({ confirmUpload: jest.fn().mockRejectedValue(apexError('x')) });
    expect((await run(s)).pop()).toMatchObject({
      status: 'failed',
      message: 'The upload could not be verified: Apex said no'
    });
  });
});
