/**
 * The photo part, read as it streams: its SHA-256 and size are computed on the way and its
 * first bytes checked against the declared type (JPEG `FF D8 FF`, PNG's 8-byte signature), so a
 * renamed PDF sent as image/jpeg is refused like a wrong Content-Type (415). More than the cap
 * (10 MB) is 413 the moment it is exceeded. Only the metadata is kept, never the image.
 */
import { createHash, type Hash } from 'node:crypto';
import { BackCheckError } from './errors.ts';

/** Where a part's bytes go as they arrive; a sink throws (too large, wrong type) to stop the parse. */
export interface PartSink {
  write(chunk: Buffer): void;
  end(): void;
}

export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;

export type PhotoType = 'image/jpeg' | 'image/png';

const SIGNATURES: Readonly<Record<PhotoType, Buffer>> = {
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff]),
  'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
};

export interface PhotoMetadata {
  contentType: PhotoType;
  bytes: number;
  sha256: string;
}

const unsupported = (message: string) => new BackCheckError(415, 'unsupported_media_type', message);

export function isPhotoType(type: string): type is PhotoType {
  return type in SIGNATURES;
}

/** The sink for a photo part declared as `contentType`; `done` gets the metadata at its end. */
export function photoSink(
  contentType: string,
  done: (photo: PhotoMetadata) => void,
  maxBytes = MAX_PHOTO_BYTES
): PartSink {
  if (!isPhotoType(contentType)) {
    throw unsupported('The photo must be image/jpeg or image/png');
  }
  const signature = SIGNATURES[contentType];
  const hash: Hash = createHash('sha256');
  let head = Buffer.alloc(0);
  let bytes = 0;
  const checkHead = () => {
    if (!head.subarray(0, signature.length).equals(signature)) {
      throw unsupported(`The photo's content is not ${contentType}`);
    }
  };
  return {
    write(chunk) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        throw new BackCheckError(
          413,
          'payload_too_large',
          `The photo is larger than ${maxBytes} bytes`
        );
      }
      if (head.length < signature.length) {
        head = Buffer.concat([head, chunk.subarray(0, signature.length - head.length)]);
        if (head.length >= signature.length) checkHead();
      }
      hash.update(chunk);
    },
    end() {
      checkHead();
      done({ contentType, bytes, sha256: hash.digest('hex') });
    }
  };
}
