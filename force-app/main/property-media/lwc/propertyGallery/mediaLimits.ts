/*
 * The upload limits of the media API, as the browser enforces them before asking Apex for an
 * upload ticket. They mirror `limits` of the PropertyMediaContract static resource (a jest test
 * holds them equal): checking here only spares the user a round trip, Apex and the media service
 * check again and are the ones that decide.
 */

/** The content types the media service stores (PropertyMediaContract limits.contentTypes). */
export const CONTENT_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/webp'];

/** The largest file the media service accepts, in bytes (limits.maxBytes: 20 MiB). */
export const MAX_BYTES = 20971520;

/** Longest caption Property_Image__c.Caption__c holds. */
export const MAX_CAPTION_LENGTH = 255;

/** How many files go through hashing and upload at the same time. */
export const UPLOAD_CONCURRENCY = 3;
