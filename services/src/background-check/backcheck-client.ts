// BackCheck's API as the service uses it: submit a check (multipart, the photo streamed) and read
// a check's status (the fallback for lost callbacks). Over node:http(s) so that the upload is a
// stream with backpressure from BackCheck's socket down to Salesforce's.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { BackCheckConnection } from './config.ts';
import type { PhotoType } from './photo.ts';

export interface BackCheckSubject {
  firstName: string;
  lastName: string;
  birthdate: string;
  passportNumber: string;
  nationality: string;
}

/**
 * GET /v1/checks/{reference}, validated: a poll result goes into the table and on to Salesforce
 * as a callback's would, so it meets the same rules (the callback body schema's enums and limits).
 */
export const backCheckStatus = z
  .object({
    reference: z.string().min(1).max(64),
    clientReference: z.string().min(1).max(64),
    status: z.enum(['pending', 'completed']),
    result: z.enum(['clear', 'not_clear', 'inconclusive']).nullable(),
    notes: z.string().max(32_000).nullable(),
    completedAt: z.iso.datetime({ offset: true }).nullable()
  })
  .refine((answer) => answer.status !== 'completed' || (answer.result && answer.completedAt), {
    error: 'a completed check has a result and a completion time'
  });
export type BackCheckStatus = z.infer<typeof backCheckStatus>;

/** Largest BackCheck answer read: its JSON is a few hundred bytes (plus notes); more is refused. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** BackCheck refused the request for good (400, 409, 413, 415): retrying sends the same. */
export class BackCheckRejectedError extends Error {
  override readonly name = 'BackCheckRejectedError';
  constructor(
    readonly status: number,
    readonly code: string
  ) {
    super(`BackCheck refused the check: ${status} ${code}`);
  }
}

/** No usable answer (network, timeout, 401, 429, 5xx): worth another attempt later. */
export class BackCheckUnavailableError extends Error {
  override readonly name = 'BackCheckUnavailableError';
}

/** A BackCheck answer that is not what its API promises: nothing of it is used. */
export class BackCheckInvalidAnswerError extends Error {
  override readonly name = 'BackCheckInvalidAnswerError';
}

const PERMANENT = new Set([400, 409, 413, 415, 422]);

/**
 * The multipart/form-data body around the streamed photo. Written here rather than with
 * FormData: Node's FormData takes the file as a Blob, i.e. the whole photo in memory, and the
 * project's multipart library (busboy) parses, it does not build. The framing is two fixed
 * buffers around the stream; the boundary is 24 random bytes, so it cannot occur in the JSON
 * part and the chance of meeting it in the image is nil.
 */
export function multipartBody(
  requestJson: string,
  photo: { type: PhotoType; chunks: AsyncIterable<Buffer> }
): { contentType: string; body: AsyncGenerator<Buffer> } {
  const boundary = `bgc-${randomBytes(24).toString('hex')}`;
  const extension = photo.type === 'image/png' ? 'png' : 'jpg';
  const head = Buffer.from(
    `--${boundary}\r\n` +
      'Content-Disposition: form-data; name="request"\r\n' +
      'Content-Type: application/json\r\n\r\n' +
      `${requestJson}\r\n` +
      `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="photo"; filename="photo.${extension}"\r\n` +
      `Content-Type: ${photo.type}\r\n\r\n`
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* body(): AsyncGenerator<Buffer> {
    yield head;
    yield* photo.chunks;
    yield tail;
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: body() };
}

interface Answer {
  status: number;
  json: unknown;
}

export class BackCheckClient {
  private readonly agent: http.Agent;

  constructor(private readonly connection: BackCheckConnection) {
    this.agent = connection.baseUrl.startsWith('https:')
      ? new https.Agent({ keepAlive: true })
      : new http.Agent({ keepAlive: true });
  }

  /** POST /v1/checks: BackCheck's reference. */
  async submit(
    idempotencyKey: string,
    request: { clientReference: string; subject: BackCheckSubject },
    photo: { type: PhotoType; chunks: AsyncIterable<Buffer> }
  ): Promise<{ reference: string; replayed: boolean }> {
    const multipart = multipartBody(JSON.stringify(request), photo);
    const answer = await this.call(
      'POST',
      '/v1/checks',
      {
        'Content-Type': multipart.contentType,
        'Idempotency-Key': idempotencyKey
      },
      multipart.body
    );
    const body = (answer.json ?? {}) as Record<string, unknown>;
    if (answer.status === 202 || answer.status === 200) {
      if (typeof body.reference !== 'string')
        throw new BackCheckUnavailableError('BackCheck answered without a reference');
      return { reference: body.reference, replayed: answer.status === 200 };
    }
    const code = typeof body.error === 'string' ? body.error : `http_${answer.status}`;
    if (PERMANENT.has(answer.status)) throw new BackCheckRejectedError(answer.status, code);
    throw new BackCheckUnavailableError(`BackCheck answered ${answer.status} ${code}`);
  }

  /** GET /v1/checks/{reference}: undefined when BackCheck does not know it. */
  async status(reference: string): Promise<BackCheckStatus | undefined> {
    const answer = await this.call('GET', `/v1/checks/${encodeURIComponent(reference)}`, {});
    if (answer.status === 404) return undefined;
    if (answer.status !== 200)
      throw new BackCheckUnavailableError(`BackCheck answered ${answer.status} to a status read`);
    const parsed = backCheckStatus.safeParse(answer.json);
    if (!parsed.success)
      throw new BackCheckInvalidAnswerError('BackCheck answered an invalid status');
    return parsed.data;
  }

  close(): void {
    this.agent.destroy();
  }

  private call(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body?: AsyncIterable<Buffer>
  ): Promise<Answer> {
    const url = new URL(path, this.connection.baseUrl.replace(/\/?$/, '/'));
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<Answer>((resolve, reject) => {
      const signal = AbortSignal.timeout(this.connection.timeoutMs);
      const fail = (error: unknown) =>
        reject(
          error instanceof BackCheckRejectedError || isPhotoError(error)
            ? error
            : new BackCheckUnavailableError(
                signal.aborted
                  ? `BackCheck did not answer within ${this.connection.timeoutMs} ms`
                  : `BackCheck unreachable: ${(error as Error).message}`
              )
        );
      const outgoing = client.request(url, {
        method,
        agent: this.agent,
        signal,
        headers: {
          Accept: 'application/json',
          Authorization: `Bearer ${this.connection.apiKey}`,
          ...headers
        }
      });
      outgoing.on('error', fail);
      outgoing.on('response', (incoming) => {
        const parts: Buffer[] = [];
        let bytes = 0;
        incoming.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          // Never buffered past the cap: a broken or hostile endpoint cannot fill the heap.
          if (bytes > MAX_ANSWER_BYTES) {
            incoming.destroy();
            outgoing.destroy();
            reject(
              new BackCheckUnavailableError(
                `BackCheck's answer is larger than ${MAX_ANSWER_BYTES / 1024} KB; not read`
              )
            );
            return;
          }
          parts.push(chunk);
        });
        incoming.on('error', fail);
        incoming.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: incoming.statusCode ?? 0, json });
        });
      });
      if (!body) {
        outgoing.end();
        return;
      }
      // A photo problem found mid-stream (too large) aborts the upload and is the error.
      pipeline(Readable.from(body), outgoing).catch((error: unknown) => {
        outgoing.destroy();
        fail(error);
      });
    });
  }
}

function isPhotoError(error: unknown): boolean {
  return error instanceof Error && error.name === 'PhotoRejectedError';
}
