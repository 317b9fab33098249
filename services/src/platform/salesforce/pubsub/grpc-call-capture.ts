// Access to the gRPC stream that salesforce-pubsub-api-client opens for a subscription.
//
// Why: the client keeps the stream private, and its close() removes the stream's listeners and
// closes the channel but leaves the call itself open. When the server later ends that call (a
// restart, an idle timeout: status CANCELLED/UNAVAILABLE) the stream emits 'error' with no
// listener, which Node turns into an uncaught exception: the whole process dies. Holding the
// stream lets the subscriber re-attach an error listener after close() and cancel the call
// itself.
//
// How: the client writes the first FetchRequest synchronously inside subscribe*(); during that
// synchronous window every write on a gRPC client duplex stream is recorded. Outside the window
// the wrapped write is a plain pass-through. The grpc-js instance patched is the one the client
// resolves, so the two cannot diverge.
import { createRequire } from 'node:module';

/** The parts of a grpc-js ClientDuplexStream the subscriber uses. */
export interface CapturedCall {
  cancel(): void;
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

interface DuplexPrototype {
  write(this: CapturedCall, ...args: unknown[]): boolean;
}

let recording: CapturedCall[] | undefined;
let installed: boolean | undefined;

function install(): boolean {
  if (installed !== undefined) return installed;
  try {
    const fromHere = createRequire(import.meta.url);
    const fromClient = createRequire(fromHere.resolve('salesforce-pubsub-api-client'));
    const grpcEntry = fromClient.resolve('@grpc/grpc-js');
    const callModule = createRequire(grpcEntry)('./call.js') as {
      ClientDuplexStreamImpl?: { prototype: DuplexPrototype };
    };
    const prototype = callModule.ClientDuplexStreamImpl?.prototype;
    if (prototype === undefined || typeof prototype.write !== 'function') {
      installed = false;
      return false;
    }
    const original = prototype.write;
    prototype.write = function (this: CapturedCall, ...args: unknown[]): boolean {
      if (recording !== undefined && !recording.includes(this)) recording.push(this);
      return original.apply(this, args);
    };
    installed = true;
  } catch {
    // An unexpected grpc-js layout: callers fall back to not closing the client (see
    // connection.ts), which is leakier but still cannot crash.
    installed = false;
  }
  return installed;
}

/**
 * Runs `fn` (synchronously) and returns the gRPC client streams it wrote to. `available` is false
 * when the hook could not be installed on this grpc-js version.
 */
export function captureClientStreams<T>(fn: () => T): {
  result: T;
  calls: CapturedCall[];
  available: boolean;
} {
  const available = install();
  const previous = recording;
  const calls: CapturedCall[] = [];
  recording = calls;
  try {
    return { result: fn(), calls, available };
  } finally {
    recording = previous;
  }
}
