/**
 * Files over REST, as the REST API Developer Guide describes them:
 *
 * - "Insert or Update Blob Data": `POST sobjects/{ContentVersion|Attachment|...}` with a
 *   `multipart/form-data` body, the record's fields as JSON in a part named `entity_content`
 *   (`entity_document`, `entity_attachment`: any `entity_*`), the file's bytes in a part named
 *   after the blob field (`VersionData`, `Body`). Up to 2 GB for ContentVersion and 500 MB for
 *   the other objects, as documented; the emulator's cap can be set lower (`files.maxBytes`).
 * - "Get Blob Data": `GET sobjects/{type}/{id}/{blobField}` streams the bytes
 *   (application/octet-stream, chunked), never JSON.
 */
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  SalesforceApiError,
  type EmulatorContext,
  type FieldDescribe,
  type Principal,
  type SfRecord,
  type SObjectDescribe
} from '../../model.ts';
import { blobField, FILE_STORE_MARKER } from '../../files/blob-fields.ts';
import {
  base64Stream,
  FileStore,
  FileTooLargeError,
  type PartSink,
  type UploadSink
} from '../../files/file-store.ts';
import {
  MultipartError,
  MultipartTooLargeError,
  readMultipart
} from '../../../../../toolkit/src/multipart.ts';
import { jsonParserError } from '../errors.ts';
import { notFound } from '../versions.ts';
import { createResult, recordBody, sobjectUrl } from './records.ts';

const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;
/** The documented maximum of one multipart file: 2 GB for ContentVersion, 500 MB otherwise. */
export function documentedMaxBytes(object: SObjectDescribe): number {
  return object.name === 'ContentVersion' ? 2 * GB : 500 * MB;
}

/**
 * Other objects keep their files inline as base64 (insertWithFile), and a JavaScript string
 * holds at most about 512 M characters: their files stop at 256 MB here.
 */
const INLINE_OBJECT_MAX_BYTES = 256 * MB;

function emulatorMaxBytes(object: SObjectDescribe): number {
  const documented = documentedMaxBytes(object);
  return object.name === 'ContentVersion'
    ? documented
    : Math.min(documented, INLINE_OBJECT_MAX_BYTES);
}

/** The JSON part's limit: what a non-multipart JSON body may carry. */
const ENTITY_MAX_BYTES = 50 * MB;
/** Part headers, boundaries and the like on top of the file and the entity part. */
const MULTIPART_OVERHEAD_BYTES = 1 * MB;

/**
 * The whole multipart request's cap: the file's limit, the one entity part and a small
 * allowance. Bytes beyond it (e.g. garbage after the closing boundary) are refused with 413.
 */
export function multipartMaxBytes(fileLimit: number): number {
  return fileLimit + ENTITY_MAX_BYTES + MULTIPART_OVERHEAD_BYTES;
}

export interface FileRouteOptions {
  files: FileStore;
  /** The emulator's cap on one uploaded file (below the documented maximum to save disk). */
  maxBytes?: number;
}

/**
 * Lets `POST sobjects/{type}` receive multipart bodies as a stream (no body limit, no
 * buffering); every other sObject route answers them 415, as it answers any other media type.
 */
