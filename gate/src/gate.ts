import path from 'node:path';
import { buildLwc, staleLwc } from './lwc-build.ts';
import { checkApexSemantics } from './checks/apex-semantics.ts';
import { checkApexTypes } from './checks/apex-types.ts';
import { checkCalloutAccess } from './checks/callout-access.ts';
import { checkApexImports, checkCompanions } from './checks/companions.ts';
import { checkConvert } from './checks/convert.ts';
import { checkFlows } from './checks/flows.ts';
import { checkFormat } from './checks/format.ts';
import { checkMetadataSchema } from './checks/metadata-schema.ts';
import { checkLint } from './checks/lint.ts';
import { checkPerEnvironment } from './checks/per-env.ts';
import { checkPmd } from './checks/pmd.ts';
import { checkReferences } from './checks/references.ts';
import { checkMergeFields, checkServerOwned } from './checks/trust-boundary.ts';
import { checkTextLimits } from './checks/text-limits.ts';
import { checkTypes } from './checks/typecheck.ts';
import { checkVendored } from './checks/vendored.ts';
import { checkXml } from './checks/xml.ts';
import type { CheckResult, Finding } from './finding.ts';
import { loadWorkspace, rel, type Workspace } from './workspace.ts';

export interface Check {
  name: string;
  description: string;
  run: (ws: Workspace) => Promise<CheckResult>;
  /** Runs on the sources as committed, before the gate compiles the TypeScript LWCs in place. */
  beforeBuild?: boolean;
}

/** Rule lwc-fresh: every committed LWC `.js` is exactly what a fresh build of its `.ts` gives. */
export async function checkLwcFresh(ws: Workspace): Promise<CheckResult> {
  const stale = await staleLwc(ws.root, ws.toolRoot);
  return {
    findings: stale.map(({ file, reason }): Finding => ({
      check: 'lwc-fresh',
      file: rel(ws, file),
      line: 1,
      severity: 'error',
      message:
        reason === 'missing'
          ? 'compiled LWC module missing: `sf project deploy start` would deploy the bundle without its JavaScript; run `npm run build:lwc` and commit the .js'
          : 'committed .js differs from a fresh build of its .ts: `sf project deploy start` would deploy stale code; run `npm run build:lwc` and commit the .js'
    })),
    summary: `${stale.length} stale compiled LWC modules`
  };
}

/**
 * Everything a deploy would reject, or that the project forbids, checked without an org. The
 * checks that start a JVM (apex, pmd) go first so they run while Node works on the others.
 */
export const CHECKS: readonly Check[] = [
  {
    name: 'apex',
    description: 'Apex semantics (apex-ls): types, fields, methods, assignments',
    run: checkApexSemantics
  },
  {
    name: 'pmd',
    description: 'PMD security and governor-limit rules (Code Analyzer)',
    run: checkPmd
  },
  {
    name: 'lwc-fresh',
    description:
      'each committed LWC .js equals a fresh build of its .ts (what a plain sf deploy sends)',
    run: checkLwcFresh,
    beforeBuild: true
  },
  {
    name: 'vendored',
    description:
      'each vendored static resource is byte for byte the file of the installed package it copies',
    run: checkVendored
  },
  {
    name: 'xml',
    description: 'XML well-formed, metadata root element and namespace',
    run: checkXml
  },
  {
    name: 'companions',
    description: 'every class/trigger has its -meta.xml, LWC bundles complete',
    run: checkCompanions
  },
  {
    name: 'lwc-apex',
    description: 'LWC @salesforce/apex imports resolve to @AuraEnabled methods',
    run: checkApexImports
  },
  {
    name: 'apex-types',
    description: 'force-app/types/*.d.ts agree with the @AuraEnabled Apex signatures and fields',
    run: checkApexTypes
  },
  {
    name: 'format',
    description: 'Apex syntax and formatting (prettier, native Apex parser)',
    run: checkFormat
  },
  {
    name: 'flow',
    description: 'Flow scanner: fault paths, hard-coded ids, inactive flows',
    run: checkFlows
  },
  {
    name: 'convert',
    description: 'source-deploy-retrieve conversion keeps every component, no .ts',
    run: checkConvert
  },
  {
    name: 'references',
    description:
      'objects and fields named in Apex (fields, static SOQL) and metadata resolve in the schema model',
    run: checkReferences
  },
  {
    name: 'metadata-schema',
    description:
      'every element of a metadata file belongs to its type (Metadata API WSDL, @salesforce/types)',
    run: checkMetadataSchema
  },
  {
    name: 'merge-fields',
    description: 'Named Credentials allow no merge fields in headers/body unless justified inline',
    run: checkMergeFields
  },
  {
    name: 'server-owned',
    description:
      'portal permission sets/profiles and sharing sets grant no Edit on Server-owned fields/objects; fields of portal-reached or server-written objects are marked',
    run: checkServerOwned
  },
  {
    name: 'per-env',
    description:
      'per-environment values (Named Credential/CSP/Remote Site URLs, every custom metadata record value) have a sfdx-project.json replacement or an inline justification',
    run: checkPerEnvironment
  },
  {
    name: 'callout-access',
    description:
      'permission sets enabling an External Credential principal grant Read (only) on UserExternalCredential',
    run: checkCalloutAccess
  },
  {
    name: 'text-limits',
    description:
      'descriptions, labels and help texts within the lengths the org stores (documented limits only)',
    run: checkTextLimits
  },
  { name: 'eslint', description: 'ESLint LWC and TypeScript rules', run: checkLint },
  { name: 'types', description: 'TypeScript type check of LWCs and their tests', run: checkTypes }
];

