/**
 * The real Salesforce CLI (`node_modules/.bin/sf`) against a test emulator. Every run has a
 * temporary HOME (also its working directory), so the user's own sf authorisations are never
 * touched, and the emulator's current access token in `SF_ACCESS_TOKEN`.
 * Always `await cli.removeHome()` (e.g. in `after`).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { promisify } from 'node:util';
import type jsforce from 'jsforce';
import { REPO_ROOT, type TestEmulator } from './emulator.ts';
import { useJsforceEmulator } from './jsforce.ts';

const run = promisify(execFile);
const SF = join(REPO_ROOT, 'node_modules', '.bin', 'sf');

/** What `sf ... --json` printed: its `status` and `result`, and the raw output for messages. */
export interface SfAnswer {
  status: number;
  result: unknown;
  raw: string;
}

export interface SfCli {
  /** The temporary HOME of the runs. */
  home: string;
  /** Runs `sf <args> --json`; a failing command answers its JSON too. */
  sf(args: string[]): Promise<SfAnswer>;
  /** `sf org login access-token` on the emulator's instance URL, saved under `alias`. */
  login(alias: string): Promise<SfAnswer>;
  removeHome(): Promise<void>;
}

export async function createSfCli(
  emulator: TestEmulator,
  options: { homePrefix: string; timeoutMs: number; env?: NodeJS.ProcessEnv }
): Promise<SfCli> {
  const home = await mkdtemp(join(tmpdir(), options.homePrefix));

  async function sf(args: string[]): Promise<SfAnswer> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      SF_ACCESS_TOKEN: emulator.accessToken,
      SF_DISABLE_AUTOUPDATE: 'true',
      SF_AUTOUPDATE_DISABLE: 'true',
      SF_DISABLE_TELEMETRY: 'true',
      SF_SKIP_NEW_VERSION_CHECK: 'true',
      SF_USE_GENERIC_UNIX_KEYCHAIN: 'true',
      ...options.env
    };
    let stdout: string;
    try {
      ({ stdout } = await run(SF, [...args, '--json'], {
        env,
        cwd: home,
        timeout: options.timeoutMs
      }));
    } catch (error) {
      stdout = (error as { stdout?: string }).stdout ?? String(error);
    }
    const parsed = JSON.parse(stdout) as { status: number; result: unknown };
    return { status: parsed.status, result: parsed.result, raw: stdout };
  }

  return {
    home,
    sf,
    login: (alias) =>
      sf([
        'org',
        'login',
        'access-token',
        '--instance-url',
        emulator.instanceUrl,
        '--no-prompt',
        '--alias',
        alias
      ]),
    removeHome: () => rm(home, { recursive: true, force: true })
  };
}

/** What a test of a file using {@link useJsforceEmulatorWithCli} works with. */
export interface CliTestOrg {
  emulator: TestEmulator;
  conn: jsforce.Connection;
  /** Runs `sf <args> --target-org <the emulator> --json`, logged in at the first run. */
  sf(args: string[]): Promise<SfAnswer>;
}

const CLI_ALIAS = 'emulator';

/**
 * useJsforceEmulator for files that also run the sf CLI: one CLI home for the file (removed
 * after it), logged in to the emulator once (its session outlives the org resets). The object
 * returned holds, in each test, the reset emulator and a fresh connection.
 */
export function useJsforceEmulatorWithCli(homePrefix: string): CliTestOrg {
  let cli: SfCli | undefined;
  let loggedIn = false;
  const org = {
    async sf(args: string[]): Promise<SfAnswer> {
      if (!cli) throw new Error('the CLI starts with the first test');
      if (!loggedIn) {
        const login = await cli.login(CLI_ALIAS);
        if (login.status !== 0) throw new Error(`sf org login failed: ${login.raw}`);
        loggedIn = true;
      }
      return cli.sf([...args, '--target-org', CLI_ALIAS]);
    }
  } as CliTestOrg;
  useJsforceEmulator(async (emulator, conn) => {
    cli ??= await createSfCli(emulator, { homePrefix, timeoutMs: 90_000 });
    Object.assign(org, { emulator, conn });
  });
  after(async () => {
    await cli?.removeHome();
  });
  return org;
}
