// POST /background-checks (BackgroundCheckContract.json: what Apex sends through the
// Background_Check_ESB Named Credential; bearer auth) and POST /backcheck/callbacks (BackCheck's
// signed callback: public for the bearer check, verified by its HMAC instead). Applicant data and
// check results are never logged; callbacks log reference, eventId and outcome class only.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  HttpError,
  RequestValidationError,
  jsonResponse,
  sendError,
  type RestClient
} from '../platform/index.ts';
import { createTokenVerifier } from '../platform/index.ts';
import { verifyRequest } from './application.ts';
import { parseJsonBodies } from '../../../toolkit/src/json-body.ts';
import type { Checks } from './checks.ts';
import type { CallbackOutcome } from './metrics.ts';
import { callbackBody, submitAnswer, submitBody, submitHeaders } from './schemas.ts';
import { SIGNATURE_HEADER, verifyBackCheckSignature } from './signature.ts';

/** A submit request is ~400 bytes. */
export const SUBMIT_BODY_LIMIT = 16 * 1024;
/** A callback is ~300 bytes plus BackCheck's notes. */
export const CALLBACK_BODY_LIMIT = 64 * 1024;

export interface BackgroundCheckRoutesOptions extends Record<string, unknown> {
  checks: Checks;
  /** The integration user's REST client: the submit is checked against the application. */
  rest: RestClient;
  /**
   * BACKGROUND_CHECK_API_TOKENS: the only bearer tokens that may submit checks (on top of the
   * platform's SERVICE_API_TOKENS check). Empty: no one may.
   */
  submitTokens: readonly string[];
  webhookSecret: string;
  /** A submit was recorded (the submit job is queued). */
  onRecorded?: () => void;
  /** A result was recorded: the outbox should write soon. */
  onResult?: () => void;
  /** Clock of the signature window (tests). */
  nowS?: () => number;
  /** Every callback's outcome (metrics). */
  onCallback?: (outcome: CallbackOutcome) => void;
}

const callbackAnswer = z.object({ status: z.enum(['recorded', 'duplicate']) });