export interface CheckOutcome {
  name: string;
  durationMs: number;
  findings: Finding[];
  summary?: string;
  /** Set when the check itself could not run: that fails the gate too. */
  crashed?: string;
}

export interface GateReport {
  project: string;
  outcomes: CheckOutcome[];
  errors: number;
  warnings: number;
  passed: boolean;
  durationMs: number;
}

export interface GateOptions {
  projectDir: string;
  toolRoot: string;
  only?: string[];
  /** Called as each check finishes, for progress output. */
  onOutcome?: (outcome: CheckOutcome) => void;
}

async function runCheck(check: Check, ws: Workspace): Promise<CheckOutcome> {
  const started = performance.now();
  try {
    const result = await check.run(ws);
    return { name: check.name, durationMs: performance.now() - started, ...result };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      name: check.name,
      durationMs: performance.now() - started,
      findings: [],
      crashed: message
    };
  }
}

export async function runGate(options: GateOptions): Promise<GateReport> {
  const started = performance.now();
  const unknown = (options.only ?? []).filter((n) => !CHECKS.some((c) => c.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `unknown check(s): ${unknown.join(', ')}; known: ${CHECKS.map((c) => c.name).join(', ')}`
    );
  }
  const selected = CHECKS.filter((c) => !options.only?.length || options.only.includes(c.name));
  const outcomes: CheckOutcome[] = [];

  // Checks of the committed sources run before the build below rewrites the compiled .js.
  const beforeBuild = selected.filter((c) => c.beforeBuild);
  if (beforeBuild.length > 0) {
    const committed = await loadWorkspace(options.projectDir, options.toolRoot);
    for (const check of beforeBuild) {
      const outcome = await runCheck(check, committed);
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
    }
  }

  // The deployable .js of each TypeScript LWC is what conversion and deploy see, so build first.
  const buildStarted = performance.now();
  try {
    await buildLwc(options.projectDir, options.toolRoot);
  } catch (error) {
    const findings = (error as Error).message
      .split('\n')
      .slice(1)
      .map((line): Finding => {
        const match = /^(.+?):(\d+):(\d+) (.*)$/.exec(line);
        return {
          check: 'lwc-build',
          file: path.relative(options.projectDir, match?.[1] ?? line),
          line: match ? Number(match[2]) : undefined,
          column: match ? Number(match[3]) : undefined,
          severity: 'error',
          message: match?.[4] ?? 'does not compile'
        };
      });
    outcomes.push({ name: 'lwc-build', durationMs: performance.now() - buildStarted, findings });
  }

  const ws = await loadWorkspace(options.projectDir, options.toolRoot);
  await Promise.all(
    selected
      .filter((c) => !c.beforeBuild)
      .map(async (check) => {
        const outcome = await runCheck(check, ws);
        outcomes.push(outcome);
        options.onOutcome?.(outcome);
      })
  );
  outcomes.sort(
    (a, b) =>
      selected.findIndex((c) => c.name === a.name) - selected.findIndex((c) => c.name === b.name)
  );
  const all = outcomes.flatMap((o) => o.findings);
  const errors = all.filter((f) => f.severity === 'error').length;
  return {
    project: options.projectDir,
    outcomes,
    errors,
    warnings: all.length - errors,
    passed: errors === 0 && outcomes.every((o) => !o.crashed),
    durationMs: performance.now() - started
  };
}
