// The media API (PropertyMediaContract.json) as a fastify plugin, for Salesforce's Property_Media
// Named Credential: presigned uploads, their confirmation, presigned views and deletions. Every
// route needs the bearer token of the External Credential (the platform's SERVICE_API_TOKENS);
// keys are checked against the key scheme by the schemas. Nothing of a key but its listing part is
// logged, never a URL (a presigned URL is a credential until it expires).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { S3Client } from '@aws-sdk/client-s3';
import { HttpError, RequestValidationError, jsonResponse } from '../platform/index.ts';
import { parseJsonBodies } from '../../../toolkit/src/json-body.ts';
import { Semaphore, SemaphoreFull } from '../../../toolkit/src/semaphore.ts';
import type { MediaConfig } from './config.ts';
import { presignUpload, presignView } from './presign.ts';
import {
  confirmation,
  deletionBody,
  deletions,
  uploadBody,
  uploadTicket,
  viewBody,
  views
} from './schemas.ts';
import { deleteImageObjects, verifyUpload } from './verify.ts';

/** Largest body: 200 keys with thumbnails are ~40 KB. */
export const MEDIA_BODY_LIMIT = 64 * 1024;

export interface MediaRoutesOptions extends Record<string, unknown> {
  /** The open storage (throws a 503 HttpError while it is not). */
  storage: () => { client: S3Client; bucket: string };
  limits: MediaConfig['limits'];
  verifyConcurrency: number;
  now?: () => Date;
}

/** `properties/LST-1/<uuid>` -> `LST-1`: enough to find the property in the logs. */
const listingOf = (key: string) => key.split('/')[1];

export async function mediaRoutes(
  app: FastifyInstance,
  options: MediaRoutesOptions
): Promise<void> {
  const { storage, limits } = options;
  const now = options.now ?? (() => new Date());
  // Each verification decodes an image (CPU, up to ~150 MB for the largest accepted): a few at
  // once, a short queue, and beyond it a 503 that Apex reports, rather than work queued past the
  // callout's timeout.
  const verifications = new Semaphore(options.verifyConcurrency, options.verifyConcurrency * 4);
  const routes = app.withTypeProvider<ZodTypeProvider>();

  parseJsonBodies(
    app,
    () =>
      new RequestValidationError([
        { location: 'body', path: '', code: 'invalid_json', message: 'is not valid JSON' }
      ]),
    { bodyLimit: MEDIA_BODY_LIMIT }
  );

  routes.post(
    '/media/uploads',
    {
      bodyLimit: MEDIA_BODY_LIMIT,
      schema: {
        operationId: 'requestUpload',
        summary: 'A presigned PUT for one image',
        description:
          'Signs a PUT of exactly this key, Content-Type, Content-Length and SHA-256, valid for MEDIA_UPLOAD_URL_SECONDS. The browser sends the file straight to storage.',
        tags: ['media'],
        body: uploadBody(limits.maxBytes),
        response: { 200: jsonResponse(uploadTicket, 'The presigned upload.') }
      }
    },
    async (request) => {
      const { body } = request;
      const { client, bucket } = storage();
      request.log.info(
        { listing: listingOf(body.storageKey), contentType: body.contentType, size: body.size },
        'upload presigned'
      );
      return presignUpload(client, bucket, body, limits.uploadUrlSeconds, now());
    }
  );

  routes.post(
    '/media/uploads/confirm',
    {
      bodyLimit: MEDIA_BODY_LIMIT,
      config: {
        errorResponses: {
          503: '`busy`: too many verifications are running and waiting; confirm again in a few seconds.'
        }
      },
      schema: {
        operationId: 'confirmUpload',
        summary: 'Verify an uploaded image and make its thumbnail',
        description:
          'Reads the stored file once: size, type, SHA-256 and a decodable image of the declared format make it Available (with its dimensions and a thumbnail); anything else makes it Failed and deletes what was stored.',
        tags: ['media'],
        body: uploadBody(limits.maxBytes),
        response: { 200: jsonResponse(confirmation, 'The verdict: Available or Failed.') }
      }
    },
    async (request) => {
      const { body } = request;
      const { client, bucket } = storage();
      let verdict;
      try {
        verdict = await verifications.run(() => verifyUpload({ client, bucket }, body));
      } catch (error) {
        if (error instanceof SemaphoreFull)
          throw new HttpError(
            503,
            'busy',
            'Too many uploads are being verified at the moment; confirm again in a few seconds.'
          );
        throw error;
      }
      const log = { listing: listingOf(body.storageKey), status: verdict.status };
      if (verdict.status === 'Failed')
        request.log.warn({ ...log, reason: verdict.reason }, 'upload failed verification');
      else request.log.info(log, 'upload verified');
      return verdict;
    }
  );

  routes.post(
    '/media/views',
    {
      bodyLimit: MEDIA_BODY_LIMIT,
      schema: {
        operationId: 'viewImages',
        summary: 'Presigned GETs of images and their thumbnails',
        description:
          'One short-lived GET per original and per thumbnail (MEDIA_VIEW_URL_SECONDS). Signing is local: no storage call is made.',
        tags: ['media'],
        body: viewBody,
        response: { 200: jsonResponse(views, 'The URLs, in the order asked.') }
      }
    },
    async (request) => {
      const { client, bucket } = storage();
      const signedAt = now();
      const seconds = limits.viewUrlSeconds;
      const images = await Promise.all(
        request.body.images.map(async (image) => ({
          storageKey: image.storageKey,
          url: await presignView(client, bucket, image.storageKey, seconds, signedAt),
          thumbnailUrl: image.thumbnailKey
            ? await presignView(client, bucket, image.thumbnailKey, seconds, signedAt)
            : null
        }))
      );
      return { expiresAt: new Date(signedAt.getTime() + seconds * 1000).toISOString(), images };
    }
  );

  routes.post(
    '/media/deletions',
    {
      bodyLimit: MEDIA_BODY_LIMIT,
      schema: {
        operationId: 'deleteImages',
        summary: 'Delete images and their thumbnails',
        description: 'Deleting a key that does not exist succeeds: a retried deletion is harmless.',
        tags: ['media'],
        body: deletionBody,
        response: { 200: jsonResponse(deletions, 'Every key asked for is gone.') }
      }
    },
    async (request) => {
      const keys = request.body.storageKeys;
      await deleteImageObjects(storage(), keys);
      request.log.info(
        { images: keys.length, listing: listingOf(keys[0] ?? '') },
        'images deleted'
      );
      return { deleted: keys };
    }
  );
}
