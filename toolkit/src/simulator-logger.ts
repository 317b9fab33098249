/**
 * Logger options for the simulators' fastify servers: the caller's pino options with a request
 * serializer that keeps method, url and address (never the body or headers), and redaction of
 * the fields each simulator names, should anything log them anyway. One place, so a simulator
 * cannot forget half of it.
 */
import type { FastifyServerOptions } from 'fastify';

export type SimulatorLoggerOption = FastifyServerOptions['logger'];

/** Always redacted: request bodies and the Authorization header. */
const ALWAYS_REDACTED = ['req.body', 'req.headers.authorization', 'body'];

/**
 * @param logger the caller's option (false/undefined: no logging; true: pino's defaults)
 * @param redactedPaths pino redaction paths of the simulator's sensitive fields
 */
export function safeLogger(
  logger: SimulatorLoggerOption,
  redactedPaths: readonly string[]
): SimulatorLoggerOption {
  if (!logger) return false;
  const base = logger === true ? {} : logger;
  return {
    ...base,
    serializers: {
      ...base.serializers,
      req: (request: { method: string; url: string; ip?: string }) => ({
        method: request.method,
        url: request.url,
        remoteAddress: request.ip
      })
    },
    redact: { paths: [...ALWAYS_REDACTED, ...redactedPaths], censor: '[redacted]' }
  };
}
