// The media API's limits, the same numbers as the contract's `limits` (the static resource
// PropertyMediaContract.json that the Apex tests read too; a test keeps them equal).

/** Image types a browser or the migration may store: what sharp reads and every browser shows. */
export const CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type ImageContentType = (typeof CONTENT_TYPES)[number];

/** Largest image accepted (20 MiB): twice the 10 MB the listings are sized for. */
export const MAX_BYTES = 20 * 1024 * 1024;

/** A presigned PUT is valid this long; S3 checks it when the upload starts, not when it ends. */
export const UPLOAD_URL_SECONDS = 600;

/** A presigned GET is valid this long: a gallery refreshes its URLs before they expire. */
export const VIEW_URL_SECONDS = 300;

/** Keys per views/deletions request: one Apex callout covers a gallery page of 200. */
export const MAX_KEYS_PER_REQUEST = 200;

/** Thumbnail width in pixels (WebP, aspect kept, never enlarged). */
export const THUMBNAIL_WIDTH = 480;

export function isImageContentType(value: string): value is ImageContentType {
  return (CONTENT_TYPES as readonly string[]).includes(value);
}
