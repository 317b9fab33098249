/**
 * A small typed wrapper around the project's local Salesforce CLI (`node_modules/@salesforce/cli`).
 *
 * Every call adds `--json` and parses sf's JSON envelope instead of scraping text. The shapes
 * below were observed from sf 2.146.3 on this machine (see scripts/README.md, "Observed sf JSON"):
 *
 *   success: {"status": 0, "result": {...}, "warnings": [...]}
 *   failure: {"name": "NoDefaultEnvError", "message": "...", "exitCode": 1, "code": "...",
 *             "status": 1, "context": "DeployMetadata", "commandName": "DeployMetadata",
 *             "actions"?: [...], "data"?: ..., "stack": "...", "warnings": [...]}
 *
 * Some commands finish with a non-zero status AND a `result` (a failed deploy: status 1;
 * `apex run test` with failing tests: status 100; `org assign permset` with failures: 1 or 68).
 * Callers list the statuses they accept; any other status throws an {@link SfCommandError} that
 * still carries the `result` so the caller can explain what failed.
 *
 * The process is started through an injectable {@link SfRunner}, so everything that decides
 * *what* to run is unit-tested with a fake runner and never spawns sf.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { oneLine } from '../../toolkit/src/cli/main.ts';
import { projectRoot } from '../../toolkit/src/project.ts';

/** Environment every sf invocation gets: no background auto-update, no update-check warning. */
export const SF_ENV: Readonly<Record<string, string>> = {
  SF_DISABLE_AUTOUPDATE: 'true',
  SF_AUTOUPDATE_DISABLE: 'true',
  // Stops the "update available" check (a network call and a warning on every command).
  SF_SKIP_NEW_VERSION_CHECK: 'true'
};

/** sf's error names this project reacts to (observed from the real CLI, not guessed). */
export const SF_ERROR = {
  /** No `--target-org` and no usable `target-org` config (also when the config names an org with no auth). */
  NoDefaultEnv: 'NoDefaultEnvError',
  /** `org create scratch` with no `--target-dev-hub` and no `target-dev-hub` config. */
  NoDefaultDevHub: 'NoDefaultDevHubError',
  /** An alias/username that has no local authorisation. */
  NamedOrgNotFound: 'NamedOrgNotFoundError'
} as const;

/** What a runner reports about one finished sf process. */
export interface SfProcessResult {
  /** Exit code, or null when the process was killed by a signal. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** True when the runner killed the process because it exceeded `timeoutMs`. */
  timedOut?: boolean;
}

export interface SfRunOptions {
  /** Kill sf after this many milliseconds (no limit when omitted). */
  timeoutMs?: number;
}

/** Starts sf with the given arguments (which already include `--json`). Injected in tests. */
export interface SfRunner {
  run(args: readonly string[], options?: SfRunOptions): Promise<SfProcessResult>;
}

/** sf's success envelope. */
export interface SfSuccess<T> {
  status: number;
  result: T;
  warnings: string[];
}

/** A failed sf command: sf's own error `name`, `message` and exit code, plus its partial result. */
export class SfCommandError extends Error {
  override readonly name = 'SfCommandError';
  /** sf's error name, e.g. `NoDefaultEnvError`; `SfOutputError` when sf printed no JSON. */
  readonly sfName: string;
  /** The sf process exit code (null when killed). */
  readonly exitCode: number | null;
  /** The sf arguments, for messages. */
  readonly args: readonly string[];
  /** sf's suggested actions, when it gave any. */
  readonly actions: readonly string[];
  /** The command's `result` when sf exited with a status the caller did not accept. */
  readonly result: unknown;
  /** sf's `data` field on errors (some commands attach partial results there). */
  readonly data: unknown;

  constructor(init: {
    sfName: string;
    message: string;
    exitCode: number | null;
    args: readonly string[];
    actions?: readonly string[];
    result?: unknown;
    data?: unknown;
  }) {
    super(init.message);
    this.sfName = init.sfName;
    this.exitCode = init.exitCode;
    this.args = init.args;
    this.actions = init.actions ?? [];
    this.result = init.result;
    this.data = init.data;
  }

  /** `sf project deploy start` (the command words, without flags). */
  get command(): string {
    return commandWords(this.args);
  }

  /** One line for the user: the command, sf's message and error name, sf's first hint. */
  describeFailure(): string {
    const action = this.actions[0] ? ` Hint: ${oneLine(this.actions[0])}` : '';
    return `${this.command} failed: ${oneLine(this.message)} (${this.sfName})${action}`;
  }
}

/** The command words of an sf argument list: `sf project deploy start`. */
export function commandWords(args: readonly string[]): string {
  const words: string[] = [];
  for (const arg of args) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  return `sf ${words.join(' ')}`;
}

