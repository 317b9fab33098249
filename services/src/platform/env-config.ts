// A service's own configuration from environment variables (SAP_*, SECUREPAY_*, ...), next to
// the platform's: one zod schema, every problem listed in one error, and an entry-point wrapper
// that prints the problems and exits instead of showing a stack trace for an operator's typo.
// zod's messages never quote the input, so no secret is echoed.
import type { z } from 'zod';
import { ConfigError } from './config.ts';

export class ServiceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServiceConfigError';
  }
}

/** Parses `env` with `schema`; throws ServiceConfigError listing every invalid variable. */
export function parseServiceEnv<S extends z.ZodType>(
  service: string,
  schema: S,
  env: Record<string, string | undefined>
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`);
  throw new ServiceConfigError(
    `Invalid ${service} configuration (${lines.length} problem${lines.length === 1 ? '' : 's'}):\n${lines.join('\n')}`
  );
}

/** For entry points: a configuration error is printed and the process exits 1. */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ServiceConfigError || error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
