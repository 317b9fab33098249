import type { PutResult, PutTicket } from './storagePut';

/** Where one chosen file is on its way into the gallery. */
export type UploadStatus =
  'queued' | 'hashing' | 'requesting' | 'uploading' | 'verifying' | 'done' | 'failed' | 'invalid';

/** What the gallery remembers of one upload between attempts. */
export interface UploadProgress {
  status: UploadStatus;
  /** Percent of the bytes sent to storage, 0-100. */
  progress: number;
  /** Why it failed or was refused; empty otherwise. */
  message: string;
  /** The Property_Image__c record, once requestUpload has made it: a retry reuses it. */
  imageId?: string;
  /** The file's hex SHA-256, once computed: a retry does not read the file again. */
  sha256?: string;
  /** The confirmed image. */
  image?: Apex.GalleryImage;
}

/** Everything an upload talks to; the component passes the real ones, tests their doubles. */
export interface UploadServices {
  hash(file: File): Promise<string>;
  requestUpload(params: {
    propertyId: string;
    fileName: string;
    contentType: string;
    sizeBytes: number;
    sha256: string;
  }): Promise<Apex.UploadTicket>;
  retryUpload(params: { imageId: string }): Promise<Apex.UploadTicket>;
  confirmUpload(params: { imageId: string }): Promise<Apex.GalleryImage>;
  put(ticket: PutTicket, file: File, onProgress: (percent: number) => void): Promise<PutResult>;
  /** The user-facing message of a failed Apex call. */
  messageOf(error: unknown): string;
  now(): number;
}

export const READ_FAILED = 'The file could not be read. Choose it again.';
export const LINK_EXPIRED =
  'The upload link expired before the file was sent. Retry to get a new link.';
export const NETWORK_FAILED = 'The file could not be sent to storage (network error).';
export const UPLOAD_UNDER_WAY =
  'Another upload of this image is still under way. Retry in a moment.';
export const NOT_ACCEPTED = 'The image was not accepted.';

/**
 * retryUpload's refusal of an image that is already Available: the same text as Apex's
 * PropertyGalleryController.ALREADY_AVAILABLE (a jest test compares the two).
 */
export const ALREADY_AVAILABLE = 'This image is already uploaded.';

/** Storage's answer to a conditional PUT whose key already holds a file. */
export const ALREADY_STORED = 412;
/** Storage's answer to a conditional PUT while another one to the same key is under way. */
const CONDITIONAL_CONFLICT = 409;

/** Did storage refuse the PUT because the presigned URL had expired? */
function expired(result: PutResult, ticket: Apex.UploadTicket, now: number): boolean {
  const at = Date.parse(ticket.expiresAt ?? '');
  return result.status === 403 && !Number.isNaN(at) && now >= at;
}

/**
 * Takes one file through hash, ticket, PUT to storage and confirm, reporting each step through
 * `update`. A first attempt asks requestUpload for the ticket (which creates the image record);
 * an attempt after a failure asks retryUpload for a new presigned URL for the same record, so a
 * retry neither duplicates the record nor reuses a URL that may have expired. Never rejects:
 * every failure ends as status 'failed' with a message for the user.
 */
export async function runUpload(
  propertyId: string,
  file: File,
  from: UploadProgress,
  services: UploadServices,
  update: (patch: Partial<UploadProgress>) => void
): Promise<void> {
  let sha256 = from.sha256;
  if (!sha256) {
    update({ status: 'hashing', progress: 0, message: '' });
    try {
      sha256 = await services.hash(file);
    } catch {
      update({ status: 'failed', message: READ_FAILED });
      return;
    }
    update({ sha256 });
  }

  update({ status: 'requesting', progress: 0, message: '' });
  let ticket: Apex.UploadTicket;
  try {
    ticket = from.imageId
      ? await services.retryUpload({ imageId: from.imageId })
      : await services.requestUpload({
          propertyId,
          fileName: file.name,
          contentType: file.type,
          sizeBytes: file.size,
          sha256
        });
  } catch (error) {
    const message = services.messageOf(error);
    if (from.imageId && message === ALREADY_AVAILABLE) {
      // An earlier attempt's confirm succeeded but its answer was lost: the image is Available
      // on the server. Confirm returns it unchanged, so the upload ends done, not failed.
      await finish(from.imageId, services, update);
      return;
    }
    update({ status: 'failed', message: `The upload could not be started: ${message}` });
    return;
  }
  const imageId = ticket.imageId;
  update({ imageId, status: 'uploading', progress: 0 });

  const result = await services.put(ticket, file, (progress) => update({ progress }));
  // 412: the PUT is conditional (If-None-Match: *) and the key already holds a file, e.g. this
  // very file from an earlier attempt whose answer was lost. Confirm decides: the media service
  // checks the stored file against the record's size and SHA-256, so a different file fails.
  if (!(result.status >= 200 && result.status < 300) && result.status !== ALREADY_STORED) {
    let message: string;
    if ('networkError' in result) message = NETWORK_FAILED;
    else if (expired(result, ticket, services.now())) message = LINK_EXPIRED;
    else if (result.status === CONDITIONAL_CONFLICT) message = UPLOAD_UNDER_WAY;
    else message = `Storage refused the file (HTTP ${result.status}).`;
    update({ status: 'failed', message });
    return;
  }

  await finish(imageId, services, update);
}

/** Confirms an image and reports the verdict: done when Available, failed otherwise. */
async function finish(
  imageId: string,
  services: UploadServices,
  update: (patch: Partial<UploadProgress>) => void
): Promise<void> {
  update({ status: 'verifying', progress: 100 });
  let image: Apex.GalleryImage;
  try {
    image = await services.confirmUpload({ imageId });
  } catch (error) {
    update({
      status: 'failed',
      message: `The upload could not be verified: ${services.messageOf(error)}`
    });
    return;
  }
  if (image.status === 'Available') {
    update({ status: 'done', image, message: '' });
  } else {
    update({ status: 'failed', image, message: image.failureReason || NOT_ACCEPTED });
  }
}
