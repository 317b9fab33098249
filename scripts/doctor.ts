/**
 * npm run doctor - checklist of the local toolchain (Node, Java, sf CLI) and of the orgs sf
 * knows (Dev Hub, target org). Exit 1 only when a required tool is missing or unsupported.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runMain } from '../toolkit/src/cli/main.ts';
import {
  checkDevHub,
  checkJava,
  checkNode,
  checkSfCli,
  checkTargetOrg,
  doctorExitCode,
  formatChecklist,
  probeJava,
  type CheckResult
} from './lib/doctor.ts';
import { parseDoctorArgs } from './lib/options.ts';
import { projectRoot } from '../toolkit/src/project.ts';
import { createSf } from './lib/sf.ts';

await runMain(async (argv) => {
  const parsed = parseDoctorArgs(argv);
  if (parsed.help) {
    console.log(parsed.text);
    return 0;
  }
  const root = projectRoot();
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    engines?: { node?: string };
    devDependencies?: Record<string, string>;
  };
  const sf = createSf(root);
  const results: CheckResult[] = [
    checkNode(process.versions.node, pkg.engines?.node),
    checkJava(probeJava())
  ];
  const sfCheck = await checkSfCli(sf, pkg.devDependencies?.['@salesforce/cli']);
  const { usable, ...sfResult } = sfCheck;
  results.push(sfResult);
  if (!parsed.options.skipOrgs && usable) {
    console.log('Asking sf about orgs (use --skip-orgs to skip)...');
    results.push(await checkDevHub(sf), await checkTargetOrg(sf));
  }
  console.log(formatChecklist(results));
  return doctorExitCode(results);
});
