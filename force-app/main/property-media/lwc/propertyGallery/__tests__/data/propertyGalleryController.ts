/*
 * What PropertyGalleryController returns, as the LWC receives it (Aura JSON), typed by
 * force-app/types/apex.d.ts (which the gate's apex-types check holds to the Apex). Every jest
 * mock of the controller takes its value from here.
 */

export const PROPERTY_ID = 'a0P000000000001AAA';

/** Presigned GETs as the media service signs them (host from the contract's placeholder). */
function viewUrl(key: string): string {
  return `https://media.example.com/property-images/${key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-Signature=0000`;
}

function available(n: number, overrides: Partial<Apex.GalleryImage> = {}): Apex.GalleryImage {
  const key = `properties/LST-000042/3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6${n}`;
  return {
    id: `a0Q00000000000${n}AAA`,
    fileName: `house-${n}.jpg`,
    contentType: 'image/jpeg',
    sizeBytes: 1048576 * n,
    sortOrder: n,
    caption: null,
    width: 4000,
    height: 3000,
    status: 'Available',
    failureReason: null,
    url: viewUrl(key),
    thumbnailUrl: viewUrl(`thumbnails/${key}.webp`),
    ...overrides
  };
}

export const FRONT = available(1, { caption: 'Front garden in spring' });
export const KITCHEN = available(2);
/** An image without a thumbnail (the service could not make one): the grid shows the original. */
export const NO_THUMBNAIL = available(3, {
  fileName: 'plan.png',
  contentType: 'image/png',
  thumbnailUrl: null
});
/** An upload the media service refused on confirm. */
export const FAILED = available(4, {
  fileName: 'broken.jpg',
  status: 'Failed',
  failureReason: 'The file is not a readable image.',
  url: null,
  thumbnailUrl: null,
  width: null,
  height: null
});

export const EXPIRES_AT = '2026-12-07T10:05:00.000Z';

export const GALLERY: Apex.Gallery = {
  images: [FRONT, KITCHEN, NO_THUMBNAIL],
  expiresAt: EXPIRES_AT,
  canEdit: true,
  notice: null
};

export const READ_ONLY: Apex.Gallery = { ...GALLERY, canEdit: false };

export const EMPTY: Apex.Gallery = { images: [], expiresAt: null, canEdit: true, notice: null };

export const NEW_IMAGE_ID = 'a0Q000000000009AAA';

/** requestUpload / retryUpload: the presigned PUT of the contract's upload response. */
export function ticket(overrides: Partial<Apex.UploadTicket> = {}): Apex.UploadTicket {
  return {
    imageId: NEW_IMAGE_ID,
    uploadUrl:
      'https://media.example.com/property-images/properties/LST-000042/7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=600&X-Amz-Signature=0000',
    method: 'PUT',
    headers: {
      'Content-Type': 'image/jpeg',
      'If-None-Match': '*',
      'x-amz-checksum-sha256': 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='
    },
    expiresAt: '2026-12-07T10:10:00.000Z',
    ...overrides
  };
}

/** confirmUpload's answer for the new image. */
export function confirmed(overrides: Partial<Apex.GalleryImage> = {}): Apex.GalleryImage {
  return available(9, { id: NEW_IMAGE_ID, fileName: 'garden.jpg', sortOrder: 4, ...overrides });
}

/** How an AuraHandledException of PropertyGalleryController reaches the LWC. */
export function apexError(message: string): Apex.Error {
  return { body: { message }, status: 500, statusText: 'Server Error' };
}
