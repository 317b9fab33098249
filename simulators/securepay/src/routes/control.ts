/**
 * `/__sim/*`: the control API over HTTP, apart from the gateway paths: no gateway auth, latency
 * or failures, not counted. Errors answer `{ errors: [{ code, detail }] }` like the gateway.
 * It answers loopback clients only (403 `forbidden`) and, when the simulator was started with a
 * driver secret, only requests with `Authorization: Bearer <driver secret>` (401
 * `unauthorized`; see toolkit/src/loopback.ts).
 *
 * - `POST /__sim/reset`
 * - `GET|POST /__sim/latency` `{"ms": 20}`
 * - `GET|POST|DELETE /__sim/failures` `{"status": 503|500|"timeout", "count"?, "rate"?, "paths"?, "methods"?}`
 * - `POST /__sim/failures-after-charge` `{"count"?, "status"?: 500|502|504}`: charges applied,
 *   then answered with that status (DELETE /__sim/failures clears them too)
 * - `GET /__sim/charges` (never a card number), `GET /__sim/requests`
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { controlAccessHook } from '../../../../toolkit/src/loopback.ts';
import type { SecurePaySimulatorControl } from '../control.ts';
import { handleError, item, SecurePayError, sendError } from '../errors.ts';

const latencyBody = z.object({ ms: z.number('ms must be a number') });
const afterChargeBody = z.object({
  count: z.number().int().min(1).optional(),
  status: z.union([z.literal(500), z.literal(502), z.literal(504)]).optional()
});

/** Control errors: a refused setting (RangeError) is 400, the rest as on the gateway. */
function controlError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const refused = error instanceof RangeError;
  const problem = refused
    ? new SecurePayError(400, item('invalid_request', error.message))
    : undefined;
  return problem ? sendError(reply, problem) : handleError(error, request, reply);
}

export async function controlRoutes(
  app: FastifyInstance,
  { control, driverSecret }: { control: SecurePaySimulatorControl; driverSecret?: string }
): Promise<void> {
  await app.register(
    async (sim) => {
      sim.addHook(
        'onRequest',
        controlAccessHook({
          secret: driverSecret,
          realm: 'securepay-simulator-control',
          refuse: (reply, refusal) =>
            sendError(
              reply,
              new SecurePayError(
                refusal.status,
                item(refusal.status === 401 ? 'unauthorized' : 'forbidden', refusal.message)
              )
            )
        })
      );
      sim.setErrorHandler(controlError);
      // Unknown control paths answer like any unknown path, but only past the guard.
      sim.setNotFoundHandler((request, reply) =>
        sendError(
          reply,
          new SecurePayError(404, item('not_found', `No route ${request.method} ${request.url}`))
        )
      );

      sim.post('/reset', async () => {
        control.reset();
        return { reset: true };
      });
      sim.get('/latency', async () => ({ ms: control.latencyMs() }));
      sim.post('/latency', async (request) => {
        const parsed = latencyBody.safeParse(request.body);
        if (!parsed.success) throw new RangeError('Send {"ms": <number>}');
        control.setLatency(parsed.data.ms);
        return { ms: control.latencyMs() };
      });
      sim.get('/failures', async () => ({ rules: control.failures() }));
      sim.post('/failures', async (request, reply) =>
        reply.code(201).send(control.injectFailures(request.body as never))
      );
      sim.post('/failures-after-charge', async (request, reply) => {
        const parsed = afterChargeBody.safeParse(request.body ?? {});
        if (!parsed.success)
          throw new RangeError('Send {"count"?: n >= 1, "status"?: 500|502|504}');
        control.failAfterCharging(parsed.data);
        return reply.code(201).send(parsed.data);
      });
      sim.delete('/failures', async () => {
        control.clearFailures();
        return { rules: [] };
      });
      sim.get('/charges', async () => {
        const charges = control.charges();
        return { count: charges.length, charges };
      });
      sim.get('/requests', async () => control.requests());
    },
    { prefix: '/__sim' }
  );
}
