/**
 * `npm run org:create`, split into a pure planner and an executor.
 *
 * {@link gatherOrgCreateState} asks sf (Dev Hub) and the file system (definition file, seed
 * plan, Apex tests, permission sets) what is there; {@link planOrgCreate} turns options + state
 * into the exact steps, or refuses before any step runs (no Dev Hub, missing files);
 * {@link executeOrgCreate} runs the steps with progress lines.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  evaluateTestRun,
  formatTestSummary,
  runApexTests,
  type ApexTestRunOptions,
  type CoverageBasis
} from './apex-tests.ts';
import { ScriptError, consoleOutput, type Output } from '../../toolkit/src/cli/main.ts';
import { StepReporter } from './cli.ts';
import { runDeploy, type DeployOptions } from './deploy.ts';
import { devHubProblemMessage, resolveDevHub, type DevHubStatus } from './orgs.ts';
import { seedOrg } from './seed.ts';
import { SfCommandError, type Sf } from './sf.ts';

export interface OrgCreateOptions {
  alias: string;
  durationDays: number;
  /** Dev Hub alias/username; undefined = sf's target-dev-hub config. */
  devHub?: string;
  definitionFile: string;
  seed: boolean;
  tests: boolean;
  /** Make the new scratch org sf's default target org. */
  setDefault: boolean;
  /** Minutes sf waits for the scratch org. */
  waitMinutes: number;
  permissionSets: string[];
  seedPlan: string;
  minCoverage: number;
  coverageBasis: CoverageBasis;
  testWaitMinutes: number;
}

export interface OrgCreateState {
  devHub: DevHubStatus;
  definitionFileExists: boolean;
  seedPlanExists: boolean;
  /** Apex classes under force-app annotated @isTest. */
  apexTestClassCount: number;
  /** Permission set API names found under force-app (from *.permissionset-meta.xml). */
  permissionSetsInSource: string[];
}

export type OrgCreateStep =
  | { kind: 'create-scratch'; title: string; alias: string; args: string[] }
  | { kind: 'build-lwc'; title: string }
  | { kind: 'deploy'; title: string; deploy: DeployOptions }
  | { kind: 'assign-permsets'; title: string; args: string[] }
  | { kind: 'seed'; title: string; planFile: string; targetOrg: string }
  | {
      kind: 'run-tests';
      title: string;
      run: ApexTestRunOptions;
      minCoverage: number;
      basis: CoverageBasis;
    };

export interface OrgCreatePlan {
  steps: OrgCreateStep[];
  /** Things skipped or worth knowing, printed before the steps. */
  notes: string[];
}

/**
 * The steps for the options and state. Pure.
 * @throws ScriptError when there is no usable Dev Hub, or a required file is missing.
 */
