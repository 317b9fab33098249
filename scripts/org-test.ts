/**
 * npm run org:test - RunLocalTests with code coverage in the target org; prints failures and
 * coverage, exits 1 when a test fails or coverage is under --min-coverage (default 85).
 * Run with --help for the options.
 */
import { evaluateTestRun, formatTestSummary, runApexTests } from './lib/apex-tests.ts';
import { StepReporter } from './lib/cli.ts';
import { runMain } from '../toolkit/src/cli/main.ts';
import { parseOrgTestArgs } from './lib/options.ts';
import { explainOrgError, requireTargetOrg } from './lib/orgs.ts';
import { projectRoot } from '../toolkit/src/project.ts';
import { createSf } from './lib/sf.ts';

await runMain(async (argv) => {
  const parsed = parseOrgTestArgs(argv);
  if (parsed.help) {
    console.log(parsed.text);
    return 0;
  }
  const options = parsed.options;
  const sf = createSf(projectRoot());
  const org = await requireTargetOrg(sf, options.targetOrg);
  const title = options.testRunId
    ? `Fetching test run ${options.testRunId} from '${org.name}'`
    : `Running local Apex tests with coverage in '${org.name}' (${org.username}; waits up to ${options.waitMinutes} min)`;
  const raw = await new StepReporter(1)
    .step(title, () =>
      runApexTests(sf, {
        targetOrg: org.name,
        waitMinutes: options.waitMinutes,
        ...(options.testRunId ? { testRunId: options.testRunId } : {}),
        ...(options.outputDir ? { outputDir: options.outputDir } : {})
      })
    )
    .catch((error: unknown) => {
      throw explainOrgError(error, org.name);
    });
  const evaluation = evaluateTestRun(raw, {
    minCoverage: options.minCoverage,
    basis: options.basis
  });
  console.log(options.json ? JSON.stringify(raw, null, 2) : formatTestSummary(evaluation));
  return evaluation.ok ? 0 : 1;
});
