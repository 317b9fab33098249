// Configuration of the media service and the migration tool (Scenario 6): where the images are
// stored and the limits of uploads and views (docs/property-media.md shows this table;
// `npm run docs:config` writes it). Without configuration the images go to the embedded storage
// on disk (embedded-storage.ts); NODE_ENV=production requires real S3-compatible storage.
import path from 'node:path';
import {
  boolean,
  defineConfig,
  httpUrl,
  integer,
  list,
  oneOf,
  optional,
  text,
  withDefault
} from '../../../toolkit/src/env.ts';
import { projectRoot } from '../../../toolkit/src/project.ts';
import { MAX_BYTES, UPLOAD_URL_SECONDS, VIEW_URL_SECONDS } from './limits.ts';
import type { StorageSettings } from './storage.ts';

/** The embedded storage's default port (the lab's range 8780-8790). */
export const EMBEDDED_STORAGE_PORT = 8789;

/** S3 bucket naming rules (3-63 lowercase letters, digits, '.', '-'). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const mediaConfig = defineConfig({
  name: 'property-media',
  subject: 'property media',
  docs: 'docs/property-media.md',
  variables: {
    MEDIA_STORAGE: withDefault(oneOf(['embedded', 's3']), 'embedded', {
      description:
        '`embedded`: an S3-compatible server in this process, keeping images under MEDIA_EMBEDDED_DIR (local use; refused when NODE_ENV=production). `s3`: AWS S3 or any S3-compatible storage (MinIO, Cloudflare R2, ...) at MEDIA_S3_ENDPOINT.'
    }),
    MEDIA_S3_ENDPOINT: optional(
      httpUrl({ https: 'production', example: 'https://s3.eu-west-1.amazonaws.com' }),
      {
        description:
          'With `s3`: the endpoint of S3-compatible storage (MinIO, R2). Unset: AWS S3 in MEDIA_S3_REGION. Browsers upload to and view from this host: it is the CSP Trusted Site PROPERTY_MEDIA_STORAGE_SITE.'
      }
    ),
    MEDIA_S3_REGION: withDefault(text(), 'us-east-1', {
      description: 'The region the bucket is in (signed into every URL).'
    }),
    MEDIA_S3_BUCKET: withDefault(
      text({
        pattern: BUCKET,
        patternMessage: 'must be an S3 bucket name (3-63 lowercase letters, digits, ".", "-")'
      }),
      'property-images',
      {
        description: 'The bucket holding originals (`properties/`) and thumbnails (`thumbnails/`).'
      }
    ),
    MEDIA_S3_FORCE_PATH_STYLE: withDefault(boolean(), 'false', {
      description:
        'Address the bucket in the path (`https://host/bucket/key`) rather than the host name: MinIO and most S3-compatible servers want `true`.'
    }),
    MEDIA_S3_ACCESS_KEY_ID: optional(text(), {
      description:
        "With `s3`: the access key of the media service's storage user (least privilege: s3:PutObject, s3:GetObject, s3:DeleteObject on the bucket, docs/property-media.md). Unset: the AWS SDK's default chain (instance role, AWS_PROFILE, ...). Needs MEDIA_S3_SECRET_ACCESS_KEY."
    }),
    MEDIA_S3_SECRET_ACCESS_KEY: optional(text(), {
      secret: true,
      description: 'Its secret key. Needs MEDIA_S3_ACCESS_KEY_ID.'
    }),
    MEDIA_EMBEDDED_DIR: withDefault(text(), '.data/property-media', {
      description:
        'With `embedded`: the folder the embedded storage keeps the bucket in (relative paths from the repository root).'
    }),
    MEDIA_EMBEDDED_PORT: withDefault(integer(0, 65_535), String(EMBEDDED_STORAGE_PORT), {
      description: 'With `embedded`: its port on 127.0.0.1 (0: any free port).'
    }),
    MEDIA_EMBEDDED_SECRET: optional(text(), {
      secret: true,
      description:
        'With `embedded`: the secret key its URLs are signed with (access key id `S3RVER`). Unset: a random one made on first use and kept in MEDIA_EMBEDDED_DIR/secret, so every process of this checkout (the lab, the migration) shares it and nobody else knows it.'
    }),
    MEDIA_CORS_ORIGINS: withDefault(list(), 'https://*.lightning.force.com', {
      description:
        "With `embedded`: origins whose pages may upload and view (CORS; one `*` wildcard each), e.g. `https://acme.lightning.force.com`. For S3, set the bucket's CORS rules instead (docs/property-media.md)."
    }),
    MEDIA_MAX_BYTES: withDefault(integer(1, MAX_BYTES), String(MAX_BYTES), {
      description: `Largest image a presigned upload admits (bytes; at most ${MAX_BYTES}, the contract's cap that Apex checks too).`
    }),
    MEDIA_UPLOAD_URL_SECONDS: withDefault(integer(1, 3_600), String(UPLOAD_URL_SECONDS), {
      description: 'How long a presigned upload URL is valid (S3 checks it when the upload starts).'
    }),
    MEDIA_VIEW_URL_SECONDS: withDefault(integer(1, 3_600), String(VIEW_URL_SECONDS), {
      description: 'How long a presigned view URL is valid; the gallery asks for new ones before.'
    }),
    MEDIA_VERIFY_CONCURRENCY: withDefault(integer(1, 16), '2', {
      description:
        'Confirmations verified at once (each reads the image once, hashing it and making its thumbnail); more wait their turn.'
    })
  },
  rules(values, context) {
    const issues = [];
    if (context.production && values.MEDIA_STORAGE === 'embedded')
      issues.push({
        variable: 'MEDIA_STORAGE',
        message: 'must be `s3` when NODE_ENV=production (the embedded storage is for local use)'
      });
    if (
      (values.MEDIA_S3_ACCESS_KEY_ID === undefined) !==
      (values.MEDIA_S3_SECRET_ACCESS_KEY === undefined)
    )
      issues.push({
        variable:
          values.MEDIA_S3_ACCESS_KEY_ID === undefined
            ? 'MEDIA_S3_ACCESS_KEY_ID'
            : 'MEDIA_S3_SECRET_ACCESS_KEY',
        message: 'MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY go together'
      });
    return issues;
  },
  build: (v): MediaConfig => ({
    storage:
      v.MEDIA_STORAGE === 'embedded'
        ? {
            kind: 'embedded',
            directory: path.resolve(projectRoot(), v.MEDIA_EMBEDDED_DIR),
            port: v.MEDIA_EMBEDDED_PORT,
            ...(v.MEDIA_EMBEDDED_SECRET ? { secretAccessKey: v.MEDIA_EMBEDDED_SECRET } : {}),
            corsOrigins: v.MEDIA_CORS_ORIGINS,
            bucket: v.MEDIA_S3_BUCKET,
            region: v.MEDIA_S3_REGION
          }
        : {
            kind: 's3',
            settings: {
              ...(v.MEDIA_S3_ENDPOINT ? { endpoint: v.MEDIA_S3_ENDPOINT } : {}),
              region: v.MEDIA_S3_REGION,
              bucket: v.MEDIA_S3_BUCKET,
              forcePathStyle: v.MEDIA_S3_FORCE_PATH_STYLE,
              ...(v.MEDIA_S3_ACCESS_KEY_ID && v.MEDIA_S3_SECRET_ACCESS_KEY
                ? {
                    credentials: {
                      accessKeyId: v.MEDIA_S3_ACCESS_KEY_ID,
                      secretAccessKey: v.MEDIA_S3_SECRET_ACCESS_KEY
                    }
                  }
                : {})
            }
          },
    limits: {
      maxBytes: v.MEDIA_MAX_BYTES,
      uploadUrlSeconds: v.MEDIA_UPLOAD_URL_SECONDS,
      viewUrlSeconds: v.MEDIA_VIEW_URL_SECONDS
    },
    verifyConcurrency: v.MEDIA_VERIFY_CONCURRENCY
  })
});

export interface EmbeddedStorageConfig {
  kind: 'embedded';
  directory: string;
  port: number;
  /** Unset: the checkout's own random secret (open-storage.ts). */
  secretAccessKey?: string;
  corsOrigins: string[];
  bucket: string;
  region: string;
}

export interface MediaConfig {
  storage: EmbeddedStorageConfig | { kind: 's3'; settings: StorageSettings };
  limits: { maxBytes: number; uploadUrlSeconds: number; viewUrlSeconds: number };
  verifyConcurrency: number;
}
