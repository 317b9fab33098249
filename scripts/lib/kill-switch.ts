/**
 * The deploy's kill-switch guard. Integration_Setting__mdt records deploy like code, so a deploy
 * writes each record's Enabled__c from its environment variable (sfdx-project.json
 * replacements). An admin who switched a scenario off in Setup during an incident would see the
 * next routine deploy switch it back on. Before deploying, `npm run deploy` therefore reads the
 * switches the org has now and refuses to turn one on that is off there, unless the person
 * deploying says so (`--enable-integrations`) or sets the variable to false.
 */
import type { Replacement } from './per-env.ts';
import { isSfError, type Sf } from './sf.ts';

/** One Integration_Setting__mdt record's switch whose value a deploy replaces. */
export interface DeployedSwitch {
  /** The record's DeveloperName, e.g. `Payments`. */
  record: string;
  /** The environment variable the deploy writes into its Enabled__c. */
  variable: string;
}

const SETTING_FILE = /(?:^|\/)Integration_Setting\.([A-Za-z0-9_]+)\.md-meta\.xml$/;

/** The switches the project's replacements set, from sfdx-project.json. */
export function deployedSwitches(replacements: readonly Replacement[]): DeployedSwitch[] {
  const switches: DeployedSwitch[] = [];
  for (const entry of replacements) {
    const record = SETTING_FILE.exec(entry.filename ?? '')?.[1];
    if (!record || !entry.replaceWithEnv) continue;
    if (!/<field>Enabled__c<\/field>/.test(entry.regexToReplace ?? '')) continue;
    switches.push({ record, variable: entry.replaceWithEnv });
  }
  return switches;
}

/**
 * Why the deploy must stop: one sentence per switch that is off in the org and that the deploy
 * would turn on. Empty when nothing would be re-enabled.
 * @param orgSwitches Enabled__c per DeveloperName as the org has them now
 */
export function switchesReenabled(
  switches: readonly DeployedSwitch[],
  orgSwitches: ReadonlyMap<string, boolean>,
  env: Readonly<Record<string, string | undefined>>,
  orgName: string
): string[] {
  const problems: string[] = [];
  for (const { record, variable } of switches) {
    if (orgSwitches.get(record) !== false) continue;
    if (env[variable]?.trim() !== 'true') continue;
    problems.push(
      `Integration_Setting.${record} is switched off in '${orgName}' (Enabled__c = false) and this deploy would switch it on (${variable}=true): set ${variable}=false to keep it off, or pass --enable-integrations to switch it on deliberately.`
    );
  }
  return problems;
}

interface SettingRow {
  DeveloperName?: unknown;
  Enabled__c?: unknown;
}

/**
 * Enabled__c of every Integration_Setting__mdt record in the org. An org that does not have the
 * type yet (the first deploy) has no switch to protect: an empty map.
 */
export async function readOrgSwitches(
  sf: Sf,
  targetOrg: string | undefined
): Promise<Map<string, boolean>> {
  const args = [
    'data',
    'query',
    '--query',
    'SELECT DeveloperName, Enabled__c FROM Integration_Setting__mdt'
  ];
  if (targetOrg) args.push('--target-org', targetOrg);
  let rows: SettingRow[];
  try {
    rows = (await sf.result<{ records?: SettingRow[] }>(args)).records ?? [];
  } catch (error) {
    // sf data query reports an unknown type as INVALID_TYPE ("sObject type ... is not supported").
    if (
      isSfError(error) &&
      (error.sfName === 'INVALID_TYPE' || /is not supported/.test(error.message))
    )
      return new Map();
    throw error;
  }
  const switches = new Map<string, boolean>();
  for (const row of rows) {
    if (typeof row.DeveloperName === 'string' && typeof row.Enabled__c === 'boolean')
      switches.set(row.DeveloperName, row.Enabled__c);
  }
  return switches;
}
