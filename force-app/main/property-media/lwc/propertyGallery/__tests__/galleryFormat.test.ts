import {
  MIN_REFRESH_MS,
  REFRESH_MARGIN_MS,
  altText,
  formatBytes,
  refreshDelay,
  statusText
} from '../galleryFormat';

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1023, '1023 bytes'],
    [1024, '1 KB'],
    [1536, '1.5 KB'],
    [20971520, '20 MB'],
    [20971521, '20 MB'],
    [5 * 1024 ** 3, '5 GB']
  ])('%i -> %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('altText', () => {
  it('is the caption when there is one, else the file name', () => {
    expect(altText({ caption: 'Front garden', fileName: 'a.jpg' })).toBe('Front garden');
    expect(altText({ caption: null, fileName: 'a.jpg' })).toBe('a.jpg');
    expect(altText({ caption: '   ', fileName: 'a.jpg' })).toBe('a.jpg');
  });
});

describe('statusText', () => {
  it('names failures with their reason, unfinished uploads, and nothing for Available', () => {
    expect(statusText({ status: 'Failed', failureReason: 'Not an image.' })).toBe(
      'Failed: Not an image.'
    );
    expect(statusText({ status: 'Failed', failureReason: null })).toBe('Failed');
    expect(statusText({ status: 'Uploading' })).toBe('Upload not finished');
    expect(statusText({ status: 'Available' })).toBe('');
  });
});

describe('refreshDelay', () => {
  const now = Date.parse('2026-12-07T10:00:00.000Z');

  it('refreshes the margin before the URLs expire', () => {
    expect(refreshDelay('2026-12-07T10:05:00.000Z', now)).toBe(300_000 - REFRESH_MARGIN_MS);
  });

  it('never sooner than the minimum, even for URLs already expired', () => {
    expect(refreshDelay('2026-12-07T10:00:10.000Z', now)).toBe(MIN_REFRESH_MS);
    expect(refreshDelay('2026-12-07T09:00:00.000Z', now)).toBe(MIN_REFRESH_MS);
  });

  it('does not refresh when nothing expires', () => {
    expect(refreshDelay(null, now)).toBeUndefined();
    expect(refreshDelay('not a date', now)).toBeUndefined();
  });
});
