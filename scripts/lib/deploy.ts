/**
 * `sf project deploy start` for this project: the argument list, and a readable account of a
 * failed deploy from sf's JSON.
 *
 * Shape: `result` is @salesforce/plugin-deploy-retrieve 3.24.61's DeployResultJson
 * (lib/utils/types.d.ts) = the Metadata API DeployResult (@salesforce/source-deploy-retrieve
 * MetadataApiDeployStatus) + `files` (FileResponse[]). sf sets the status from the deploy
 * status (lib/utils/deploy.js DEPLOY_STATUS_CODES): Succeeded 0, Failed/Canceled 1,
 * SucceededPartial 68, still in progress 69. A failed deploy is therefore status 1 WITH a
 * result, which {@link Sf} hands back inside the SfCommandError.
 */
import { isSfError, type Sf } from './sf.ts';
import { oneLine } from '../../toolkit/src/cli/main.ts';

/** Test levels sf's `project deploy start --test-level` accepts (2.146.3 `--help`). */
export const DEPLOY_TEST_LEVELS = [
  'NoTestRun',
  'RunSpecifiedTests',
  'RunLocalTests',
  'RunAllTestsInOrg',
  'RunRelevantTests'
] as const;
export type DeployTestLevel = (typeof DEPLOY_TEST_LEVELS)[number];

/** The package directory every org gets. */
export const BASE_SOURCE_DIR = 'force-app';
/**
 * The package directory of Salesforce Connect (External Data Source, external object, their
 * permission set and page): an extra-cost feature in Enterprise/Unlimited, so an org without it
 * rejects the whole deploy. Deployed only when asked; nothing in force-app refers into it
 * (gate/test/package-directories.test.ts).
 */
export const CONNECT_SOURCE_DIR = 'force-app-connect';

/**
 * The directories `npm run deploy` sends: force-app, plus force-app-connect when asked by the
 * flag or by ACTIVITY_SALESFORCE_CONNECT=true (for pipelines that configure by environment).
 */
export function deploySourceDirs(
  withSalesforceConnect: boolean,
  env: Readonly<Record<string, string | undefined>>
): string[] {
  const fromEnv = env.ACTIVITY_SALESFORCE_CONNECT?.trim().toLowerCase();
  if (fromEnv !== undefined && fromEnv !== '' && fromEnv !== 'true' && fromEnv !== 'false') {
    throw new Error(`ACTIVITY_SALESFORCE_CONNECT=${fromEnv} must be true or false.`);
  }
  return withSalesforceConnect || fromEnv === 'true'
    ? [BASE_SOURCE_DIR, CONNECT_SOURCE_DIR]
    : [BASE_SOURCE_DIR];
}

export interface DeployOptions {
  /** Alias or username; undefined = sf's target-org config (already checked by the script). */
  targetOrg?: string;
  /** Check-only validation (`--dry-run`): nothing is saved in the org. */
  dryRun: boolean;
  testLevel?: DeployTestLevel;
  tests: string[];
  /** Minutes sf waits for the deploy (`--wait`). */
  waitMinutes: number;
  /** Directories to deploy (default force-app). */
  sourceDirs: string[];
  ignoreConflicts?: boolean;
}

/** The exact sf arguments (without `--json`, which {@link Sf} adds). */
export function buildDeployArgs(options: DeployOptions): string[] {
  const args = ['project', 'deploy', 'start'];
  for (const dir of options.sourceDirs) args.push('--source-dir', dir);
  if (options.targetOrg) args.push('--target-org', options.targetOrg);
  if (options.dryRun) args.push('--dry-run');
  if (options.testLevel) args.push('--test-level', options.testLevel);
  for (const test of options.tests) args.push('--tests', test);
  if (options.ignoreConflicts) args.push('--ignore-conflicts');
  args.push('--wait', String(options.waitMinutes));
  return args;
}

// ---- result shape (the fields read here) ----

export interface DeployFileResponse {
  fullName: string;
  type: string;
  state: string;
  filePath?: string;
  error?: string;
  problemType?: string;
  lineNumber?: number;
  columnNumber?: number;
}

interface DeployMessage {
  componentType?: string;
  fullName?: string;
  fileName?: string;
  problem?: string;
  problemType?: string;
  lineNumber?: string;
  columnNumber?: string;
}

interface TestFailureMessage {
  name: string;
  methodName: string;
  message: string;
  stackTrace?: string;
}

