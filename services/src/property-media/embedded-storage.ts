// The embedded S3-compatible storage, the local default for the media service, the migration tool
// and the tests: s3rver keeps buckets as folders on disk and speaks S3's REST protocol, so the AWS
// SDK, presigned URLs and a browser's PUT work against it as against S3. In front of it sits what
// s3rver lacks: SigV4 verification (sigv4-check.ts), so an expired, altered or foreign-key URL is
// refused locally exactly as S3 refuses it, and a body that does not match the SHA-256 its request
// states is refused before s3rver stores it (body-digest.ts). s3rver runs in this process behind our own HTTP server
// (its Koa handler, no second socket); CORS preflights pass unsigned, as on S3, and are answered
// from the bucket's CORS configuration.
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import S3rver, { type S3rverStore } from 's3rver';
import { DigestRefused, MemoryBudget, spoolBody, statedDigests } from './body-digest.ts';
import {
  SignatureRefused,
  splitTarget,
  verifySignature,
  type StorageCredentials
} from './sigv4-check.ts';

/**
 * s3rver looks the access key id up in its own registry, whose only account is S3RVER; the secret
 * is ours (s3rver never uses it), so the embedded storage still has a secret only its users know.
 */
export const EMBEDDED_ACCESS_KEY_ID = 'S3RVER';

export interface EmbeddedStorageOptions {
  /** s3rver's folder: one subfolder per bucket. */
  directory: string;
  bucket: string;
  secretAccessKey: string;
  /** 0 = any free port. */
  port: number;
  host?: string;
  /** Origins browsers upload and view from (the Lightning domains); `*` for any. */
  corsOrigins: readonly string[];
}

export interface EmbeddedStorage {
  endpoint: string;
  credentials: StorageCredentials;
  bucket: string;
  close(): Promise<void>;
}

function corsConfiguration(origins: readonly string[]): string {
  const allowed = origins.map((origin) => `<AllowedOrigin>${origin}</AllowedOrigin>`).join('');
  return (
    '<CORSConfiguration><CORSRule>' +
    allowed +
    '<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>' +
    '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>' +
    '</CORSRule></CORSConfiguration>'
  );
}

type Refusal = SignatureRefused | PreconditionFailed | ConditionalRequestConflict | DigestRefused;

const STATUS: Record<Refusal['code'], number> = {
  BadDigest: 400,
  XAmzContentSHA256Mismatch: 400,
  InvalidDigest: 400,
  ConditionalRequestConflict: 409,
  AccessDenied: 403,
  SignatureDoesNotMatch: 403,
  InvalidAccessKeyId: 403,
  RequestTimeTooSkewed: 403,
  InvalidRequest: 400,
  PreconditionFailed: 412
};

class PreconditionFailed extends Error {
  readonly code = 'PreconditionFailed';
  constructor() {
    super('At least one of the pre-conditions you specified did not hold');
  }
}

class ConditionalRequestConflict extends Error {
  readonly code = 'ConditionalRequestConflict';
  constructor() {
    super(
      'A conflicting conditional operation is currently in progress against this resource. Please try again.'
    );
  }
}

/** The bucket/key path of a conditional PUT (`If-None-Match: *`, every presigned upload). */
function conditionalPut(request: IncomingMessage): string | undefined {
  if (request.method !== 'PUT' || request.headers['if-none-match'] !== '*') return undefined;
  return splitTarget(request.url ?? '/').rawPath;
}

/** S3 honours `If-None-Match: *` with 412 when the object exists; s3rver ignores it. */
function objectExists(store: S3rverStore, rawPath: string): Promise<boolean> {
  const [bucket = '', ...key] = rawPath.slice(1).split('/');
  return store.existsObject(decodeURIComponent(bucket), decodeURIComponent(key.join('/')));
}

/**
 * Runs clean-ups once the response has closed (answered, or the client gone), also those added
 * after it closed. Registered when the request arrives, so no close can be missed.
 */
function afterResponse(response: ServerResponse): (cleanup: () => unknown) => void {
  const pending: Array<() => unknown> = [];
  let closed = false;
  const run = (cleanup: () => unknown) => {
    void Promise.resolve()
      .then(cleanup)
      .catch(() => undefined);
  };
  response.once('close', () => {
    closed = true;
    pending.splice(0).forEach(run);
  });
  return (cleanup) => (closed ? run(cleanup) : pending.push(cleanup));
}

interface Front {
  credentials: StorageCredentials;
  store: S3rverStore;
  spool: { directory: string; memory: MemoryBudget };
  /** Keys with a conditional PUT under way in this process, until s3rver has stored it. */
  conditionalPuts: Set<string>;
}

/** What s3rver is given for an admitted request; `unlock` once it has finished with it. */
interface Admitted {
  request: IncomingMessage;
  unlock?: () => void;
}

