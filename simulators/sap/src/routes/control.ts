/**
 * `/__sim/*`: the control API over HTTP, apart from every SAP path, without SAP auth, CSRF,
 * latency or failures, and not counted as SAP requests. It answers loopback clients only (403
 * otherwise) and, when the simulator was started with a driver secret, only requests with
 * `Authorization: Bearer <driver secret>` (401 otherwise; see toolkit/src/loopback.ts). Its
 * errors are `{"error": "<message>"}`.
 *
 * - `POST /__sim/reset` `{"numbers"?: true}`
 * - `GET|POST /__sim/latency` `{"ms": 20}`
 * - `GET|POST|DELETE /__sim/failures` `{"status": 503|500|429|"timeout", "count"?, "rate"?, "paths"?, "methods"?}`
 * - `POST /__sim/csrf/expire`, `POST /__sim/csrf/lifetime` `{"ms"}`
 * - `GET /__sim/partners`, `GET /__sim/partners/<number>`
 * - `GET /__sim/requests`, `POST /__sim/requests/reset`
 */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { controlAccessHook } from '../../../../toolkit/src/loopback.ts';
import type { SapSimulatorControl } from '../control.ts';

function body(request: FastifyRequest): Record<string, unknown> {
  const value = request.body ?? {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new RangeError('Expected a JSON object');
  return value as Record<string, unknown>;
}

export async function controlRoutes(
  app: FastifyInstance,
  options: { control: SapSimulatorControl; driverSecret?: string }
): Promise<void> {
  const { control } = options;
  await app.register(
    async (sim) => {
      sim.addHook(
        'onRequest',
        controlAccessHook({
          secret: options.driverSecret,
          realm: 'sap-simulator-control',
          refuse: (reply, refusal) => reply.code(refusal.status).send({ error: refusal.message })
        })
      );
      sim.setErrorHandler((error: FastifyError, _request, reply) => {
        const status = error instanceof RangeError ? 400 : (error.statusCode ?? 500);
        return reply.code(status).send({ error: error.message });
      });
      sim.setNotFoundHandler((request, reply) =>
        reply
          .code(404)
          .send({ error: `No simulator control route ${request.method} ${request.url}` })
      );

      sim.post('/reset', async (request) => {
        control.reset({ numbers: body(request).numbers === true });
        return { reset: true };
      });
      sim.get('/latency', async () => ({ ms: control.latencyMs() }));
      sim.post('/latency', async (request) => {
        const { ms } = body(request);
        if (typeof ms !== 'number') throw new RangeError('ms must be a number');
        control.setLatency(ms);
        return { ms: control.latencyMs() };
      });
      sim.get('/failures', async () => ({ rules: control.failures() }));
      sim.post('/failures', async (request, reply) =>
        reply.code(201).send(control.injectFailures(body(request) as never))
      );
      sim.delete('/failures', async () => {
        control.clearFailures();
        return { rules: [] };
      });
      sim.post('/csrf/expire', async () => ({ expired: control.expireCsrfTokens() }));
      sim.post('/csrf/lifetime', async (request) => {
        const { ms } = body(request);
        if (typeof ms !== 'number') throw new RangeError('ms must be a number');
        control.setCsrfTokenLifetime(ms);
        return { ms };
      });
      sim.get('/partners', async () => {
        const partners = control.partners();
        return { count: partners.length, partners };
      });
      sim.get<{ Params: { number: string } }>('/partners/:number', async (request, reply) => {
        const partner = control.partner(request.params.number);
        if (!partner) return reply.code(404).send({ error: `No partner ${request.params.number}` });
        return partner;
      });
      sim.get('/requests', async () => control.requests());
      sim.post('/requests/reset', async () => {
        control.resetRequests();
        return control.requests();
      });
    },
    { prefix: '/__sim' }
  );
}
