/**
 * The command line of each org script: its option table (which is also its `--help`), defaults
 * and validation, turned into typed options. Pure, so every rule is unit-tested.
 */
import {
  UsageError,
  booleanValue,
  choice,
  intInRange,
  listValue,
  numberInRange,
  parseCommandLine,
  stringValue,
  type CommandSpec,
  type ParsedValues,
  type StringOption
} from '../../toolkit/src/cli/args.ts';
import { COVERAGE_BASES, type CoverageBasis } from './apex-tests.ts';
import { DEPLOY_TEST_LEVELS, type DeployTestLevel } from './deploy.ts';
import type { OrgCreateOptions } from './org-create-plan.ts';
import { DEFAULT_SEED_PLAN } from './seed.ts';

export type Parsed<T> = { help: true; text: string } | { help: false; options: T };

const NO_ORG_NOTE =
  'Without --target-org the sf target-org config is used; when none is set or authorised the script stops and says what to run.';

/** `--target-org`, the same flag as sf's, on every script that works on an existing org. */
function targetOrgOption(description = 'Org alias or username.'): StringOption {
  return {
    type: 'string',
    short: 'o',
    valueName: 'alias',
    defaultText: 'the target-org config',
    description
  };
}

/** The `--target-org` value, absent when the flag is (the sf config then decides). */
function targetOrgOf(values: ParsedValues): { targetOrg?: string } {
  const targetOrg = stringValue(values, 'target-org');
  return targetOrg !== undefined ? { targetOrg } : {};
}

/** The `--help` text, or the options `convert` makes of the parsed flags. */
function parseOptions<T>(
  spec: CommandSpec,
  argv: readonly string[],
  convert: (values: ParsedValues) => T
): Parsed<T> {
  const parsed = parseCommandLine(spec, argv);
  return parsed.help ? parsed : { help: false, options: convert(parsed.values) };
}

// ---- org:create ----------------------------------------------------------------------------

export const ORG_CREATE_DEFAULTS = {
  alias: 'sis-scratch',
  durationDays: 7,
  definitionFile: 'config/project-scratch-def.json',
  waitMinutes: 15,
  permissionSets: ['Integration_Admin'],
  minCoverage: 85,
  coverageBasis: 'both' as CoverageBasis,
  testWaitMinutes: 30
} as const;

export const ORG_CREATE_SPEC: CommandSpec = {
  usage: 'npm run org:create --',
  summary:
    'Creates a scratch org from the Dev Hub, compiles the TypeScript LWCs, deploys force-app, assigns the permission sets, imports the seed data and runs the Apex tests with coverage. Stops before doing anything when no Dev Hub is authorised.',
  options: {
    alias: {
      type: 'string',
      short: 'a',
      valueName: 'alias',
      defaultText: ORG_CREATE_DEFAULTS.alias,
      description: 'Alias of the new scratch org.'
    },
    'duration-days': {
      type: 'string',
      short: 'y',
      valueName: '1-30',
      defaultText: String(ORG_CREATE_DEFAULTS.durationDays),
      description: 'Days before the scratch org expires.'
    },
    'dev-hub': {
      type: 'string',
      short: 'v',
      valueName: 'alias',
      defaultText: 'the target-dev-hub config',
      description: 'Dev Hub alias or username.'
    },
    'definition-file': {
      type: 'string',
      short: 'f',
      valueName: 'path',
      defaultText: ORG_CREATE_DEFAULTS.definitionFile,
      description: 'Scratch org definition file.'
    },
    'no-seed': {
      type: 'boolean',
      description: `Do not import the seed data (${DEFAULT_SEED_PLAN}).`
    },
    'no-tests': { type: 'boolean', description: 'Do not run the Apex tests.' },
    'no-set-default': {
      type: 'boolean',
      description: 'Do not make the new scratch org the default target org.'
    },
    permset: {
      type: 'string',
      multiple: true,
      valueName: 'name',
      defaultText: ORG_CREATE_DEFAULTS.permissionSets.join(','),
      description: 'Permission set(s) to assign to the admin user.'
    },
    'min-coverage': {
      type: 'string',
      valueName: '0-100',
      defaultText: String(ORG_CREATE_DEFAULTS.minCoverage),
      description: 'Minimum Apex coverage in percent.'
    },
    wait: {
      type: 'string',
      short: 'w',
      valueName: '2-120',
      defaultText: String(ORG_CREATE_DEFAULTS.waitMinutes),
      description: 'Minutes to wait for the scratch org (sf needs at least 2).'
    }
  },
  examples: [
    'npm run org:create',
    'npm run org:create -- --alias feature-x --duration-days 3 --no-seed',
    'npm run org:create -- --dev-hub MyHub --no-tests'
  ],
  notes: [
    'Needs an authorised Dev Hub: sf org login web --set-default-dev-hub --alias DevHub',
    'Exit codes: 0 ready; 1 a step failed or the Apex tests failed / missed the coverage minimum.'
  ]
};