export interface DeployResultJson {
  id?: string;
  status: string;
  checkOnly?: boolean;
  success?: boolean;
  numberComponentsDeployed?: number;
  numberComponentsTotal?: number;
  numberComponentErrors?: number;
  numberTestsCompleted?: number;
  numberTestErrors?: number;
  errorMessage?: string;
  errorStatusCode?: string;
  files?: DeployFileResponse[];
  details?: {
    componentFailures?: DeployMessage | DeployMessage[];
    runTestResult?: {
      failures?: TestFailureMessage | TestFailureMessage[];
      codeCoverageWarnings?:
        { name?: string; message: string } | Array<{ name?: string; message: string }>;
    };
  };
}

/** The Metadata API returns one object instead of a one-element array. */
function toArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** Lines explaining why a deploy failed: component errors, test failures, coverage warnings. */
export function describeDeployFailure(result: DeployResultJson): string[] {
  const lines: string[] = [];
  const fileFailures = (result.files ?? []).filter((file) => file.state === 'Failed');
  const seen = new Set<string>();
  for (const file of fileFailures) {
    const where = file.filePath
      ? `${file.filePath}${file.lineNumber ? `:${file.lineNumber}${file.columnNumber ? `:${file.columnNumber}` : ''}` : ''}`
      : '';
    const line = `  ${file.type} ${file.fullName}: ${oneLine(file.error ?? 'failed')}${where ? ` (${where})` : ''}`;
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
  }
  if (fileFailures.length === 0) {
    for (const failure of toArray(result.details?.componentFailures)) {
      const where = failure.lineNumber
        ? ` (line ${failure.lineNumber}${failure.columnNumber ? `:${failure.columnNumber}` : ''})`
        : '';
      lines.push(
        `  ${failure.componentType ?? 'component'} ${failure.fullName ?? failure.fileName ?? ''}: ${oneLine(failure.problem ?? 'failed')}${where}`
      );
    }
  }
  const testFailures = toArray(result.details?.runTestResult?.failures);
  if (testFailures.length > 0) {
    lines.push(`  ${testFailures.length} Apex test failure(s):`);
    for (const failure of testFailures) {
      lines.push(`    ${failure.name}.${failure.methodName}: ${oneLine(failure.message)}`);
    }
  }
  for (const warning of toArray(result.details?.runTestResult?.codeCoverageWarnings)) {
    lines.push(`  coverage: ${warning.name ? `${warning.name}: ` : ''}${oneLine(warning.message)}`);
  }
  if (lines.length === 0 && result.errorMessage) lines.push(`  ${oneLine(result.errorMessage)}`);
  return lines;
}

/** The one-line outcome of a successful deploy. */
export function describeDeploySuccess(result: DeployResultJson, dryRun: boolean): string {
  if (result.status === 'Nothing to deploy') return 'Nothing to deploy.';
  const components = result.numberComponentsTotal ?? result.files?.length ?? 0;
  const tests = result.numberTestsCompleted
    ? `, ${result.numberTestsCompleted} Apex tests passed`
    : '';
  return dryRun
    ? `Validation (dry run) succeeded: ${components} components checked${tests}; nothing was saved.`
    : `Deployed ${components} components${tests}.`;
}

export interface DeployOutcome {
  ok: boolean;
  status: string;
  /** Failure lines (empty on success). */
  details: string[];
  summary: string;
}

/**
 * Runs the deploy. A deploy the org rejects is returned as `ok: false` with its reasons; any
 * other sf failure (no org, bad flag) is thrown as an SfCommandError.
 */
export async function runDeploy(sf: Sf, options: DeployOptions): Promise<DeployOutcome> {
  try {
    const result = await sf.result<DeployResultJson>(buildDeployArgs(options));
    return {
      ok: true,
      status: result.status,
      details: [],
      summary: describeDeploySuccess(result, options.dryRun)
    };
  } catch (error) {
    if (isSfError(error) && isDeployResult(error.result)) {
      const result = error.result;
      const verb = options.dryRun ? 'Validation (dry run)' : 'Deploy';
      if (IN_PROGRESS.has(result.status)) {
        return {
          ok: false,
          status: result.status,
          details: [],
          summary: `${verb} still ${result.status} after ${options.waitMinutes} minutes; follow it with: sf project deploy report${result.id ? ` --job-id ${result.id}` : ''}`
        };
      }
      return {
        ok: false,
        status: result.status,
        details: describeDeployFailure(result),
        summary: `${verb} ${result.status === 'SucceededPartial' ? 'only partly succeeded' : `failed (status ${result.status})`}${result.id ? `, deploy id ${result.id}` : ''}.`
      };
    }
    throw error;
  }
}

const IN_PROGRESS = new Set(['Pending', 'InProgress', 'Canceling', 'Finalizing']);

function isDeployResult(value: unknown): value is DeployResultJson {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { status?: unknown }).status === 'string'
  );
}
