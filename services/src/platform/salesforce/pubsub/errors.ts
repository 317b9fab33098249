// What the subscriber reads out of a failed Subscribe call. The Pub/Sub API puts its own error
// code in the gRPC trailer `error-code`; the gRPC status code alone is too coarse (a rejected
// replay id and a malformed request are both INVALID_ARGUMENT).

/** Error codes of the Pub/Sub API this subscriber reacts to (gRPC trailer `error-code`). */
export const PUBSUB_ERROR_CODES = {
  replayIdCorrupted: 'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted',
  authError: 'sfdc.platform.eventbus.grpc.service.auth.error'
} as const;

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_UNAUTHENTICATED = 16;

function errorCodeOf(error: unknown): string | undefined {
  const metadata = (error as { metadata?: { get?: (key: string) => unknown[] } } | undefined)
    ?.metadata;
  const value = typeof metadata?.get === 'function' ? metadata.get('error-code')[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The server refused the CUSTOM replay id (aged out of retention, or a reset stream). */
export function isReplayIdRejection(error: unknown): boolean {
  if (errorCodeOf(error) === PUBSUB_ERROR_CODES.replayIdCorrupted) return true;
  // A proxy may drop trailers: the status text says it too.
  const details = (error as { details?: unknown } | undefined)?.details;
  return (
    (error as { code?: unknown } | undefined)?.code === GRPC_INVALID_ARGUMENT &&
    typeof details === 'string' &&
    /replay id validation failed/i.test(details)
  );
}

/** The server rejected the access token: the next connection needs a fresh one. */
export function isAuthFailure(error: unknown): boolean {
  return (
    (error as { code?: unknown } | undefined)?.code === GRPC_UNAUTHENTICATED ||
    errorCodeOf(error) === PUBSUB_ERROR_CODES.authError
  );
}

export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
