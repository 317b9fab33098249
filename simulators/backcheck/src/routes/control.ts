/**
 * `/__sim/*`: the control API over HTTP, apart from the agency paths: no API key, latency or
 * failures, not logged. Errors answer `{error, message}` like the agency. It answers loopback
 * clients only (403) and, when the simulator was started with a driver secret, only requests with
 * `Authorization: Bearer <driver secret>` (401; see toolkit/src/loopback.ts).
 *
 * - `POST /__sim/reset`
 * - `GET /__sim/clock`, `POST /__sim/clock/advance` `{"ms": 259200000}` -> `{now, completed}`
 * - `GET|POST /__sim/completion-delay` `{"minMs", "maxMs"}`
 * - `GET|POST /__sim/callback-url` `{"url": "http://...", "apiKey"?}` (`url: null` stops sending)
 * - `GET|POST /__sim/retry-policy` `{"initialDelayMs"?, "maxDelayMs"?, "maxAttempts"?, "attemptTimeoutMs"?}`
 * - `GET|POST /__sim/latency` `{"ms"}`
 * - `GET|POST|DELETE /__sim/failures` `{"status": 500|503|"timeout", "count"?, "rate"?, "paths"?, "methods"?}`
 * - `GET|POST|DELETE /__sim/callback-faults` `{"kind": "lose"|"duplicate"|"delay"|"reorder"|"bad_signature", "count"?, "delayMs"?}`
 * - `POST /__sim/callback-faults/release` (sends the callbacks a reorder rule holds)
 * - `GET /__sim/checks`, `/__sim/callbacks`, `/__sim/requests`
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { controlAccessHook } from '../../../../toolkit/src/loopback.ts';
import type { BackCheckSimulatorControl } from '../control.ts';
import { BackCheckError, handleError, sendError } from '../errors.ts';

/** Control errors: a refused setting (RangeError) is 400, the rest as on the agency paths. */
function controlError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  return error instanceof RangeError
    ? sendError(reply, new BackCheckError(400, 'validation_failed', error.message))
    : handleError(error, request, reply);
}

const body = (request: FastifyRequest) => (request.body ?? {}) as Record<string, unknown>;

export async function controlRoutes(
  app: FastifyInstance,
  { control, driverSecret }: { control: BackCheckSimulatorControl; driverSecret?: string }
): Promise<void> {
  await app.register(
    async (sim) => {
      sim.addHook(
        'onRequest',
        controlAccessHook({
          secret: driverSecret,
          realm: 'backcheck-simulator-control',
          refuse: (reply, refusal) =>
            sendError(
              reply,
              new BackCheckError(
                refusal.status,
                refusal.status === 401 ? 'unauthorized' : 'forbidden',
                refusal.message
              )
            )
        })
      );
      sim.setErrorHandler(controlError);
      sim.setNotFoundHandler((request, reply) =>
        sendError(
          reply,
          new BackCheckError(404, 'not_found', `No route ${request.method} ${request.url}`)
        )
      );

      sim.post('/reset', async () => {
        control.reset();
        return { reset: true };
      });
      sim.get('/clock', async () => control.clock());
      sim.post('/clock/advance', async (request) => {
        const { ms } = body(request);
        if (typeof ms !== 'number') throw new RangeError('Send {"ms": <number>}');
        return control.advanceClock(ms);
      });
      sim.get('/completion-delay', async () => control.completionDelay());
      sim.post('/completion-delay', async (request) => {
        control.setCompletionDelay(body(request) as never);
        return control.completionDelay();
      });
      sim.get('/callback-url', async (request) => {
        const apiKey = (request.query as Record<string, string | undefined>).apiKey;
        return { url: control.callbackUrl(apiKey) ?? null };
      });
      sim.post('/callback-url', async (request) => {
        const { url, apiKey } = body(request);
        if (apiKey !== undefined && typeof apiKey !== 'string') {
          throw new RangeError('apiKey must be a string');
        }
        control.setCallbackUrl(url as string | undefined, apiKey);
        return { url: control.callbackUrl(apiKey) ?? null };
      });
      sim.get('/retry-policy', async () => control.retryPolicy());
      sim.post('/retry-policy', async (request) => control.setRetryPolicy(body(request)));
      sim.get('/latency', async () => ({ ms: control.latencyMs() }));
      sim.post('/latency', async (request) => {
        control.setLatency(body(request).ms as number);
        return { ms: control.latencyMs() };
      });
      sim.get('/failures', async () => ({ rules: control.failures() }));
      sim.post('/failures', async (request, reply) =>
        reply.code(201).send(control.injectFailures(request.body as never))
      );
      sim.delete('/failures', async () => {
        control.clearFailures();
        return { rules: [] };
      });
      sim.get('/callback-faults', async () => ({ rules: control.callbackFaults() }));
      sim.post('/callback-faults', async (request, reply) =>
        reply.code(201).send(control.injectCallbackFault(request.body as never))
      );
      sim.delete('/callback-faults', async () => {
        control.clearCallbackFaults();
        return { rules: [] };
      });
      sim.post('/callback-faults/release', async () => ({
        released: control.releaseHeldCallbacks()
      }));
      sim.get('/checks', async () => {
        const checks = control.checks();
        return { count: checks.length, checks };
      });
      sim.get('/callbacks', async () => {
        const callbacks = control.callbacks();
        return { count: callbacks.length, callbacks };
      });
      sim.get('/requests', async () => {
        const requests = control.requests();
        return { count: requests.length, requests };
      });
    },
    { prefix: '/__sim' }
  );
}