export function planOrgCreate(options: OrgCreateOptions, state: OrgCreateState): OrgCreatePlan {
  if (state.devHub.state !== 'ok') throw new ScriptError(devHubProblemMessage(state.devHub));
  if (!state.definitionFileExists) {
    throw new ScriptError(
      `Scratch org definition file not found: ${options.definitionFile} (pass --definition-file <path>).`
    );
  }
  if (options.seed && !state.seedPlanExists) {
    throw new ScriptError(
      `Seed plan not found: ${options.seedPlan} (pass --no-seed to skip seeding).`
    );
  }
  const target = options.alias;
  const notes: string[] = [];
  const steps: OrgCreateStep[] = [];

  const createArgs = [
    'org',
    'create',
    'scratch',
    '--definition-file',
    options.definitionFile,
    '--alias',
    target,
    '--duration-days',
    String(options.durationDays),
    '--target-dev-hub',
    state.devHub.name,
    '--wait',
    String(options.waitMinutes)
  ];
  if (options.setDefault) createArgs.push('--set-default');
  steps.push({
    kind: 'create-scratch',
    alias: target,
    title: `Creating scratch org '${target}' for ${options.durationDays} day${options.durationDays === 1 ? '' : 's'} (Dev Hub ${state.devHub.name}; takes a few minutes)`,
    args: createArgs
  });
  steps.push({ kind: 'build-lwc', title: 'Compiling TypeScript LWCs' });
  steps.push({
    kind: 'deploy',
    title: `Deploying force-app to '${target}'`,
    deploy: {
      targetOrg: target,
      dryRun: false,
      tests: [],
      waitMinutes: 33,
      sourceDirs: ['force-app']
    }
  });

  const assignable = options.permissionSets.filter((name) =>
    state.permissionSetsInSource.includes(name)
  );
  for (const missing of options.permissionSets.filter((name) => !assignable.includes(name))) {
    notes.push(`Permission set ${missing} is not in force-app, so it cannot be assigned: skipped.`);
  }
  if (assignable.length > 0) {
    const args = ['org', 'assign', 'permset', '--target-org', target];
    for (const name of assignable) args.push('--name', name);
    steps.push({
      kind: 'assign-permsets',
      title: `Assigning permission set${assignable.length > 1 ? 's' : ''} ${assignable.join(', ')} to the admin user`,
      args
    });
  }

  if (options.seed) {
    steps.push({
      kind: 'seed',
      title: `Importing seed data (${options.seedPlan})`,
      planFile: options.seedPlan,
      targetOrg: target
    });
  } else {
    notes.push('Seed data: skipped (--no-seed).');
  }

  if (!options.tests) {
    notes.push('Apex tests: skipped (--no-tests).');
  } else if (state.apexTestClassCount === 0) {
    notes.push('Apex tests: skipped (no @isTest classes in force-app yet).');
  } else {
    steps.push({
      kind: 'run-tests',
      title: `Running ${state.apexTestClassCount} Apex test class${state.apexTestClassCount === 1 ? '' : 'es'} with coverage (minimum ${options.minCoverage}%)`,
      run: { targetOrg: target, waitMinutes: options.testWaitMinutes },
      minCoverage: options.minCoverage,
      basis: options.coverageBasis
    });
  }
  return { steps, notes };
}

// ---- state ----------------------------------------------------------------------------------

function walk(dir: string, visit: (file: string) => void): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(full, visit);
    } else if (entry.isFile()) {
      visit(full);
    }
  }
}

/** What force-app holds that the plan depends on. */
export function scanSource(
  root: string
): Pick<OrgCreateState, 'apexTestClassCount' | 'permissionSetsInSource'> {
  let apexTestClassCount = 0;
  const permissionSetsInSource: string[] = [];
  walk(path.join(root, 'force-app'), (file) => {
    if (file.endsWith('.cls')) {
      // A test class has @isTest (any case, also @IsTest(SeeAllData=...)) before its `class` keyword.
      const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      const classAt = text.search(/\bclass\b/i);
      if (classAt >= 0 && /@istest\b/i.test(text.slice(0, classAt))) apexTestClassCount += 1;
    } else if (file.endsWith('.permissionset-meta.xml')) {
      permissionSetsInSource.push(path.basename(file, '.permissionset-meta.xml'));
    }
  });
  return { apexTestClassCount, permissionSetsInSource: permissionSetsInSource.sort() };
}

export async function gatherOrgCreateState(
  sf: Sf,
  options: OrgCreateOptions,
  root: string
): Promise<OrgCreateState> {
  const devHub = await resolveDevHub(sf, options.devHub);
  // No Dev Hub: stop at once, before looking at anything else.
  if (devHub.state !== 'ok') throw new ScriptError(devHubProblemMessage(devHub));
  return {
    devHub,
    definitionFileExists: existsSync(path.resolve(root, options.definitionFile)),
    seedPlanExists: existsSync(path.resolve(root, options.seedPlan)),
    ...scanSource(root)
  };
}

// ---- execution ------------------------------------------------------------------------------

