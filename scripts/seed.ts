/**
 * npm run seed - import data/seed/seed-plan.json (Accounts + Contacts) into the target org with
 * `sf data import tree --plan`; skipped when the seed Accounts already exist (use --force).
 * Run with --help for the options.
 */
import { StepReporter } from './lib/cli.ts';
import { runMain } from '../toolkit/src/cli/main.ts';
import { parseSeedArgs } from './lib/options.ts';
import { explainOrgError, requireTargetOrg } from './lib/orgs.ts';
import { projectRoot } from '../toolkit/src/project.ts';
import { readSeedPlan, seedOrg } from './lib/seed.ts';
import { createSf } from './lib/sf.ts';

await runMain(async (argv) => {
  const parsed = parseSeedArgs(argv);
  if (parsed.help) {
    console.log(parsed.text);
    return 0;
  }
  const options = parsed.options;
  const root = projectRoot();
  // Check the plan before asking sf anything: a broken plan is a local problem.
  const info = readSeedPlan(options.planFile, root);
  const sf = createSf(root);
  const org = await requireTargetOrg(sf, options.targetOrg);
  const what = info.counts.map((c) => `${c.records} ${c.sobject}`).join(', ');
  const result = await new StepReporter(1)
    .step(`Importing ${what} into '${org.name}' (${org.username})`, () =>
      seedOrg(sf, { planFile: options.planFile, root, targetOrg: org.name, force: options.force })
    )
    .catch((error: unknown) => {
      throw explainOrgError(error, org.name);
    });
  console.log(result.message);
  return 0;
});
