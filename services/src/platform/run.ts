// Entry points of service processes: `main.ts` of each scenario service is one line,
// `await runService(definition)`, and the lab composes several the same way.
//
// Production processes run under a process manager or container runtime that signals the node
// process itself (`node --import tsx services/src/<slice>/main.ts`, see docs/services-platform.md),
// never through npm, whose signal forwarding is not meant for supervision.
import { ConfigError, loadConfigs, type Env } from '../../../toolkit/src/env.ts';
import { platformConfig, type PlatformConfig } from './config.ts';
import { startPlatform, type Platform } from './index.ts';
import type { ConfiguredService, ServiceDefinition } from './service.ts';

export interface ProcessConfig {
  platform: PlatformConfig;
  services: ConfiguredService[];
}

/**
 * The platform's configuration and every service's, from one environment: one ConfigError lists
 * every problem of all of them.
 */
export function loadProcessConfig(
  env: Env,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  definitions: ReadonlyArray<ServiceDefinition<any>>
): ProcessConfig {
  const [platform, ...configs] = loadConfigs(env, [
    platformConfig,
    ...definitions.map((definition) => definition.config)
  ]) as [PlatformConfig, ...unknown[]];
  return {
    platform,
    services: definitions.map((definition, i) => ({ definition, config: configs[i] }))
  };
}

/**
 * What an entry point prints when it cannot start: a configuration error as it is (every
 * problem, no stack), anything else in one line. A busy port or an unreachable database is the
 * operator's to fix: say what, not where.
 */
export function describeStartFailure(what: string, error: unknown, hint = ''): string {
  if (error instanceof ConfigError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return `${what} could not start: ${message}${hint}`;
}

/** Runs one service as its own process until SIGINT/SIGTERM; exits 1 when it cannot start. */
export async function runService<C>(
  definition: ServiceDefinition<C>,
  env: Env = process.env
): Promise<Platform | undefined> {
  try {
    const loaded = loadProcessConfig(env, [definition]);
    return await startPlatform(loaded.platform, {
      services: loaded.services,
      handleSignals: true
    });
  } catch (error) {
    process.stderr.write(`${describeStartFailure(definition.name, error)}\n`);
    process.exitCode = 1;
    return undefined;
  }
}
