// One JSON body parser for every HTTP API here (the services and the simulators of SAP, SecurePay
// and Salesforce): an empty body is no body (a DELETE or GET sent with a content type), and a body
// that is not JSON becomes the API's own 400, built by `invalid`, instead of fastify's message.
// `invalid` gets JSON.parse's message, which may quote the body: an API that can receive card
// data must not echo it.
import type { FastifyInstance } from 'fastify';

export function parseJsonBodies(
  app: FastifyInstance,
  invalid: (parseMessage: string) => Error,
  options: { bodyLimit?: number } = {}
): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string', ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}) },
    (_request, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (error) {
        done(invalid((error as Error).message), undefined);
      }
    }
  );
}