export function isSfError(error: unknown, sfName?: string): error is SfCommandError {
  return error instanceof SfCommandError && (sfName === undefined || error.sfName === sfName);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Extracts sf's JSON envelope from stdout. sf prints only JSON there in `--json` mode, but a
 * plugin or Node warning could prepend text, so fall back to the first line that opens an object.
 */
export function parseSfJson(stdout: string): Record<string, unknown> | undefined {
  const text = stdout.trim();
  if (!text) return undefined;
  const candidates = [text];
  const start = text.search(/^\{/m);
  if (start > 0) candidates.push(text.slice(start));
  for (const candidate of candidates) {
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (isRecord(parsed)) return parsed;
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

/**
 * Turns one finished sf process into its result, or throws an {@link SfCommandError}.
 * Exported for tests; use {@link Sf.json}.
 */
export function interpretSfProcess<T>(
  args: readonly string[],
  processResult: SfProcessResult,
  okStatuses: readonly number[] = [0]
): SfSuccess<T> {
  const command = commandWords(args);
  if (processResult.timedOut) {
    throw new SfCommandError({
      sfName: 'SfTimeout',
      message: `${command} did not finish in time and was stopped`,
      exitCode: processResult.exitCode,
      args
    });
  }
  const envelope = parseSfJson(processResult.stdout) ?? parseSfJson(processResult.stderr);
  if (!envelope) {
    const tail = oneLine(`${processResult.stderr}\n${processResult.stdout}`).slice(-400);
    throw new SfCommandError({
      sfName: 'SfOutputError',
      message: `${command} exited with code ${String(processResult.exitCode)} without JSON output${tail ? `: ${tail}` : ''}`,
      exitCode: processResult.exitCode,
      args
    });
  }
  const status =
    typeof envelope.status === 'number' ? envelope.status : (processResult.exitCode ?? 1);
  const warnings = stringArray(envelope.warnings);
  const hasResult = 'result' in envelope;
  if (hasResult && okStatuses.includes(status)) {
    return { status, result: envelope.result as T, warnings };
  }
  const sfName = typeof envelope.name === 'string' ? envelope.name : 'SfCommandFailed';
  const message =
    typeof envelope.message === 'string'
      ? envelope.message
      : `${command} finished with status ${status}`;
  throw new SfCommandError({
    sfName,
    message,
    exitCode: typeof envelope.exitCode === 'number' ? envelope.exitCode : processResult.exitCode,
    args,
    actions: stringArray(envelope.actions),
    result: hasResult ? envelope.result : undefined,
    data: envelope.data
  });
}

/** Runs sf commands with `--json` through a runner and returns their parsed `result`. */
export class Sf {
  constructor(private readonly runner: SfRunner) {}

  /** Runs `sf <args> --json`; returns the envelope when its status is in `okStatuses` (default [0]). */
  async json<T>(
    args: readonly string[],
    options: SfRunOptions & { okStatuses?: readonly number[] } = {}
  ): Promise<SfSuccess<T>> {
    const fullArgs = args.includes('--json') ? [...args] : [...args, '--json'];
    const { okStatuses, ...runOptions } = options;
    const processResult = await this.runner.run(fullArgs, runOptions);
    return interpretSfProcess<T>(fullArgs, processResult, okStatuses);
  }

  /**
   * For the few commands whose `--json` output is not the envelope (`sf version --json` prints
   * {"architecture","cliVersion","nodeVersion"} directly): the parsed object when sf exits 0.
   */
  async plainJson<T>(args: readonly string[], options: SfRunOptions = {}): Promise<T> {
    const fullArgs = args.includes('--json') ? [...args] : [...args, '--json'];
    const processResult = await this.runner.run(fullArgs, options);
    const parsed = parseSfJson(processResult.stdout);
    if (processResult.exitCode !== 0 || !parsed || processResult.timedOut) {
      // Reuse the envelope rules for the error (timeout, sf error JSON, no JSON at all).
      interpretSfProcess(fullArgs, processResult, []);
    }
    return parsed as T;
  }

  /** Like {@link json} but returns only `result`. */
  async result<T>(
    args: readonly string[],
    options: SfRunOptions & { okStatuses?: readonly number[] } = {}
  ): Promise<T> {
    return (await this.json<T>(args, options)).result;
  }
}

/** Path of the project's own sf entry point (never a global `sf`, whose version may differ). */
export function localSfEntry(root: string = projectRoot()): string {
  return path.join(root, 'node_modules', '@salesforce', 'cli', 'bin', 'run.js');
}

/** The real runner: spawns the local sf with Node, the project root as cwd and {@link SF_ENV}. */
export function createProcessRunner(root: string = projectRoot()): SfRunner {
  const entry = localSfEntry(root);
  return {
    run(args, options = {}) {
      if (!existsSync(entry)) {
        return Promise.reject(
          new SfCommandError({
            sfName: 'SfNotInstalled',
            message: `The Salesforce CLI is not installed in this project (${path.relative(root, entry)} is missing): run npm ci`,
            exitCode: null,
            args
          })
        );
      }
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [entry, ...args], {
          cwd: root,
          env: { ...process.env, ...SF_ENV },
          stdio: ['ignore', 'pipe', 'pipe']
        });
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        const timer =
          options.timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                timedOut = true;
                child.kill('SIGTERM');
              }, options.timeoutMs);
        child.on('error', (error) => {
          if (timer) clearTimeout(timer);
          reject(error);
        });
        child.on('close', (code) => {
          if (timer) clearTimeout(timer);
          resolve({ exitCode: code, stdout, stderr, timedOut });
        });
      });
    }
  };
}

/** An {@link Sf} bound to the project's local CLI. */
export function createSf(root: string = projectRoot()): Sf {
  return new Sf(createProcessRunner(root));
}