export function parseOrgCreateArgs(argv: readonly string[]): Parsed<OrgCreateOptions> {
  return parseOptions(ORG_CREATE_SPEC, argv, (v): OrgCreateOptions => {
    const alias = stringValue(v, 'alias') ?? ORG_CREATE_DEFAULTS.alias;
    if (!/^[A-Za-z0-9_.-]+$/.test(alias)) {
      throw new UsageError(
        `Option --alias must use letters, digits, '.', '_' or '-', got '${alias}'.`
      );
    }
    const duration = stringValue(v, 'duration-days');
    const minCoverage = stringValue(v, 'min-coverage');
    const wait = stringValue(v, 'wait');
    const permsets = listValue(v, 'permset');
    const devHub = stringValue(v, 'dev-hub');
    return {
      alias,
      durationDays:
        duration === undefined
          ? ORG_CREATE_DEFAULTS.durationDays
          : intInRange('duration-days', duration, 1, 30),
      ...(devHub !== undefined ? { devHub } : {}),
      definitionFile: stringValue(v, 'definition-file') ?? ORG_CREATE_DEFAULTS.definitionFile,
      seed: !booleanValue(v, 'no-seed'),
      tests: !booleanValue(v, 'no-tests'),
      setDefault: !booleanValue(v, 'no-set-default'),
      waitMinutes:
        wait === undefined ? ORG_CREATE_DEFAULTS.waitMinutes : intInRange('wait', wait, 2, 120),
      permissionSets: permsets.length > 0 ? permsets : [...ORG_CREATE_DEFAULTS.permissionSets],
      seedPlan: DEFAULT_SEED_PLAN,
      minCoverage:
        minCoverage === undefined
          ? ORG_CREATE_DEFAULTS.minCoverage
          : numberInRange('min-coverage', minCoverage, 0, 100),
      coverageBasis: ORG_CREATE_DEFAULTS.coverageBasis,
      testWaitMinutes: ORG_CREATE_DEFAULTS.testWaitMinutes
    };
  });
}

// ---- deploy --------------------------------------------------------------------------------

export interface DeployCliOptions {
  targetOrg?: string;
  dryRun: boolean;
  testLevel?: DeployTestLevel;
  tests: string[];
  waitMinutes: number;
  skipLwcBuild: boolean;
  /** Switch on integrations that are switched off in the org (see scripts/lib/kill-switch.ts). */
  enableIntegrations: boolean;
  /** Also deploy force-app-connect (Salesforce Connect, an extra-cost feature). */
  withSalesforceConnect: boolean;
}

