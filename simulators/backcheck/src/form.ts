/**
 * Reads the body of `POST /v1/checks` as it streams: the `request` part (JSON, at most 64 KB,
 * checked against the contract) and the `photo` part (photo.ts: type by magic bytes, size, hash).
 * Nothing else is accepted. The whole body is capped a little above the photo's cap; once a part
 * is refused the rest of the upload is read and thrown away (so the client gets the answer
 * instead of a reset connection), up to the same cap, after which the connection is cut (both
 * done by the toolkit's readMultipart, over busboy).
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { BackCheckError, validationFailed } from './errors.ts';
import {
  MultipartError,
  MultipartTooLargeError,
  readMultipart
} from '../../../toolkit/src/multipart.ts';
import { MAX_PHOTO_BYTES, photoSink, type PartSink, type PhotoMetadata } from './photo.ts';
import type { CheckRequest } from './store.ts';

export const MAX_REQUEST_PART_BYTES = 64 * 1024;
/** The photo, the request part and the multipart framing. */
export const MAX_BODY_BYTES = MAX_PHOTO_BYTES + 1024 * 1024;

export interface CheckForm {
  request: CheckRequest;
  photo: PhotoMetadata;
}

const tooLarge = (what: string) =>
  new BackCheckError(413, 'payload_too_large', `${what} is too large`);

function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00.000Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

const name = z.string('must be a string').trim().min(1, 'is required').max(80, 'is too long');

const checkRequest = z.object({
  clientReference: z
    .string('must be a string')
    .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'must be 1 to 64 of A-Z a-z 0-9 . _ : -'),
  subject: z.object(
    {
      firstName: name,
      lastName: name,
      birthdate: z
        .string('must be a date YYYY-MM-DD')
        .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
        .refine(isCalendarDate, 'must be a date YYYY-MM-DD')
        .refine((text) => text >= '1900-01-01', 'must be after 1900')
        .refine(
          (text) => text <= new Date().toISOString().slice(0, 10),
          'must not be in the future'
        ),
      passportNumber: z
        .string('must be a string')
        .regex(/^[A-Z0-9]{5,20}$/, 'must be 5 to 20 upper-case letters and digits'),
      nationality: z
        .string('must be a string')
        .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code such as GB')
    },
    'must be an object'
  )
});

/** The request part's JSON, checked; messages name fields, never values. */
export function parseCheckRequest(text: string): CheckRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw validationFailed('The request part is not valid JSON');
  }
  const parsed = checkRequest.safeParse(json);
  if (!parsed.success) {
    throw validationFailed(
      parsed.error.issues
        .map((issue) => `${issue.path.map(String).join('.') || 'request'}: ${issue.message}`)
        .join('; ')
    );
  }
  return parsed.data;
}

function jsonPartSink(contentType: string, done: (text: string) => void): PartSink {
  if (contentType !== 'application/json' && contentType !== 'text/plain') {
    throw validationFailed('The request part must be application/json');
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  return {
    write(chunk) {
      bytes += chunk.length;
      if (bytes > MAX_REQUEST_PART_BYTES) throw tooLarge('The request part');
      chunks.push(chunk);
    },
    end() {
      done(Buffer.concat(chunks).toString('utf8'));
    }
  };
}

/** The sink for part `name`, or the error that refuses it. */
function partSink(
  part: { name: string; mimeType: string; isFile: boolean },
  form: { request?: string; photo?: PhotoMetadata }
): PartSink {
  if (part.name === 'request') return jsonPartSink(part.mimeType, (text) => (form.request = text));
  if (part.name === 'photo') {
    // A part without a filename is a text field: its bytes would arrive decoded as text.
    if (!part.isFile) throw validationFailed('The photo part must be sent as a file (filename)');
    return photoSink(part.mimeType, (meta) => (form.photo = meta));
  }
  throw validationFailed('Only the parts "request" and "photo" are accepted');
}

/** Reads and checks the whole form; rejects with the BackCheckError to answer. */
export async function readCheckForm(
  payload: IncomingMessage,
  maxBody = MAX_BODY_BYTES
): Promise<CheckForm> {
  const form: { request?: string; photo?: PhotoMetadata } = {};
  const seen = new Set<string>();
  try {
    await readMultipart(payload, payload.headers, {
      maxTotalBytes: maxBody,
      // The request part usually comes as a text field: one byte past its cap shows it too long.
      maxFieldBytes: MAX_REQUEST_PART_BYTES,
      onPart: async (part) => {
        if (seen.has(part.name)) throw validationFailed('Each part may be sent once');
        seen.add(part.name);
        const sink = partSink(part, form);
        for await (const chunk of part.body as AsyncIterable<Buffer>) sink.write(chunk);
        sink.end();
      }
    });
  } catch (error) {
    if (error instanceof MultipartTooLargeError) throw tooLarge('The request body');
    if (error instanceof MultipartError && error.reason === 'content-type') {
      throw new BackCheckError(
        415,
        'unsupported_media_type',
        'Send multipart/form-data with a boundary'
      );
    }
    if (error instanceof MultipartError) throw validationFailed(error.message);
    throw error;
  }
  if (form.request === undefined) throw validationFailed('The request part is missing');
  if (form.photo === undefined) throw validationFailed('The photo part is missing');
  return { request: parseCheckRequest(form.request), photo: form.photo };
}
