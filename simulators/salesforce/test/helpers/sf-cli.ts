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
import { promisify } from 'node:util';
import { REPO_ROOT, type TestEmulator } from './emulator.ts';

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
  options: { homePrefix: string; timeoutMs: number }
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
      SF_USE_GENERIC_UNIX_KEYCHAIN: 'true'
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