export const DEPLOY_SPEC: CommandSpec = {
  usage: 'npm run deploy --',
  summary:
    'Compiles the TypeScript LWCs, then deploys force-app (and force-app-connect with --with-salesforce-connect) with sf project deploy start. With --dry-run the org only validates the deploy (check-only) and saves nothing.',
  options: {
    'target-org': targetOrgOption('Org alias or username to deploy to.'),
    'dry-run': {
      type: 'boolean',
      description:
        'Validate only (check-only deploy, runs tests per --test-level); nothing is saved.'
    },
    'test-level': {
      type: 'string',
      short: 'l',
      valueName: 'level',
      description: `Apex tests to run: ${DEPLOY_TEST_LEVELS.join(' | ')} (default: sf's, NoTestRun outside production).`
    },
    tests: {
      type: 'string',
      short: 't',
      multiple: true,
      valueName: 'Class[.method]',
      description: 'Tests for RunSpecifiedTests (implies it); comma-separated or repeated.'
    },
    wait: {
      type: 'string',
      short: 'w',
      valueName: 'minutes',
      defaultText: '33',
      description: 'Minutes to wait for the deploy.'
    },
    'skip-lwc-build': {
      type: 'boolean',
      description: 'Do not compile the LWCs first (they were just built).'
    },
    'enable-integrations': {
      type: 'boolean',
      description:
        'Allow the deploy to switch on an integration that is switched off in the org (Integration_Setting__mdt Enabled__c); without it the deploy stops.'
    },
    'with-salesforce-connect': {
      type: 'boolean',
      description:
        'Also deploy force-app-connect (External Data Source, external object and permission set of Salesforce Connect, an extra-cost feature the org must have); same as ACTIVITY_SALESFORCE_CONNECT=true.'
    }
  },
  examples: [
    'npm run deploy',
    'npm run deploy -- --target-org my-org --dry-run --test-level RunLocalTests',
    'npm run deploy -- --tests PaymentServiceTest --tests AccountSyncTest',
    'npm run deploy -- --with-salesforce-connect'
  ],
  notes: [
    NO_ORG_NOTE,
    'Per-environment values come from environment variables (sfdx-project.json replacements): PAYMENTS_ESB_URL, SECUREPAY_TOKENIZATION_URL, SECUREPAY_TRUSTED_SITE, SECUREPAY_MERCHANT_CODE, INTEGRATION_ENABLED, PAYMENTS_ENABLED, BACKGROUND_CHECK_ESB_URL, BACKGROUND_CHECK_ENABLED, ACTIVITY_API_URL, ACTIVITY_ENABLED, ACTIVITY_CACHE_MB, FINANCE_EXPORT_ENABLED, PROPERTY_MEDIA_URL, PROPERTY_MEDIA_STORAGE_SITE, PROPERTY_MEDIA_ENABLED, INTEGRATION_LOG_LEVEL; the deploy stops, naming what to set, when one is missing or invalid, a URL is not https, or the tokenization URL is not on the trusted site.',
    'Exit codes: 0 deployed/validated; 1 the deploy failed or no org is usable.'
  ]
};

export function parseDeployArgs(argv: readonly string[]): Parsed<DeployCliOptions> {
  return parseOptions(DEPLOY_SPEC, argv, (v): DeployCliOptions => {
    const levelRaw = stringValue(v, 'test-level');
    let testLevel =
      levelRaw === undefined ? undefined : choice('test-level', levelRaw, DEPLOY_TEST_LEVELS);
    const tests = listValue(v, 'tests');
    if (tests.length > 0 && testLevel === undefined) testLevel = 'RunSpecifiedTests';
    if (testLevel === 'RunSpecifiedTests' && tests.length === 0) {
      throw new UsageError(
        '--test-level RunSpecifiedTests needs the tests to run: add --tests <Class[.method]>.'
      );
    }
    if (testLevel !== 'RunSpecifiedTests' && tests.length > 0) {
      throw new UsageError(
        `--tests only applies to --test-level RunSpecifiedTests, not ${testLevel}.`
      );
    }
    const wait = stringValue(v, 'wait');
    return {
      ...targetOrgOf(v),
      dryRun: booleanValue(v, 'dry-run'),
      ...(testLevel !== undefined ? { testLevel } : {}),
      tests,
      waitMinutes: wait === undefined ? 33 : intInRange('wait', wait, 1, 600),
      skipLwcBuild: booleanValue(v, 'skip-lwc-build'),
      enableIntegrations: booleanValue(v, 'enable-integrations'),
      withSalesforceConnect: booleanValue(v, 'with-salesforce-connect')
    };
  });
}

// ---- org:test ------------------------------------------------------------------------------

export interface OrgTestCliOptions {
  targetOrg?: string;
  minCoverage: number;
  basis: CoverageBasis;
  waitMinutes: number;
  testRunId?: string;
  outputDir?: string;
  /** Print sf's raw result JSON instead of the summary. */
  json: boolean;
}