export function acceptMultipart(app: FastifyInstance): void {
  app.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    if (request.method === 'POST' && request.routeOptions.url?.endsWith('/sobjects/:type')) {
      done(null, payload);
      return;
    }
    done(
      new SalesforceApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Content type '${request.headers['content-type'] ?? ''}' not supported for this resource`
      ),
      undefined
    );
  });
}

export function isMultipart(request: FastifyRequest): boolean {
  return /^multipart\/form-data\b/i.test(request.headers['content-type'] ?? '');
}

/**
 * Multipart errors are not documented; these are our best wording, with the codes a malformed
 * body (JSON_PARSER_ERROR) and an oversized one get elsewhere in the API.
 */
function malformed(message: string): SalesforceApiError {
  return new SalesforceApiError(400, 'INVALID_MULTIPART_REQUEST', message);
}

function tooLarge(limit: number): SalesforceApiError {
  return new SalesforceApiError(
    413,
    'REQUEST_ENTITY_TOO_LARGE',
    `Maximum file size exceeded: the limit is ${limit} bytes`
  );
}

function entitySink(chunks: Buffer[]): PartSink {
  let size = 0;
  return {
    write(chunk) {
      size += chunk.length;
      if (size > ENTITY_MAX_BYTES) throw malformed('The entity part exceeds 50 MB');
      chunks.push(Buffer.from(chunk));
    },
    end() {}
  };
}

/** Feeds a part's bytes to `sink`, each write awaited before the next chunk is read. */
async function copyInto(body: Readable, sink: PartSink): Promise<void> {
  for await (const chunk of body as AsyncIterable<Buffer>) await sink.write(chunk);
  await sink.end();
}

/** A multipart create: the entity's fields plus one blob field read from its own part. */
export async function createWithFile(
  ctx: EmulatorContext,
  options: FileRouteOptions,
  request: FastifyRequest<{ Params: { version: string } }>,
  reply: FastifyReply,
  object: SObjectDescribe,
  principal: Principal
): Promise<FastifyReply> {
  const limit = Math.min(emulatorMaxBytes(object), options.maxBytes ?? Infinity);
  const entity: Buffer[] = [];
  let sawEntity = false;
  let file: { field: FieldDescribe; sink: UploadSink } | undefined;

  try {
    await readMultipart(request.body as Readable, request.headers, {
      maxTotalBytes: multipartMaxBytes(limit),
      // The entity part may come as a text field: one byte past its cap shows it is too long.
      maxFieldBytes: ENTITY_MAX_BYTES,
      onPart: async (part) => {
        if (part.name.startsWith('entity_')) {
          // One JSON part with the record's fields, one byte budget for it.
          if (sawEntity) {
            throw malformed(
              `Multiple entity parts: a multipart request carries the ${object.name} fields in one part only`
            );
          }
          sawEntity = true;
          await copyInto(part.body, entitySink(entity));
          return;
        }
        const field = blobField(object, part.name);
        if (!field) {
          throw new SalesforceApiError(
            400,
            'INVALID_FIELD',
            `No such column '${part.name}' on sobject of type ${object.name}`
          );
        }
        if (file) throw malformed(`More than one binary part for ${object.name}`);
        // A part without a filename is a text field: its bytes would arrive decoded as text.
        if (!part.isFile) {
          throw malformed(
            `The ${part.name} part needs a filename (or Content-Type: application/octet-stream)`
          );
        }
        file = { field, sink: options.files.upload(limit) };
        await copyInto(part.body, file.sink);
      }
    });
  } catch (error) {
    await file?.sink.discard();
    // The client may still be sending: readMultipart drops the rest (cut past another cap's
    // worth), and the connection closes after the answer rather than wait for it all.
    reply.header('Connection', 'close');
    if (error instanceof FileTooLargeError) throw tooLarge(error.limit);
    if (error instanceof MultipartTooLargeError) throw tooLarge(error.limit);
    if (error instanceof MultipartError) throw malformed(error.message);
    throw error;
  }
  if (!sawEntity) {
    await file?.sink.discard();
    throw malformed('The request has no entity part (entity_content) with the record fields');
  }

  let fields: Record<string, unknown>;
  try {
    fields = recordBody(JSON.parse(Buffer.concat(entity).toString('utf8')) as unknown);
  } catch (error) {
    await file?.sink.discard();
    if (error instanceof SalesforceApiError) throw error;
    throw jsonParserError((error as Error).message);
  }

  const created = await insertWithFile(ctx, options.files, object, fields, principal, file);
  return reply
    .code(201)
    .header('Location', sobjectUrl(request.params.version, object.name, created.Id))
    .send(createResult(object, created));
}

async function insertWithFile(
  ctx: EmulatorContext,
  files: FileStore,
  object: SObjectDescribe,
  fields: Record<string, unknown>,
  principal: Principal,
  file: { field: FieldDescribe; sink: UploadSink } | undefined
): Promise<SfRecord> {
  if (!file) return ctx.store.insert(object.name, fields, principal);
  const upload = file.sink.result();
  // Only ContentVersion keeps large files out of the record: other objects' blobs are inline.
  const inline =
    upload.bytes ??
    (object.name === 'ContentVersion' ? undefined : await readFile(upload.file as string));
  if (inline) {
    await file.sink.discard();
    return ctx.store.insert(
      object.name,
      { ...fields, [file.field.name]: inline.toString('base64') },
      principal
    );
  }
  let created: SfRecord;
  try {
    created = ctx.store.insert(object.name, fields, principal);
  } catch (error) {
    await file.sink.discard();
    throw error;
  }
  await files.adopt(upload, created.Id, file.field.name);
  // What the platform derives from the bytes (see store/behaviours.ts), set as the system.
  ctx.store.patchAsSystem(object.name, created.Id, {
    [file.field.name]: FILE_STORE_MARKER,
    ContentSize: upload.size,
    Checksum: upload.md5
  });
  const documentId = ctx.store.get(object.name, created.Id)?.ContentDocumentId;
  if (typeof documentId === 'string') {
    ctx.store.patchAsSystem('ContentDocument', documentId, { ContentSize: upload.size });
  }
  return ctx.store.get(object.name, created.Id) ?? created;
}

/** `GET sobjects/{type}/{id}/{blobField}`: the bytes, streamed; 404 when there are none. */
export async function sendBlob(
  files: FileStore,
  reply: FastifyReply,
  record: SfRecord,
  field: FieldDescribe
): Promise<FastifyReply> {
  const stored = record[field.name];
  if (typeof stored !== 'string' || stored === '') throw notFound();
  const body =
    stored === FILE_STORE_MARKER ? await files.open(record.Id, field.name) : base64Stream(stored);
  // The record says its bytes are on disk but they are not (removed by hand): none to serve.
  if (body === undefined) throw notFound();
  return reply.code(200).type('application/octet-stream').send(body);
}