export async function backgroundCheckRoutes(
  app: FastifyInstance,
  options: BackgroundCheckRoutesOptions
): Promise<void> {
  const { checks } = options;
  const submitToken = createTokenVerifier(options.submitTokens);
  // The platform accepted the token (SERVICE_API_TOKENS, shared by every service of the
  // process); this endpoint takes only its own, so another service's token cannot start checks.
  const maySubmit = (request: FastifyRequest): boolean => {
    const token = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(request.headers.authorization ?? '')?.[1];
    return token !== undefined && options.submitTokens.length > 0 && !!submitToken(token);
  };

  await app.register(async (submitScope) => {
    parseJsonBodies(
      submitScope,
      () =>
        new RequestValidationError([
          { location: 'body', path: '', code: 'invalid_json', message: 'is not valid JSON' }
        ]),
      { bodyLimit: SUBMIT_BODY_LIMIT }
    );
    submitScope.withTypeProvider<ZodTypeProvider>().post(
      '/background-checks',
      {
        bodyLimit: SUBMIT_BODY_LIMIT,
        config: {
          errorResponses: {
            403: '`forbidden`: the bearer token is not one of BACKGROUND_CHECK_API_TOKENS.',
            409: '`conflict`: a check with another request is still running for this application (same Idempotency-Key, other body). Needs support, not a resubmit. `not_pending`: the application is not Background Check Pending with this requestedAt; nothing is stored or sent.',
            422: '`photo_not_linked`: the contentVersionId is not the latest version of a File linked to the application. `applicant_incomplete`: the application lacks valid applicant data in Salesforce. Nothing is stored or sent.'
          }
        },
        schema: {
          operationId: 'submitBackgroundCheck',
          summary: 'Start the background check of a passport application',
          description:
            "Checks the request against the application in Salesforce (Pending, same requestedAt, the photo the latest version of one of its Files; the applicant data sent to BackCheck is read there, the body's copy is ignored), records it and answers at once; the photo is fetched from Salesforce and sent to BackCheck afterwards (job queue). The same request again answers the current state; another request while the check runs is 409; after the check ended (failed, expired, or its result delivered) another request starts a new attempt.",
          tags: ['background-check'],
          headers: submitHeaders,
          body: submitBody,
          response: {
            202: jsonResponse(
              submitAnswer,
              '`submitted`: recorded, BackCheck not yet called (reference null). `accepted`: BackCheck took the check (its reference).'
            )
          }
        }
      },
      async (request, reply) => {
        if (!maySubmit(request)) {
          request.log.warn(
            { principal: request.principal?.tokenId },
            'background check submit refused: token not in BACKGROUND_CHECK_API_TOKENS'
          );
          throw new HttpError(403, 'forbidden', 'This token may not submit background checks.');
        }
        const key = request.headers['idempotency-key'];
        const { body } = request;
        if (key !== `bgc-${body.applicationId}`) {
          throw new RequestValidationError([
            {
              location: 'headers',
              path: 'idempotency-key',
              code: 'custom',
              message: 'must be bgc- followed by the applicationId of the body'
            }
          ]);
        }
        const log = request.log.child({ applicationId: body.applicationId });
        const verified = await verifyRequest(options.rest, body);
        if (!verified.ok) {
          log.warn({ refusal: verified.refusal.code }, 'background check request refused');
          throw new HttpError(
            verified.refusal.status,
            verified.refusal.code,
            verified.refusal.message
          );
        }
        const outcome = await checks.record(key, verified.request);
        if (outcome.kind === 'conflict') {
          log.warn(
            { state: outcome.state },
            'background check conflict: other request for a running check'
          );
          throw new HttpError(
            409,
            'conflict',
            'A background check with another request is still running for this application.'
          );
        }
        log.info(
          { outcome: outcome.kind, attempt: outcome.attempt, state: outcome.answer.state },
          'background check request recorded'
        );
        if (outcome.kind !== 'replayed') options.onRecorded?.();
        return reply.code(202).send(outcome.answer);
      }
    );
  });

  await app.register(async (callbackScope) => {
    // The raw bytes: the signature is over them, so nothing may be parsed or re-serialized first.
    callbackScope.removeAllContentTypeParsers();
    callbackScope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: CALLBACK_BODY_LIMIT },
      (_request, body, done) => done(null, body)
    );
    callbackScope.post(
      '/backcheck/callbacks',
      {
        bodyLimit: CALLBACK_BODY_LIMIT,
        config: {
          public: true,
          errorResponses: {
            401: '`invalid_signature`: the BackCheck-Signature is missing, malformed, older than 5 minutes or does not match.',
            404: '`not_found`: no check has this reference.',
            409: '`replayed`: this eventId was received before for another reference; nothing is applied. (The same event resent for the same reference is 200 `duplicate`.)'
          }
        },
        schema: {
          operationId: 'backCheckCallback',
          summary: "BackCheck's signed callback when a check completes",
          tags: ['background-check'],
          response: {
            200: jsonResponse(
              callbackAnswer,
              '`recorded`: the result is stored and on its way to Salesforce. `duplicate`: the check had its result already, or this event was received before (a resend after a lost 200).'
            )
          }
        }
      },
      async (request, reply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const header = request.headers[SIGNATURE_HEADER];
        const check = verifyBackCheckSignature(
          options.webhookSecret,
          raw,
          Array.isArray(header) ? header.join(',') : header,
          options.nowS?.()
        );
        if (!check.ok) {
          options.onCallback?.('invalid_signature');
          request.log.warn({ reason: check.reason }, 'BackCheck callback refused: signature');
          return sendError(
            reply,
            401,
            'invalid_signature',
            'The BackCheck-Signature is not valid.'
          );
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        const body = callbackBody.safeParse(parsed);
        if (!body.success) {
          options.onCallback?.('invalid_body');
          request.log.error('signed BackCheck callback with an unusable body');
          return sendError(
            reply,
            400,
            'validation_failed',
            'The callback body is not a BackCheck result.'
          );
        }
        const { reference, eventId } = body.data;
        const log = request.log.child({ reference, eventId });
        const applied = await checks.applyCallback(body.data);
        options.onCallback?.(applied.outcome);
        if (applied.outcome === 'unknown') {
          log.warn('BackCheck callback for an unknown reference');
          return sendError(reply, 404, 'not_found', 'No background check has this reference.');
        }
        if (applied.outcome === 'replayed') {
          log.warn(
            { applicationId: applied.applicationId },
            'BackCheck callback refused: replayed eventId'
          );
          return sendError(reply, 409, 'replayed', 'This eventId was received before.');
        }
        // The outcome class only (recorded / duplicate): the check's result next to the
        // application id would be personal data in the logs (it is in Salesforce and the table).
        log.info(
          { applicationId: applied.applicationId, outcome: applied.outcome },
          'BackCheck callback'
        );
        if (applied.outcome === 'recorded') options.onResult?.();
        return reply.code(200).send({ status: applied.outcome });
      }
    );
  });
}
