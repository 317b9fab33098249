/**
 * For tests here and elsewhere (the background-check service's tests, the lab's): starts the
 * BackCheck simulator on a free port and gives a small client over real HTTP (submit with the
 * standard FormData/Blob, status, the control API), photo bytes that pass or fail the type
 * check, and a callback receiver that records what the simulator posts. Always
 * `await bc.close()` / `await receiver.close()` (or use the `use*` forms inside a `describe`).
 *
 *   const receiver = await startCallbackReceiver();
 *   const bc = await startBackCheck({ callbackUrl: receiver.url, completionDelay: { minMs: 1000, maxMs: 1000 } });
 *   const submitted = await bc.submit(checkRequest());
 *   bc.control.advanceClock(1000);
 *   await bc.control.callbacksSettled();   // receiver.received[0] is the signed callback
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before } from 'node:test';
import { listeningUrl } from '../../../../toolkit/src/listening-url.ts';
import { TEST_PASSPORTS } from '../../src/results.ts';
import {
  startBackCheckSimulator,
  type BackCheckSimulatorOptions,
  type RunningBackCheckSimulator
} from '../../src/server.ts';

export interface HttpResult {
  status: number;
  headers: Headers;
  /** Parsed JSON, the text when not JSON, undefined when empty. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function read(response: Response): Promise<HttpResult> {
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json');
  return {
    status: response.status,
    headers: response.headers,
    body: json && text !== '' ? JSON.parse(text) : text || undefined
  };
}

/** A JPEG (by its magic bytes) of `bytes` bytes; the content is filler. */
export function jpegBytes(bytes = 2048): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(Math.max(bytes, 6));
  data.set([0xff, 0xd8, 0xff, 0xe0]);
  for (let i = 4; i < data.length - 2; i++) data[i] = (i * 7) & 0xff;
  data.set([0xff, 0xd9], data.length - 2);
  return data;
}

/** A PNG (by its 8-byte signature) of `bytes` bytes. */
export function pngBytes(bytes = 2048): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(Math.max(bytes, 8));
  data.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return data;
}

export interface CheckRequestBody {
  clientReference: string;
  subject: {
    firstName: string;
    lastName: string;
    birthdate: string;
    passportNumber: string;
    nationality: string;
  };
}

/** The contract's example request, with a fresh client reference unless overridden. */
export function checkRequest(
  overrides: { clientReference?: string; passportNumber?: string } = {}
): CheckRequestBody {
  return {
    clientReference:
      overrides.clientReference ?? `a0X${randomUUID().replace(/-/g, '').slice(0, 15)}`,
    subject: {
      firstName: 'Ada',
      lastName: 'Lovelace',
      birthdate: '1990-12-10',
      passportNumber: overrides.passportNumber ?? TEST_PASSPORTS.clear,
      nationality: 'GB'
    }
  };
}

export interface SubmitInit {
  /** The request part: an object (sent as application/json) or raw text. */
  request?: CheckRequestBody | string | undefined;
  photo?: Uint8Array<ArrayBuffer> | undefined;
  photoType?: string;
  idempotencyKey?: string | null;
  /** `Authorization` header value; null sends none. */
  authorization?: string | null;
}

export interface TestBackCheck extends RunningBackCheckSimulator {
  /** `POST /v1/checks` with FormData (a fresh Idempotency-Key unless given). */
  submit(request: CheckRequestBody, init?: Omit<SubmitInit, 'request'>): Promise<HttpResult>;
  submitRaw(init: SubmitInit): Promise<HttpResult>;
  status(reference: string, authorization?: string): Promise<HttpResult>;
  /** A call to any path; `/__sim/` calls carry the driver secret when there is one. */
  request(method: string, path: string, body?: unknown): Promise<HttpResult>;
}

export async function startBackCheck(
  options: BackCheckSimulatorOptions = {}
): Promise<TestBackCheck> {
  const sim = await startBackCheckSimulator({ port: 0, ...options });
  const bearer = `Bearer ${sim.apiKey}`;

  const submitRaw: TestBackCheck['submitRaw'] = async (init) => {
    const form = new FormData();
    if (init.request !== undefined) {
      const text = typeof init.request === 'string' ? init.request : JSON.stringify(init.request);
      form.append('request', new Blob([text], { type: 'application/json' }));
    }
    if (init.photo !== undefined) {
      form.append(
        'photo',
        new Blob([init.photo], { type: init.photoType ?? 'image/jpeg' }),
        'photo.jpg'
      );
    }
    const headers: Record<string, string> = {};
    if (init.authorization !== null) headers.authorization = init.authorization ?? bearer;
    if (init.idempotencyKey !== null)
      headers['idempotency-key'] = init.idempotencyKey ?? randomUUID();
    return read(await fetch(`${sim.url}/v1/checks`, { method: 'POST', headers, body: form }));
  };

  return {
    ...sim,
    submitRaw,
    submit: (request, init = {}) => submitRaw({ photo: jpegBytes(), ...init, request }),
    async status(reference, authorization = bearer) {
      return read(
        await fetch(`${sim.url}/v1/checks/${encodeURIComponent(reference)}`, {
          headers: { authorization }
        })
      );
    },
    async request(method, path, body) {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (sim.driverSecret !== undefined && path.startsWith('/__sim')) {
        headers.authorization = `Bearer ${sim.driverSecret}`;
      }
      const init: RequestInit = { method, headers };
      if (body !== undefined) init.body = JSON.stringify(body);
      return read(await fetch(new URL(path, sim.url), init));
    }
  };
}

/** A simulator for the enclosing `describe`: started in `before`, closed in `after`. */
export function useBackCheck(options: BackCheckSimulatorOptions = {}): TestBackCheck {
  const bc = {} as TestBackCheck;
  before(async () => {
    Object.assign(bc, await startBackCheck(options));
  });
  after(() => bc.close());
  return bc;
}

export interface ReceivedCallback {
  receivedAt: number;
  /** The raw body exactly as received (what the signature covers). */
  body: string;
  signature: string | undefined;
  json: Record<string, unknown>;
}

export interface CallbackReceiver {
  url: string;
  received: ReceivedCallback[];
  /** The statuses to answer next, in order (then 200). */
  answers: number[];
  close(): Promise<void>;
}

/** An HTTP server recording every callback; answers `answers.shift() ?? 200`. */
export async function startCallbackReceiver(
  received: ReceivedCallback[] = [],
  answers: number[] = []
): Promise<CallbackReceiver> {
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = request.headers['backcheck-signature'];
      received.push({
        receivedAt: Date.now(),
        body,
        signature: Array.isArray(header) ? header[0] : header,
        json: JSON.parse(body) as Record<string, unknown>
      });
      response.statusCode = answers.shift() ?? 200;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `${listeningUrl(server, '127.0.0.1')}/callbacks`,
    received,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}

/** A receiver for the enclosing `describe`; tests empty `received` and `answers` in place. */
export function useCallbackReceiver(): CallbackReceiver {
  const receiver = { received: [], answers: [] } as unknown as CallbackReceiver;
  before(async () => {
    const started = await startCallbackReceiver(receiver.received, receiver.answers);
    receiver.url = started.url;
    receiver.close = started.close;
  });
  after(() => receiver.close());
  return receiver;
}
