// Types for s3rver 3.7, which ships none: only what embedded-storage.ts and its tests use.
declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverBucket {
    name: string;
    configs?: Array<string | Buffer>;
  }

  interface S3rverOptions {
    directory: string;
    silent?: boolean;
    configureBuckets?: S3rverBucket[];
    allowMismatchedSignatures?: boolean;
    resetOnClose?: boolean;
  }

  export interface S3rverStore {
    existsObject(bucket: string, key: string): Promise<boolean>;
  }

  export default class S3rver {
    readonly store: S3rverStore;
    constructor(options: S3rverOptions);
    configureBuckets(): Promise<void>;
    /** Koa's handler: settles once the request has been handled (an object stored, say). */
    callback(): (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  }
}

declare module 's3rver/lib/stores/filesystem.js' {
  /** The store's class: the tests slow its writes down to observe overlapping uploads. */
  const FilesystemStore: { prototype: { putObject(...args: unknown[]): Promise<unknown> } };
  export default FilesystemStore;
}
