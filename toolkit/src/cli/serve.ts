/**
 * Commands that start a server and run until stopped (the simulators' standalone CLIs): the same
 * `--help`, port flags, startup failure and stop handling for each, so they only say what to start
 * and what to print.
 */
import {
  intInRange,
  parseCommandLine,
  stringValue,
  type CommandSpec,
  type ParsedValues
} from './args.ts';
import { ScriptError } from './main.ts';
import { runUntilStopSignal, type StopLogger } from './signals.ts';

/** A TCP port flag, or `fallback` when it is absent; 0 lets the system pick a free port. */
export function portValue(values: ParsedValues, name: string, fallback: number): number {
  return intInRange(name, stringValue(values, name) ?? String(fallback), 0, 65535);
}

export interface StoppableServer {
  close(): Promise<void>;
  app: { log: StopLogger };
}

export interface ServerLaunch<S extends StoppableServer> {
  /** The flags that choose the ports (`port`, `grpc-port`), named when a port is taken. */
  portFlags: readonly string[];
  start(): Promise<S>;
  /** The lines a client needs to connect, printed on stdout once the server listens. */
  announce(server: S): readonly string[];
}

/**
 * The message for a port another process holds: the usual way a second copy of a simulator
 * fails, which deserves one line naming the flags to change rather than node's stack trace.
 * Undefined for any other error.
 */
function busyPortError(error: unknown, portFlags: readonly string[]): ScriptError | undefined {
  const { code, address, port } = error as { code?: string; address?: string; port?: number };
  if (code !== 'EADDRINUSE') return undefined;
  const flags = portFlags.map((flag) => `--${flag}`).join(' / ');
  return new ScriptError(
    `${address ?? 'the address'}:${port ?? ''} is already in use; pick another ${flags}.`
  );
}

/**
 * Parses the command line (printing the help when asked), starts the server `prepare` describes,
 * prints its announcement, then runs until a stop signal and closes it. Returns the exit code.
 */
export async function runServerCommand<S extends StoppableServer>(
  spec: CommandSpec,
  argv: readonly string[],
  prepare: (values: ParsedValues) => ServerLaunch<S>
): Promise<number> {
  const parsed = parseCommandLine(spec, argv);
  if (parsed.help) {
    console.log(parsed.text);
    return 0;
  }
  const launch = prepare(parsed.values);
  const server = await launch.start().catch((error: unknown) => {
    throw busyPortError(error, launch.portFlags) ?? error;
  });
  for (const line of launch.announce(server)) console.log(line);
  await runUntilStopSignal(() => server.close(), server.app.log);
  return 0;
}
