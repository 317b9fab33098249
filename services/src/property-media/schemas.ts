// Schemas of the media API (PropertyMediaContract.json): what Apex may send (validated by the
// route schemas, 400 otherwise) and what it gets back (their serializers and the OpenAPI
// document). Keys are checked against the key scheme before anything is signed or touched, and a
// thumbnail key must be the thumbnail of its own image: nothing else in the bucket can be signed.
import { z } from 'zod';
import { isStorageKey, thumbnailKeyOf } from './keys.ts';
import { CONTENT_TYPES, MAX_BYTES, MAX_KEYS_PER_REQUEST } from './limits.ts';

const KEY_MESSAGE = "must be a storage key 'properties/<listing number>/<uuid>'";

export const storageKey = z
  .string({ error: KEY_MESSAGE })
  .refine(isStorageKey, { error: KEY_MESSAGE })
  .meta({ description: 'properties/<Listing_Number__c>/<uuid>, made by Apex or the migration.' });

export const contentType = z.enum(CONTENT_TYPES, {
  error: `must be one of ${CONTENT_TYPES.join(', ')}`
});

export const sha256Hex = z
  .string({ error: 'must be the SHA-256 of the file as 64 lowercase hex digits' })
  .regex(/^[0-9a-f]{64}$/, { error: 'must be the SHA-256 of the file as 64 lowercase hex digits' });

/** The size limit is the configured one (at most the contract's), so the schema is made per app. */
export function uploadBody(maxBytes: number = MAX_BYTES) {
  return z.object({
    storageKey,
    contentType,
    size: z
      .number({ error: 'must be the file size in bytes' })
      .int({ error: 'must be a whole number of bytes' })
      .min(1, { error: 'must be at least 1 byte' })
      .max(maxBytes, { error: `must be at most ${maxBytes} bytes` }),
    sha256: sha256Hex
  });
}
export type UploadBody = z.output<ReturnType<typeof uploadBody>>;

export const uploadTicket = z
  .object({
    storageKey: z.string(),
    method: z.literal('PUT'),
    uploadUrl: z.string().meta({
      description:
        'Presigned PUT, valid until expiresAt, bound to this key, Content-Type, Content-Length and SHA-256.'
    }),
    headers: z
      .object({
        'Content-Type': z.string(),
        'If-None-Match': z.literal('*'),
        'x-amz-checksum-sha256': z.string()
      })
      .meta({ description: 'Send exactly these headers with the PUT (they are signed).' }),
    expiresAt: z.string()
  })
  .meta({ id: 'UploadTicket' });

export const confirmation = z
  .object({
    storageKey: z.string(),
    status: z.enum(['Available', 'Failed']),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    thumbnailKey: z.string().nullable(),
    reason: z.string().nullable().meta({ description: 'Why it failed (null when Available).' })
  })
  .meta({ id: 'UploadConfirmation' });
export type Confirmation = z.output<typeof confirmation>;

export const viewBody = z
  .object({
    images: z
      .array(
        z.object({
          storageKey,
          thumbnailKey: z.string().nullable()
        })
      )
      .min(1, { error: 'must list at least one image' })
      .max(MAX_KEYS_PER_REQUEST, { error: `must list at most ${MAX_KEYS_PER_REQUEST} images` })
  })
  .superRefine((body, ctx) => {
    body.images.forEach((image, index) => {
      if (
        image.thumbnailKey !== null &&
        isStorageKey(image.storageKey) &&
        image.thumbnailKey !== thumbnailKeyOf(image.storageKey)
      )
        ctx.addIssue({
          code: 'custom',
          path: ['images', index, 'thumbnailKey'],
          message: "must be null or the image's own thumbnail key"
        });
    });
  });

export const views = z
  .object({
    expiresAt: z.string(),
    images: z.array(
      z.object({
        storageKey: z.string(),
        url: z.string(),
        thumbnailUrl: z.string().nullable()
      })
    )
  })
  .meta({ id: 'ImageViews' });

export const deletionBody = z.object({
  storageKeys: z
    .array(storageKey)
    .min(1, { error: 'must list at least one key' })
    .max(MAX_KEYS_PER_REQUEST, { error: `must list at most ${MAX_KEYS_PER_REQUEST} keys` })
});

export const deletions = z
  .object({
    deleted: z.array(z.string()).meta({
      description: 'The keys asked for: their originals and thumbnails are gone (or never existed).'
    })
  })
  .meta({ id: 'ImageDeletions' });
