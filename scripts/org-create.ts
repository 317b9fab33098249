/**
 * npm run org:create - per-environment values checked, scratch org from the Dev Hub, deploy, permission sets, seed data, Apex
 * tests. Planning is pure and unit-tested (scripts/lib/org-create-plan.ts); this file wires it
 * to the real sf CLI. Run with --help for the options.
 */
import { ScriptError, runMain } from '../toolkit/src/cli/main.ts';
import { StepReporter } from './lib/cli.ts';
import { buildLwc } from '../gate/src/lwc-build.ts';
import { executeOrgCreate, gatherOrgCreateState, planOrgCreate } from './lib/org-create-plan.ts';
import { parseOrgCreateArgs } from './lib/options.ts';
import { projectRoot } from '../toolkit/src/project.ts';
import { createSf } from './lib/sf.ts';
import { checkPerEnvironment, readReplacements } from './lib/per-env.ts';

await runMain(async (argv) => {
  const parsed = parseOrgCreateArgs(argv);
  if (parsed.help) {
    console.log(parsed.text);
    return 0;
  }
  const root = projectRoot();
  // The deploy substitutes per-environment values (sfdx-project.json replacements): check them
  // before a scratch org is created for nothing. A scratch org is never production.
  const problems = checkPerEnvironment(await readReplacements(root), process.env, false);
  if (problems.length > 0) {
    throw new ScriptError(
      `Per-environment values for the scratch org are missing or wrong (README, "Deploying to an org"):\n  ${problems.join('\n  ')}`
    );
  }
  const sf = createSf(root);
  console.log('Checking the Dev Hub...');
  const state = await gatherOrgCreateState(sf, parsed.options, root);
  if (state.devHub.state === 'ok')
    console.log(`Dev Hub: ${state.devHub.name} (${state.devHub.username})`);
  const plan = planOrgCreate(parsed.options, state);
  return executeOrgCreate(plan, {
    sf,
    root,
    buildLwc: (dir) => buildLwc(dir),
    reporter: new StepReporter(plan.steps.length)
  });
});
