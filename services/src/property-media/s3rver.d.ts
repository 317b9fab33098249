// Types for s3rver 3.7, which ships none: only what embedded-storage.ts uses.
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
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
}
