// Storage keys: where an image and its thumbnail live in the bucket. Keys are made on the server
// side only (Apex for uploads, the migration tool for imports), never taken from a browser, and
// every endpoint checks a key against this scheme before it signs or touches anything, so a
// caller cannot reach an object outside `properties/` or another property's prefix by a crafted
// key (`..`, `%2F`, a thumbnail key as an image key).
//
//   properties/<Listing_Number__c>/<uuid>            the original, as uploaded
//   thumbnails/properties/<Listing_Number__c>/<uuid>.webp
//
// Per property, so one listing's images can be listed, copied or expired by prefix; the listing
// number rather than the record Id because the migration knows listings, not Salesforce Ids.
// No hashed prefix: S3 scales request rates per prefix automatically (3,500 writes/s each), and
// every listing is its own prefix.
import { createHash, randomUUID } from 'node:crypto';

/** The patterns as the contract states them (Apex and the migration check the same). */
export const LISTING_NUMBER_PATTERN = '^[A-Za-z0-9_-]{1,40}$';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const STORAGE_KEY_PATTERN = `^properties/[A-Za-z0-9_-]{1,40}/${UUID}$`;
export const LISTING_NUMBER = new RegExp(LISTING_NUMBER_PATTERN);
export const STORAGE_KEY = new RegExp(STORAGE_KEY_PATTERN);
const THUMBNAIL_KEY = new RegExp(`^thumbnails/properties/[A-Za-z0-9_-]{1,40}/${UUID}\\.webp$`);

export function isStorageKey(value: string): boolean {
  return STORAGE_KEY.test(value);
}

export function isThumbnailKey(value: string): boolean {
  return THUMBNAIL_KEY.test(value);
}

export function isListingNumber(value: string): boolean {
  return LISTING_NUMBER.test(value);
}

function checkedListing(listingNumber: string): string {
  if (!isListingNumber(listingNumber))
    throw new Error(
      `Listing number '${listingNumber.slice(0, 60)}' cannot be part of a storage key: use 1-40 letters, digits, '-' or '_'.`
    );
  return listingNumber;
}

/** A new image's key (a random UUID, as Apex makes them). */
export function newImageKey(listingNumber: string): string {
  return `properties/${checkedListing(listingNumber)}/${randomUUID()}`;
}

/**
 * The key of an imported image, derived from its listing and source: importing the same manifest
 * line again lands on the same object and the same record (upsert on Storage_Key__c), never on a
 * second copy. Shaped as a version-4-style UUID so both kinds of key match one pattern.
 */
export function derivedImageKey(listingNumber: string, source: string): string {
  const hex = createHash('sha256')
    .update(`${checkedListing(listingNumber)}\n${source}`, 'utf8')
    .digest('hex');
  const variant = ((parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return `properties/${listingNumber}/${uuid}`;
}

/** The thumbnail of an image key. */
export function thumbnailKeyOf(storageKey: string): string {
  if (!isStorageKey(storageKey)) throw new Error('Not an image storage key.');
  return `thumbnails/${storageKey}.webp`;
}
