/**
 * BackCheck background-check agency simulator, for Scenario 3 (passport applications): the
 * agency takes a check with the applicant's photo, answers days later by a signed callback.
 *
 * - `POST /v1/checks` (Bearer API key, `Idempotency-Key`, multipart `request` + `photo`):
 *   202 `{reference: 'bck_...', status: 'pending', clientReference}`; 400, 401, 409, 413, 415.
 * - `GET /v1/checks/{reference}`: the check's state and, once completed, its result.
 * - A check completes after a delay on the simulator's clock (2-3 days by default, drawn per
 *   check; `/__sim/clock/advance` moves the clock); its result follows the passport number
 *   (results.ts: ending 9 not_clear, 8 inconclusive, else clear); then the callback is posted to
 *   the API key's callback URL, signed `BackCheck-Signature: t=...,v1=...` (signature.ts) and
 *   retried with exponential backoff (callbacks.ts).
 * - `/__sim/*` control API and `control`: clock, completion delay, callback URL, retry policy,
 *   submit failures (500, 503, 'timeout', latency), callback faults (lose, duplicate, delay,
 *   reorder, bad signature), the checks, callbacks and requests seen, reset. Loopback clients
 *   only, and with `driverSecret` only requests carrying it.
 *
 * The photo is never stored or logged (its type, size and SHA-256 are), nor the subject's data
 * (the passport number is kept to decide the result, and shown nowhere).
 *
 *   const bc = await startBackCheckSimulator({ port: 0, callbackUrl: 'http://127.0.0.1:9000/cb' });
 *   // bc.url, bc.apiKey, bc.webhookSecret, bc.control.advanceClock(3 * DAY_MS) ...
 *   await bc.close();
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Faults } from '../../../toolkit/src/faults.ts';
import { listeningUrl } from '../../../toolkit/src/listening-url.ts';
import { validateDriverSecret } from '../../../toolkit/src/loopback.ts';
import { buildBackCheckApp } from './app.ts';
import {
  CallbackSender,
  DEFAULT_RETRY_POLICY,
  validateRetryPolicy,
  type RetryPolicy
} from './callbacks.ts';
import { SimClock } from './clock.ts';
import { DEFAULT_COMPLETION_DELAY } from './completion.ts';
import type { BackCheckContext, CompletionDelay } from './context.ts';
import {
  createControl,
  validateCompletionDelay,
  type BackCheckSimulatorControl
} from './control.ts';
import { RequestLog } from './request-log.ts';
import { CheckStore } from './store.ts';

export { DAY_MS } from './completion.ts';
export { signCallback, verifySignature, SIGNATURE_HEADER } from './signature.ts';
export { TEST_PASSPORTS } from './results.ts';

export const DEFAULT_BACKCHECK_PORT = 8784;
export const DEFAULT_BACKCHECK_HOST = '127.0.0.1';
export const DEFAULT_BACKCHECK_API_KEY = 'backcheck-lab-key';
export const DEFAULT_BACKCHECK_WEBHOOK_SECRET = 'backcheck-lab-webhook-secret';
/** How long a 'timeout' submit failure holds the request before dropping it. */
export const DEFAULT_BACKCHECK_TIMEOUT_HOLD_MS = 30_000;

export interface BackCheckSimulatorOptions {
  /** 0 picks a free port (tests); default 8784. */
  port?: number;
  host?: string;
  /** The API key clients send as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Where that key's callbacks go; settable later (`control.setCallbackUrl`). */
  callbackUrl?: string;
  /** More clients (API key and callback URL), each seeing only its own checks. */
  extraClients?: Array<{ apiKey: string; callbackUrl?: string }>;
  /** The shared secret callbacks are signed with. */
  webhookSecret?: string;
  /** How long a check takes (default 2-3 days, drawn per check). */
  completionDelay?: CompletionDelay;
  /** Callback retries (default: 30 s doubling to 1 h, 8 attempts, 10 s per attempt). */
  retry?: Partial<RetryPolicy>;
  /** Latency added before every agency answer (not the control API). */
  latencyMs?: number;
  timeoutHoldMs?: number;
  /** Draws the completion delays (default Math.random). */
  random?: () => number;
  /**
   * The wall clock the simulated clock adds its offset to (default Date.now). Tests that assert
   * exact backoff timings freeze it, so real time passing on a busy machine cannot make a retry
   * due early.
   */
  wallClock?: () => number;
  /**
   * Guard the HTTP control API (`/__sim/*`) with `Authorization: Bearer <driverSecret>`. Set or
   * not, it answers loopback clients only.
   */
  driverSecret?: string;
  /** fastify logger options; bodies are never logged. */
  logger?: FastifyServerOptions['logger'];
}

export interface RunningBackCheckSimulator {
  /** `http://127.0.0.1:8784`: BACKCHECK_BASE_URL. */
  url: string;
  apiKey: string;
  webhookSecret: string;
  driverSecret: string | undefined;
  /** The control API in process (no secret needed). */
  control: BackCheckSimulatorControl;
  app: FastifyInstance;
  /** Stops the clock, aborts callbacks in flight, releases held requests, closes the server. */
  close(): Promise<void>;
}

export async function startBackCheckSimulator(
  options: BackCheckSimulatorOptions = {}
): Promise<RunningBackCheckSimulator> {
  const host = options.host ?? DEFAULT_BACKCHECK_HOST;
  const driverSecret = validateDriverSecret(options.driverSecret);
  const apiKey = options.apiKey ?? DEFAULT_BACKCHECK_API_KEY;
  const webhookSecret = options.webhookSecret ?? DEFAULT_BACKCHECK_WEBHOOK_SECRET;
  const clients = new Map<string, { callbackUrl: string | undefined }>([
    [apiKey, { callbackUrl: options.callbackUrl }],
    ...(options.extraClients ?? []).map(
      (client) => [client.apiKey, { callbackUrl: client.callbackUrl }] as const
    )
  ]);
  const completionDelay = validateCompletionDelay(
    options.completionDelay ?? DEFAULT_COMPLETION_DELAY
  );
  const retry = validateRetryPolicy(options.retry ?? {}, DEFAULT_RETRY_POLICY);
  const clock = new SimClock(options.wallClock);
  const ctx: BackCheckContext = {
    clients,
    store: new CheckStore(),
    clock,
    faults: new Faults(
      options.latencyMs ?? 0,
      1,
      options.timeoutHoldMs ?? DEFAULT_BACKCHECK_TIMEOUT_HOLD_MS
    ),
    callbacks: new CallbackSender(
      clock,
      webhookSecret,
      (key) => clients.get(key)?.callbackUrl,
      retry
    ),
    requests: new RequestLog(),
    completionDelay: { ...completionDelay },
    random: options.random ?? Math.random
  };
  let completed: string[] = [];
  const completedLog = {
    take() {
      const taken = completed;
      completed = [];
      return taken;
    }
  };
  const control = createControl(ctx, { completionDelay, retry }, completedLog);
  const app = await buildBackCheckApp({
    ctx,
    control,
    onComplete: (check) => completed.push(check.reference),
    logger: options.logger,
    ...(driverSecret !== undefined ? { driverSecret } : {})
  });
  await app.listen({ host, port: options.port ?? DEFAULT_BACKCHECK_PORT });
  const url = listeningUrl(app.server, host);

  let closing: Promise<void> | undefined;
  return {
    url,
    apiKey,
    webhookSecret,
    driverSecret,
    control,
    app,
    close: () =>
      (closing ??= (async () => {
        clock.stop();
        ctx.faults.release();
        await ctx.callbacks.close();
        await app.close();
      })())
  };
}