export const ORG_TEST_SPEC: CommandSpec = {
  usage: 'npm run org:test --',
  summary:
    "Runs the org's local Apex tests (RunLocalTests) with code coverage, prints failures and coverage per class, and fails when a test fails or coverage is below the minimum.",
  options: {
    'target-org': targetOrgOption(),
    'min-coverage': {
      type: 'string',
      valueName: '0-100',
      defaultText: '85',
      description: 'Minimum coverage in percent (compared exactly: 84.9 fails 85).'
    },
    'coverage-basis': {
      type: 'string',
      valueName: COVERAGE_BASES.join('|'),
      defaultText: 'both',
      description:
        "Which figure must reach the minimum: the test run's (exact line counts; only classes a test touched), org-wide (whole percent; includes untested classes) or both."
    },
    wait: {
      type: 'string',
      short: 'w',
      valueName: 'minutes',
      defaultText: '30',
      description: 'Minutes to wait for the test run.'
    },
    'test-run-id': {
      type: 'string',
      short: 'i',
      valueName: 'id',
      description:
        'Evaluate an earlier run (e.g. one that outlived --wait) instead of starting one.'
    },
    'output-dir': {
      type: 'string',
      short: 'd',
      valueName: 'dir',
      description: 'Also let sf write its result files (JUnit, JSON) here.'
    },
    json: {
      type: 'boolean',
      description: "Print sf's result JSON (the exit code still reflects the verdict)."
    }
  },
  examples: [
    'npm run org:test',
    'npm run org:test -- --target-org my-org --min-coverage 90',
    'npm run org:test -- --test-run-id 707xx0000000001'
  ],
  notes: [NO_ORG_NOTE, 'Exit codes: 0 all tests passed with enough coverage; 1 otherwise.']
};

export function parseOrgTestArgs(argv: readonly string[]): Parsed<OrgTestCliOptions> {
  return parseOptions(ORG_TEST_SPEC, argv, (v): OrgTestCliOptions => {
    const min = stringValue(v, 'min-coverage');
    const basis = stringValue(v, 'coverage-basis');
    const wait = stringValue(v, 'wait');
    const testRunId = stringValue(v, 'test-run-id');
    if (testRunId !== undefined && !/^707[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/.test(testRunId)) {
      throw new UsageError(
        `Option --test-run-id must be an Apex test run id (15 or 18 characters starting with 707), got '${testRunId}'.`
      );
    }
    const targetOrg = targetOrgOf(v);
    const outputDir = stringValue(v, 'output-dir');
    return {
      ...targetOrg,
      minCoverage: min === undefined ? 85 : numberInRange('min-coverage', min, 0, 100),
      basis: basis === undefined ? 'both' : choice('coverage-basis', basis, COVERAGE_BASES),
      waitMinutes: wait === undefined ? 30 : intInRange('wait', wait, 1, 600),
      ...(testRunId !== undefined ? { testRunId } : {}),
      ...(outputDir !== undefined ? { outputDir } : {}),
      json: booleanValue(v, 'json')
    };
  });
}

// ---- seed ----------------------------------------------------------------------------------

export interface SeedCliOptions {
  targetOrg?: string;
  planFile: string;
  force: boolean;
}

export const SEED_SPEC: CommandSpec = {
  usage: 'npm run seed --',
  summary: `Imports the seed data plan (${DEFAULT_SEED_PLAN}: Accounts and their Contacts) with sf data import tree. Skips the import when the seed Accounts already exist, so running it twice does not duplicate them.`,
  options: {
    'target-org': targetOrgOption(),
    plan: {
      type: 'string',
      short: 'p',
      valueName: 'path',
      defaultText: DEFAULT_SEED_PLAN,
      description: 'sObject tree plan file.'
    },
    force: {
      type: 'boolean',
      description: 'Import even if the seed Accounts exist (creates duplicates).'
    }
  },
  examples: ['npm run seed', 'npm run seed -- --target-org my-org'],
  notes: [NO_ORG_NOTE]
};

export function parseSeedArgs(argv: readonly string[]): Parsed<SeedCliOptions> {
  return parseOptions(SEED_SPEC, argv, (v) => ({
    ...targetOrgOf(v),
    planFile: stringValue(v, 'plan') ?? DEFAULT_SEED_PLAN,
    force: booleanValue(v, 'force')
  }));
}

// ---- doctor --------------------------------------------------------------------------------

export const DOCTOR_SPEC: CommandSpec = {
  usage: 'npm run doctor --',
  summary:
    "Checks the local toolchain: Node version against package.json engines, Java 17+ (for the gate's Apex checker and PMD), the project's sf CLI, and whether a Dev Hub and a target org are authorised (optional for local work).",
  options: {
    'skip-orgs': {
      type: 'boolean',
      description: 'Do not ask sf about orgs (faster, fully offline).'
    }
  },
  examples: ['npm run doctor'],
  notes: [
    'Exit codes: 0 the local toolchain works (orgs are optional); 1 Node, Java or the sf CLI is missing or unsupported.'
  ]
};

export function parseDoctorArgs(argv: readonly string[]): Parsed<{ skipOrgs: boolean }> {
  return parseOptions(DOCTOR_SPEC, argv, (v) => ({ skipOrgs: booleanValue(v, 'skip-orgs') }));
}
