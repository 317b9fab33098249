import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CheckResult, Finding } from '../finding.ts';
import type { Workspace } from '../workspace.ts';

/** A file the project commits as an unmodified copy of a file of an installed package. */
export interface VendoredFile {
  /** Project-relative path of the committed copy (what deploys). */
  copy: string;
  /** Path of the original, relative to the repository whose node_modules holds it. */
  source: string;
}

/**
 * The vendored copies. A static resource deploys what is committed, not what package.json
 * pins, so an upgrade of the package (or a hand edit of the copy) would otherwise leave the org
 * running another version than the one the tests and the licence notice speak of.
 */
export const VENDORED: readonly VendoredFile[] = [
  {
    copy: 'force-app/main/activity/staticresources/ChartJs.js',
    source: 'node_modules/chart.js/dist/chart.umd.min.js'
  }
];

async function readOrUndefined(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch {
    return undefined;
  }
}

/**
 * Rule vendored: each vendored copy the project has is byte for byte its package's file. A
 * project without the copy (e.g. a gate fixture) has nothing to check for it.
 */
export async function checkVendored(
  ws: Workspace,
  vendored: readonly VendoredFile[] = VENDORED
): Promise<CheckResult> {
  const findings: Finding[] = [];
  let checked = 0;
  for (const { copy, source } of vendored) {
    const committed = await readOrUndefined(path.join(ws.root, copy));
    if (!committed) continue;
    checked += 1;
    const original = await readOrUndefined(path.join(ws.toolRoot, source));
    const refresh = `cp ${source} ${copy}`;
    if (!original) {
      findings.push({
        check: 'vendored',
        file: copy,
        severity: 'error',
        message: `${source} is not installed, so this copy cannot be proven to be it: run npm ci`
      });
    } else if (!committed.equals(original)) {
      findings.push({
        check: 'vendored',
        file: copy,
        line: 1,
        severity: 'error',
        message: `differs from ${source} (the installed package): the org would run another version than the one installed and tested; run \`${refresh}\` and commit it`
      });
    }
  }
  return { findings, summary: `${checked} vendored files` };
}