export interface OrgCreateDeps {
  sf: Sf;
  root: string;
  /** scripts/lib/lwc-build.ts buildLwc: compiles the TypeScript LWCs, returns the compiled files. */
  buildLwc: (root: string) => Promise<readonly string[]>;
  output?: Output;
  reporter?: StepReporter;
}

interface CreateScratchResult {
  username?: string;
  orgId?: string;
  warnings?: string[];
}

interface PermsetResult {
  successes?: Array<{ name: string; value: string }>;
  failures?: Array<{ name: string; message: string }>;
}

/** Runs the plan. Returns the exit code (1 when tests fail or miss coverage); throws on other failures. */
export async function executeOrgCreate(plan: OrgCreatePlan, deps: OrgCreateDeps): Promise<number> {
  const output = deps.output ?? consoleOutput;
  const reporter = deps.reporter ?? new StepReporter(plan.steps.length, output);
  for (const note of plan.notes) output.info(`note: ${note}`);
  let created: string | undefined;
  let exitCode = 0;
  try {
    for (const step of plan.steps) {
      switch (step.kind) {
        case 'create-scratch': {
          const result = await reporter.step(step.title, () =>
            deps.sf.result<CreateScratchResult>(step.args)
          );
          created = step.alias;
          output.info(
            `      scratch org ${result.username ?? ''} (${result.orgId ?? 'id n/a'}) created as '${created}'`
          );
          break;
        }
        case 'build-lwc': {
          const compiled = await reporter.step(step.title, () => deps.buildLwc(deps.root));
          output.info(
            `      compiled ${compiled.length} TypeScript LWC module${compiled.length === 1 ? '' : 's'}`
          );
          break;
        }
        case 'deploy': {
          const outcome = await reporter.step(step.title, () => runDeploy(deps.sf, step.deploy));
          if (!outcome.ok) {
            for (const line of outcome.details) output.error(line);
            throw new ScriptError(outcome.summary);
          }
          output.info(`      ${outcome.summary}`);
          break;
        }
        case 'assign-permsets': {
          const result = await reporter.step(step.title, async () => {
            try {
              return await deps.sf.result<PermsetResult>(step.args);
            } catch (error) {
              const partial =
                error instanceof SfCommandError
                  ? (error.result as PermsetResult | undefined)
                  : undefined;
              if (partial?.failures?.length) {
                throw new ScriptError(
                  `Permission set assignment failed: ${partial.failures.map((f) => `${f.name}: ${f.message}`).join('; ')}`
                );
              }
              throw error;
            }
          });
          output.info(`      assigned ${(result.successes ?? []).map((s) => s.value).join(', ')}`);
          break;
        }
        case 'seed': {
          const result = await reporter.step(step.title, () =>
            seedOrg(deps.sf, {
              planFile: step.planFile,
              root: deps.root,
              targetOrg: step.targetOrg,
              force: false
            })
          );
          output.info(`      ${result.message}`);
          break;
        }
        case 'run-tests': {
          const raw = await reporter.step(step.title, () => runApexTests(deps.sf, step.run));
          const evaluation = evaluateTestRun(raw, {
            minCoverage: step.minCoverage,
            basis: step.basis
          });
          output.info(formatTestSummary(evaluation));
          if (!evaluation.ok) exitCode = 1;
          break;
        }
      }
    }
  } catch (error) {
    if (created) {
      output.error(
        `The scratch org '${created}' was created and is still there. Fix the problem and continue with: npm run deploy -- --target-org ${created} (or delete it: sf org delete scratch --target-org ${created} --no-prompt).`
      );
    }
    throw error;
  }
  if (created) {
    output.info(
      exitCode === 0
        ? `Scratch org '${created}' is ready. Open it with: sf org open --target-org ${created}`
        : `Scratch org '${created}' is ready, but the Apex tests did not pass (see above).`
    );
  }
  return exitCode;
}