/**
 * The request s3rver may handle, or the refusal S3 would answer. CORS preflights pass unsigned,
 * as on S3. Every PUT is spooled whole first (body-digest.ts), its stated digests checked, so
 * s3rver, which writes an object in place as the bytes arrive, only ever gets a complete body
 * known to match: an upload cut short stores nothing, as on S3. A conditional PUT runs alone per
 * key until s3rver has stored it; a second one meanwhile is answered 409, as S3 answers a
 * conflicting conditional write.
 */
async function admit(
  request: IncomingMessage,
  front: Front,
  onClose: (cleanup: () => unknown) => void
): Promise<Admitted | Refusal> {
  if (request.method === 'OPTIONS') return { request };
  let unlock: (() => void) | undefined;
  try {
    verifySignature(request, front.credentials);
    const conditional = conditionalPut(request);
    if (conditional !== undefined) {
      if (front.conditionalPuts.has(conditional)) return new ConditionalRequestConflict();
      front.conditionalPuts.add(conditional);
      let locked = true;
      unlock = () => {
        if (locked) front.conditionalPuts.delete(conditional);
        locked = false;
      };
      if (await objectExists(front.store, conditional)) return new PreconditionFailed();
    }
    if (request.method !== 'PUT') return { request };
    const spooled = await spoolBody(request, statedDigests(request), front.spool);
    onClose(spooled.release);
    // The body took a while to arrive: an unconditional PUT may have created the object meanwhile.
    if (conditional !== undefined && (await objectExists(front.store, conditional)))
      return new PreconditionFailed();
    const admitted: Admitted = { request: spooled.replay(), unlock };
    unlock = undefined; // handed over with the request
    return admitted;
  } catch (error) {
    if (error instanceof SignatureRefused || error instanceof DigestRefused) return error;
    throw error;
  } finally {
    unlock?.();
  }
}

/** S3's AllowedOrigin patterns: one `*` matches any run of characters. */
function originMatcher(origins: readonly string[]): (origin: string) => boolean {
  const patterns = origins.map(
    (origin) =>
      new RegExp(
        `^${origin
          .split('*')
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`
      )
  );
  return (origin) => patterns.some((pattern) => pattern.test(origin));
}

function refuse(
  request: IncomingMessage,
  response: ServerResponse,
  error: Refusal,
  allowedOrigin: (origin: string) => boolean
): void {
  // A refusal carries the CORS headers an allowed page needs to read it (S3 sends them on its
  // errors too): the gallery tells "the link expired" (403) or "already uploaded" (412) from a
  // network failure.
  const origin = request.headers.origin;
  const cors: Record<string, string> =
    origin && allowedOrigin(origin)
      ? {
          'access-control-allow-origin': origin,
          'access-control-expose-headers': 'ETag',
          vary: 'Origin'
        }
      : {};
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${error.code}</Code><Message>${error.message.replace(/[<>&]/g, '')}</Message></Error>`;
  response.writeHead(STATUS[error.code], {
    ...cors,
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    connection: 'close'
  });
  response.end(body);
  // Answered before the body is read; `connection: close` ends the socket after the answer, so
  // a refused upload's bytes are not taken in.
  request.resume();
}

export async function startEmbeddedStorage(
  options: EmbeddedStorageOptions
): Promise<EmbeddedStorage> {
  await mkdir(options.directory, { recursive: true });
  // Next to the bucket folder, one storage per folder: what a killed process left is removed.
  const spoolDirectory = `${path.resolve(options.directory)}-spool`;
  await rm(spoolDirectory, { recursive: true, force: true });
  await mkdir(spoolDirectory);
  const credentials = {
    accessKeyId: EMBEDDED_ACCESS_KEY_ID,
    secretAccessKey: options.secretAccessKey
  };
  const s3rver = new S3rver({
    directory: options.directory,
    silent: true,
    configureBuckets: [{ name: options.bucket, configs: [corsConfiguration(options.corsOrigins)] }]
  });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();

  const front: Front = {
    credentials,
    store: s3rver.store,
    spool: { directory: spoolDirectory, memory: new MemoryBudget() },
    conditionalPuts: new Set()
  };
  const allowedOrigin = originMatcher(options.corsOrigins);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    admit(request, front, afterResponse(response))
      .then((admitted) => {
        if (admitted instanceof Error) return refuse(request, response, admitted, allowedOrigin);
        // S3 answers a preflight from the bucket's CORS rules alone; s3rver would also check the
        // presigned query (an expired URL's preflight would fail before the PUT could say why).
        if (request.method === 'OPTIONS') request.url = (request.url ?? '/').split('?')[0];
        const { request: replay, unlock } = admitted;
        // s3rver never settles a store whose body fails to read: the key is freed then too.
        if (unlock) replay.once('error', unlock);
        void handle(replay, response)
          .catch(() => undefined)
          .finally(() => unlock?.());
      })
      // Nothing a request carries may stop the process: anything unexpected is a 400.
      .catch(() =>
        refuse(
          request,
          response,
          new SignatureRefused('InvalidRequest', 'The request could not be read.'),
          allowedOrigin
        )
      );
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${port}`,
    credentials,
    bucket: options.bucket,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(spoolDirectory, { recursive: true, force: true });
    }
  };
}
