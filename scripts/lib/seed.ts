/**
 * Seed data: the sObject-tree plan in data/seed/ imported with `sf data import tree --plan`.
 *
 * Plan format: @salesforce/plugin-data 4.0.115 lib/schema/dataImportPlan.js: an array of
 * `{ sobject, files }` (`saveRefs`/`resolveRefs` are ignored by that version and only produce a
 * warning, so the plan omits them). References between files are `@<Object>Ref<N>` values
 * resolved from the `attributes.referenceId` of records imported earlier.
 *
 * The import inserts records every time it runs, so {@link planSeed} skips it when the seed
 * Accounts already exist in the org (checked by Name), unless forced.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ScriptError } from '../../toolkit/src/cli/main.ts';
import type { Sf } from './sf.ts';

export const DEFAULT_SEED_PLAN = path.join('data', 'seed', 'seed-plan.json');

export interface SeedRecord {
  attributes: { type: string; referenceId: string };
  [field: string]: unknown;
}

export interface SeedPlanInfo {
  /** Plan path as given (relative to the project root or absolute). */
  planFile: string;
  /** Records per sObject, in plan order. */
  counts: Array<{ sobject: string; records: number }>;
  /** Names of the plan's Account records (used to detect an earlier import). */
  accountNames: string[];
}

function fail(planFile: string, why: string): never {
  throw new ScriptError(`Seed plan ${planFile} is not usable: ${why}`);
}

/** Reads and checks the plan and its data files; every problem is a one-line ScriptError. */
export function readSeedPlan(planFile: string, root: string): SeedPlanInfo {
  const planPath = path.resolve(root, planFile);
  if (!existsSync(planPath)) throw new ScriptError(`Seed plan not found: ${planFile}`);
  let plan: unknown;
  try {
    plan = JSON.parse(readFileSync(planPath, 'utf8'));
  } catch (error) {
    fail(planFile, `invalid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(plan) || plan.length === 0)
    fail(planFile, 'expected a non-empty JSON array of { "sobject", "files" }');
  const counts: SeedPlanInfo['counts'] = [];
  const accountNames: string[] = [];
  const referenceIds = new Set<string>();
  const usedRefs: Array<{ from: string; to: string }> = [];
  for (const [index, entry] of plan.entries()) {
    const { sobject, files } = (entry ?? {}) as { sobject?: unknown; files?: unknown };
    if (
      typeof sobject !== 'string' ||
      !Array.isArray(files) ||
      files.some((f) => typeof f !== 'string')
    ) {
      fail(planFile, `entry ${index} needs "sobject" (string) and "files" (array of strings)`);
    }
    let records = 0;
    for (const file of files as string[]) {
      const dataPath = path.resolve(path.dirname(planPath), file);
      if (!existsSync(dataPath)) fail(planFile, `data file ${file} does not exist`);
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(dataPath, 'utf8'));
      } catch (error) {
        fail(planFile, `data file ${file} is invalid JSON (${(error as Error).message})`);
      }
      const list = (data as { records?: unknown }).records;
      if (!Array.isArray(list) || list.length === 0)
        fail(planFile, `data file ${file} needs a non-empty "records" array`);
      for (const record of list as SeedRecord[]) {
        const type = record?.attributes?.type;
        const ref = record?.attributes?.referenceId;
        if (type !== sobject)
          fail(
            planFile,
            `a record in ${file} has attributes.type ${String(type)}, expected ${sobject}`
          );
        if (typeof ref !== 'string' || !/^\w+Ref\d+$/.test(ref)) {
          fail(planFile, `a record in ${file} needs attributes.referenceId like ${sobject}Ref1`);
        }
        if (referenceIds.has(ref)) fail(planFile, `referenceId ${ref} is used twice`);
        for (const value of Object.values(record)) {
          if (typeof value === 'string' && /^@\w+Ref\d+$/.test(value))
            usedRefs.push({ from: `${ref} in ${file}`, to: value });
        }
        referenceIds.add(ref);
        if (sobject === 'Account' && typeof record.Name === 'string')
          accountNames.push(record.Name);
        records += 1;
      }
    }
    counts.push({ sobject, records });
  }
  for (const { from, to } of usedRefs) {
    if (!referenceIds.has(to.slice(1)))
      fail(planFile, `${from} refers to ${to}, which no record in the plan defines`);
  }
  return { planFile, counts, accountNames };
}

/** SOQL string literal escaping (backslash and quote). */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function buildExistingAccountsQuery(names: readonly string[]): string {
  return `SELECT Name FROM Account WHERE Name IN (${names.map(soqlString).join(', ')})`;
}

export function buildSeedImportArgs(planFile: string, targetOrg?: string): string[] {
  const args = ['data', 'import', 'tree', '--plan', planFile];
  if (targetOrg) args.push('--target-org', targetOrg);
  return args;
}

export type SeedDecision = { action: 'import' } | { action: 'skip'; reason: string };

/** Import unless the seed Accounts are already there (then importing again would duplicate them). */
export function planSeed(
  info: SeedPlanInfo,
  existingAccountNames: readonly string[],
  force: boolean
): SeedDecision {
  if (force) return { action: 'import' };
  const present = info.accountNames.filter((name) => existingAccountNames.includes(name));
  if (present.length === 0) return { action: 'import' };
  return {
    action: 'skip',
    reason: `${present.length} of ${info.accountNames.length} seed Accounts already exist in the org (e.g. '${present[0]}'); nothing imported. Use --force to import again (creates duplicates).`
  };
}

interface QueryResult {
  records: Array<{ Name?: string }>;
  totalSize: number;
}

/** One line per imported record type, e.g. "Account: 5, Contact: 7". */
export function summarizeImport(results: ReadonlyArray<{ type: string }>): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type}: ${n}`).join(', ') || 'no records';
}

/** Checks for an earlier import, then imports; returns a one-line account of what happened. */
export async function seedOrg(
  sf: Sf,
  options: { planFile: string; root: string; targetOrg?: string; force: boolean }
): Promise<{ imported: boolean; message: string }> {
  const info = readSeedPlan(options.planFile, options.root);
  let existing: string[] = [];
  if (!options.force && info.accountNames.length > 0) {
    const queryArgs = ['data', 'query', '--query', buildExistingAccountsQuery(info.accountNames)];
    if (options.targetOrg) queryArgs.push('--target-org', options.targetOrg);
    const found = await sf.result<QueryResult>(queryArgs);
    existing = found.records.map((r) => r.Name).filter((n): n is string => typeof n === 'string');
  }
  const decision = planSeed(info, existing, options.force);
  if (decision.action === 'skip') return { imported: false, message: decision.reason };
  const results = await sf.result<Array<{ refId: string; type: string; id: string }>>(
    buildSeedImportArgs(options.planFile, options.targetOrg)
  );
  return {
    imported: true,
    message: `Imported ${summarizeImport(Array.isArray(results) ? results : [])}.`
  };
}
