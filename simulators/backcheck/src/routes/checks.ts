/**
 * The agency API (Bearer API key on every path):
 *
 * - `POST /v1/checks` multipart/form-data, parts `request` (JSON) and `photo` (JPEG/PNG, at most
 *   10 MB), `Idempotency-Key` required: 202 `{reference, status: 'pending', clientReference}`.
 *   The same key with the same request answers the same reference again
 *   (`Idempotent-Replayed: true`); with another request, 409 `conflict`.
 * - `GET /v1/checks/{reference}`: 200 the check's state, 404 `not_found` (also for another
 *   key's check).
 *
 * Before anything is read: the request is logged, the latency and injected failures applied
 * (500, 503, or 'timeout': held, then the connection is dropped), then the key and the
 * Idempotency-Key checked, so a refused upload is never read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { secretMatches, bearerToken } from '../../../../toolkit/src/loopback.ts';
import { scheduleCompletion, drawDelay } from '../completion.ts';
import type { BackCheckContext, RouteOptions } from '../context.ts';
import { BackCheckError, unauthorized, validationFailed } from '../errors.ts';
import { readCheckForm, type CheckForm } from '../form.ts';
import { REFERENCE_PATTERN } from '../ids.ts';
import { fingerprintOf, viewOf, type Check } from '../store.ts';

const idempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/);

/** What the hooks learn about a request, for the request log. */
interface Notes {
  apiKey?: string;
  reference?: string;
  injected?: string;
  replayed?: boolean;
}

const INJECTED: Readonly<Record<500 | 503, BackCheckError>> = {
  503: new BackCheckError(
    503,
    'service_unavailable',
    'BackCheck is unavailable (simulated failure)'
  ),
  500: new BackCheckError(500, 'internal_error', 'BackCheck failed (simulated failure)')
};

function apiKeyOf(ctx: BackCheckContext, request: FastifyRequest): string {
  const token = bearerToken(request.headers.authorization);
  if (token === undefined) throw unauthorized('Send Authorization: Bearer <api key>');
  for (const key of ctx.clients.keys()) if (secretMatches(token, key)) return key;
  throw unauthorized('Unknown API key');
}

export async function checkRoutes(
  app: FastifyInstance,
  { ctx, onComplete }: RouteOptions & { onComplete: (check: Check) => void }
): Promise<void> {
  const notes = new WeakMap<FastifyRequest, Notes>();
  const noteOf = (request: FastifyRequest) => {
    let note = notes.get(request);
    if (!note) notes.set(request, (note = {}));
    return note;
  };

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const note = noteOf(request);
    await ctx.faults.delay();
    const path = (request.url.split('?')[0] ?? '').replace(/^\/+/, '');
    const failure = ctx.faults.pick(request.method, path);
    if (failure === 'timeout') {
      note.injected = 'timeout';
      await ctx.faults.hold();
      // onResponse never runs for a dropped connection: log it here.
      ctx.requests.add({
        at: new Date().toISOString(),
        method: request.method,
        route: request.routeOptions.url ?? path,
        status: 0,
        injected: 'timeout'
      });
      // No answer at all: the client sees its own timeout or a dropped connection.
      reply.hijack();
      reply.raw.destroy();
      return reply;
    }
    if (failure !== undefined) {
      note.injected = String(failure);
      throw INJECTED[failure === 500 ? 500 : 503];
    }
    note.apiKey = apiKeyOf(ctx, request);
    return undefined;
  });

  app.addHook('onResponse', async (request, reply) => {
    const note = noteOf(request);
    ctx.requests.add({
      at: new Date().toISOString(),
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0] ?? '',
      status: reply.statusCode,
      ...(note.reference !== undefined ? { reference: note.reference } : {}),
      ...(note.injected !== undefined ? { injected: note.injected } : {}),
      ...(note.replayed !== undefined ? { replayed: note.replayed } : {})
    });
  });

  // The photo streams through the form reader: nothing buffers the body.
  app.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    readCheckForm(payload as typeof request.raw).then(
      (form) => done(null, form),
      (error: Error) => done(error, undefined)
    );
  });

  app.post(
    '/v1/checks',
    {
      onRequest: async (request) => {
        const key = request.headers['idempotency-key'];
        if (key === undefined) throw validationFailed('Send an Idempotency-Key header');
        if (!idempotencyKey.safeParse(key).success) {
          throw validationFailed('Idempotency-Key must be 1 to 255 visible ASCII characters');
        }
        if (!/^multipart\/form-data/i.test(request.headers['content-type'] ?? '')) {
          throw new BackCheckError(415, 'unsupported_media_type', 'Send multipart/form-data');
        }
      }
    },
    async (request, reply) => {
      const form = request.body as CheckForm | undefined;
      if (!form) throw validationFailed('Send the parts "request" and "photo"');
      const note = noteOf(request);
      const apiKey = note.apiKey!;
      const key = String(request.headers['idempotency-key']);
      // Synchronous from the lookup to the insert: one key makes one check.
      const { check, replay } = ctx.store.submit(
        apiKey,
        key,
        fingerprintOf(form.request, form.photo),
        (reference) => {
          const submittedAt = ctx.clock.now();
          return {
            reference,
            apiKey,
            clientReference: form.request.clientReference,
            passportNumber: form.request.subject.passportNumber,
            photo: form.photo,
            submittedAt,
            dueAt: submittedAt + drawDelay(ctx),
            status: 'pending',
            result: null,
            notes: null,
            completedAt: null
          };
        }
      );
      if (!replay) scheduleCompletion(ctx, check, onComplete);
      note.reference = check.reference;
      note.replayed = replay;
      return reply.code(202).header('idempotent-replayed', String(replay)).send({
        reference: check.reference,
        status: check.status,
        clientReference: check.clientReference
      });
    }
  );

  app.get<{ Params: { reference: string } }>('/v1/checks/:reference', async (request) => {
    const { reference } = request.params;
    const check = REFERENCE_PATTERN.test(reference) ? ctx.store.get(reference) : undefined;
    if (!check || check.apiKey !== noteOf(request).apiKey) {
      throw new BackCheckError(404, 'not_found', 'No check with that reference');
    }
    noteOf(request).reference = check.reference;
    return viewOf(check);
  });
}
