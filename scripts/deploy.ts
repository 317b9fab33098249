/**
 * npm run deploy - compile the TypeScript LWCs, then `sf project deploy start --source-dir
 * force-app` (plus `--source-dir force-app-connect` with --with-salesforce-connect or
 * ACTIVITY_SALESFORCE_CONNECT=true; check-only with --dry-run), after checking the per-environment values the
 * deploy substitutes (scripts/lib/per-env.ts). Stops at once with what to run when no target org is
 * set or authorised. Run with --help for the options.
 */
import { ScriptError, consoleOutput, runMain } from '../toolkit/src/cli/main.ts';
import { StepReporter } from './lib/cli.ts';
import { deploySourceDirs, runDeploy } from './lib/deploy.ts';
import { buildLwc } from '../gate/src/lwc-build.ts';
import { parseDeployArgs } from './lib/options.ts';
import { explainOrgError, requireTargetOrg } from './lib/orgs.ts';
import { projectRoot } from '../toolkit/src/project.ts';
import { createSf } from './lib/sf.ts';
import { checkPerEnvironment, looksLikeProduction, readReplacements } from './lib/per-env.ts';
import { deployedSwitches, readOrgSwitches, switchesReenabled } from './lib/kill-switch.ts';

await runMain(async (argv) => {
  const parsed = parseDeployArgs(argv);
  if (parsed.help) {
    console.log(parsed.text);
    return 0;
  }
  const options = parsed.options;
  const root = projectRoot();
  let sourceDirs: string[];
  try {
    sourceDirs = deploySourceDirs(options.withSalesforceConnect, process.env);
  } catch (error) {
    throw new ScriptError((error as Error).message);
  }
  const sf = createSf(root);
  const org = await requireTargetOrg(sf, options.targetOrg);
  if (org.connectionProblem)
    consoleOutput.error(`warning: sf could not reach '${org.name}': ${org.connectionProblem}`);
  // sfdx-project.json `replacements` put each environment's URLs and settings (merchant code,
  // kill switches, log level) into the deploy: refuse before building anything when one is
  // missing or invalid, or the tokenization URL and CSP Trusted Site disagree.
  const production = looksLikeProduction(org);
  const replacements = await readReplacements(root);
  const problems = checkPerEnvironment(replacements, process.env, production);
  if (problems.length > 0) {
    throw new ScriptError(
      `Per-environment values for '${org.name}'${production ? ' (production)' : ''} are missing or wrong (docs/payments.md, Setup):\n  ${problems.join('\n  ')}`
    );
  }
  // A switch an admin turned off in Setup stays off unless this deploy says otherwise.
  if (!options.enableIntegrations) {
    const reenabled = switchesReenabled(
      deployedSwitches(replacements),
      await readOrgSwitches(sf, org.name),
      process.env,
      org.name
    );
    if (reenabled.length > 0) throw new ScriptError(reenabled.join('\n'));
  }
  const steps = new StepReporter(options.skipLwcBuild ? 1 : 2);
  if (!options.skipLwcBuild) {
    const compiled = await steps.step('Compiling TypeScript LWCs', () => buildLwc(root));
    console.log(
      `      compiled ${compiled.length} TypeScript LWC module${compiled.length === 1 ? '' : 's'}`
    );
  }
  const verb = options.dryRun ? 'Validating (dry run, nothing is saved)' : 'Deploying';
  const tests = options.testLevel
    ? `, tests: ${options.testLevel}${options.tests.length ? ` ${options.tests.join(',')}` : ''}`
    : '';
  const outcome = await steps
    .step(`${verb} ${sourceDirs.join(' + ')} to '${org.name}' (${org.username}${tests})`, () =>
      runDeploy(sf, {
        targetOrg: org.name,
        dryRun: options.dryRun,
        ...(options.testLevel ? { testLevel: options.testLevel } : {}),
        tests: options.tests,
        waitMinutes: options.waitMinutes,
        sourceDirs
      })
    )
    .catch((error: unknown) => {
      throw explainOrgError(error, org.name);
    });
  if (!outcome.ok) {
    for (const line of outcome.details) consoleOutput.error(line);
    throw new ScriptError(outcome.summary);
  }
  console.log(outcome.summary);
  return 0;
});
