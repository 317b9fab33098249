/**
 * Finding out, from sf's JSON, whether a Dev Hub and a target org are set and authorised, and
 * the exact message telling the user what to run when they are not.
 *
 * Observed with sf 2.146.3 (fixtures in scripts/test/fixtures/sf-observed.ts):
 * - `sf config get target-org target-dev-hub --json` always succeeds; an unset key is an entry
 *   without `value`: {"name":"target-org","key":"target-org","success":true}; a set one has
 *   "value", "location" ("Global" | "Local" | "Environment") and "path".
 * - When `target-org` names an org without authorisation, org-using commands (`org display`,
 *   `project deploy start`, ...) still say NoDefaultEnvError, which is misleading; asking
 *   `org display --target-org <name>` gives NamedOrgNotFoundError. So: read the config first,
 *   then check the named org.
 * - `sf org list --skip-connection-status --json` reads only local auth files; Dev Hubs are in
 *   `result.devHubs` (entries with "isDevHub": true, "alias", "username").
 */
import { ScriptError } from '../../toolkit/src/cli/main.ts';
import { SF_ERROR, isSfError, type Sf } from './sf.ts';

/** One entry of `sf config get --json`'s result array. */
export interface ConfigGetEntry {
  name: string;
  key?: string;
  value?: unknown;
  location?: string;
  path?: string;
  success: boolean;
}

export interface ConfigValue {
  value: string;
  /** Where sf found it: Global, Local (project) or Environment. */
  location: string;
}

/** An org as `sf org list --json` reports it (the fields this project reads). */
export interface OrgListEntry {
  username: string;
  alias?: string;
  orgId?: string;
  instanceUrl?: string;
  isDevHub?: boolean;
  isScratch?: boolean;
  isDefaultUsername?: boolean;
  isDefaultDevHubUsername?: boolean;
  status?: string;
  expirationDate?: string;
}

export interface OrgListResult {
  other?: OrgListEntry[];
  sandboxes?: OrgListEntry[];
  nonScratchOrgs?: OrgListEntry[];
  devHubs?: OrgListEntry[];
  scratchOrgs?: OrgListEntry[];
}

/** `sf org display --json`'s result (fields this project reads). */
export interface OrgDisplayResult {
  username: string;
  id?: string;
  alias?: string;
  instanceUrl?: string;
  /** Non-scratch orgs: "Connected" or the connection error. */
  connectedStatus?: string;
  /** Scratch orgs: ScratchOrgInfo status ("Active", "Expired", "Deleted"). */
  status?: string;
  expirationDate?: string;
  devHubId?: string;
}

/** Where the org name came from. */
export type NameSource = { kind: 'flag' } | { kind: 'config'; location: string };

export type DevHubStatus =
  | { state: 'ok'; name: string; username: string; source: NameSource }
  | { state: 'not-set' }
  | { state: 'not-authorised'; name: string; source: NameSource }
  | { state: 'not-a-dev-hub'; name: string; username: string; source: NameSource };

export type TargetOrgStatus =
  | {
      state: 'ok';
      name: string;
      username: string;
      alias?: string;
      instanceUrl?: string;
      source: NameSource;
      /** Set when sf could not reach the org (not fatal: sf will report the real error). */
      connectionProblem?: string;
      expirationDate?: string;
    }
  | { state: 'not-set' }
  | { state: 'not-authorised'; name: string; source: NameSource }
  | {
      state: 'inactive-scratch-org';
      name: string;
      username: string;
      status: string;
      source: NameSource;
    };

export const DEV_HUB_LOGIN = 'sf org login web --set-default-dev-hub --alias DevHub';
export const TARGET_ORG_LOGIN = 'sf org login web --alias my-org --set-default';

/** Reads config values; keys that are unset are absent from the returned record. */
export async function getConfigValues(
  sf: Sf,
  keys: readonly string[]
): Promise<Record<string, ConfigValue>> {
  const entries = await sf.result<ConfigGetEntry[]>(['config', 'get', ...keys]);
  const values: Record<string, ConfigValue> = {};
  for (const entry of Array.isArray(entries) ? entries : []) {
    const key = entry.key ?? entry.name;
    if (entry.success && typeof entry.value === 'string' && entry.value.trim() !== '') {
      values[key] = { value: entry.value.trim(), location: entry.location ?? 'config' };
    }
  }
  return values;
}

export async function listOrgs(sf: Sf): Promise<OrgListResult> {
  return sf.result<OrgListResult>(['org', 'list', '--skip-connection-status']);
}

function matches(entry: OrgListEntry, name: string): boolean {
  return entry.alias === name || entry.username === name;
}

/** Finds an org by alias or username among the non-scratch orgs of `sf org list`. */
export function findNonScratchOrg(list: OrgListResult, name: string): OrgListEntry | undefined {
  return [
    ...(list.devHubs ?? []),
    ...(list.nonScratchOrgs ?? []),
    ...(list.other ?? []),
    ...(list.sandboxes ?? [])
  ].find((entry) => matches(entry, name));
}

/**
 * `sf org display --target-org <name>`: the org's details, or undefined when sf has no
 * authorisation for that name (NamedOrgNotFoundError / NoDefaultEnvError).
 */
export async function displayOrg(
  sf: Sf,
  name: string,
  timeoutMs?: number
): Promise<OrgDisplayResult | undefined> {
  try {
    return await sf.result<OrgDisplayResult>(
      ['org', 'display', '--target-org', name],
      timeoutMs ? { timeoutMs } : {}
    );
  } catch (error) {
    if (isSfError(error, SF_ERROR.NamedOrgNotFound) || isSfError(error, SF_ERROR.NoDefaultEnv))
      return undefined;
    throw error;
  }
}

/**
 * Which Dev Hub `org create scratch` would use and whether it is authorised.
 * @param explicit the script's `--dev-hub` value, if given (wins over config, as in sf).
 */
export async function resolveDevHub(sf: Sf, explicit?: string): Promise<DevHubStatus> {
  let name = explicit;
  let source: NameSource = { kind: 'flag' };
  if (name === undefined) {
    const config = await getConfigValues(sf, ['target-dev-hub']);
    const configured = config['target-dev-hub'];
    if (!configured) return { state: 'not-set' };
    name = configured.value;
    source = { kind: 'config', location: configured.location };
  }
  const list = await listOrgs(sf);
  let entry = findNonScratchOrg(list, name);
  if (!entry) {
    // `org list` shows one alias per user; a second alias of an authorised user resolves here.
    const display = await displayOrg(sf, name);
    if (!display) return { state: 'not-authorised', name, source };
    entry = findNonScratchOrg(list, display.username) ?? {
      username: display.username,
      isDevHub: false
    };
  }
  if (entry.isDevHub !== true)
    return { state: 'not-a-dev-hub', name, username: entry.username, source };
  return { state: 'ok', name, username: entry.username, source };
}

/**
 * Which org sf would deploy to / test in, and whether it is authorised and usable.
 * @param explicit the script's `--target-org` value, if given.
 */
export async function resolveTargetOrg(
  sf: Sf,
  explicit?: string,
  timeoutMs?: number
): Promise<TargetOrgStatus> {
  let name = explicit;
  let source: NameSource = { kind: 'flag' };
  if (name === undefined) {
    const config = await getConfigValues(sf, ['target-org']);
    const configured = config['target-org'];
    if (!configured) return { state: 'not-set' };
    name = configured.value;
    source = { kind: 'config', location: configured.location };
  }
  const display = await displayOrg(sf, name, timeoutMs);
  if (!display) return { state: 'not-authorised', name, source };
  if (display.status !== undefined && display.status !== 'Active') {
    return {
      state: 'inactive-scratch-org',
      name,
      username: display.username,
      status: display.status,
      source
    };
  }
  const connectionProblem =
    display.connectedStatus !== undefined && display.connectedStatus !== 'Connected'
      ? display.connectedStatus
      : undefined;
  return {
    state: 'ok',
    name,
    username: display.username,
    ...(display.alias ? { alias: display.alias } : {}),
    ...(display.instanceUrl ? { instanceUrl: display.instanceUrl } : {}),
    ...(display.expirationDate ? { expirationDate: display.expirationDate } : {}),
    ...(connectionProblem ? { connectionProblem } : {}),
    source
  };
}

function describeSource(name: string, source: NameSource, key: string): string {
  return source.kind === 'flag' ? `'${name}'` : `'${name}' (${key} in ${source.location} config)`;
}

/** Alias to suggest in a login command: the configured name when it is an alias, else a default. */
function aliasFor(name: string, fallback: string): string {
  return /^[A-Za-z0-9_.-]+$/.test(name) && !name.includes('@') ? name : fallback;
}

export function devHubProblemMessage(status: Exclude<DevHubStatus, { state: 'ok' }>): string {
  switch (status.state) {
    case 'not-set':
      return `No Dev Hub is set for this project, so no scratch org can be created. Authorise your Dev Hub with: ${DEV_HUB_LOGIN} (or pass --dev-hub <alias> for one that is already authorised).`;
    case 'not-authorised':
      return `The Dev Hub ${describeSource(status.name, status.source, 'target-dev-hub')} is not authorised on this machine. Authorise it with: sf org login web --set-default-dev-hub --alias ${aliasFor(status.name, 'DevHub')}`;
    case 'not-a-dev-hub':
      return `The org ${describeSource(status.name, status.source, 'target-dev-hub')} (${status.username}) is authorised but is not a Dev Hub. Enable Dev Hub in its Setup (Setup > Dev Hub), then authorise it again with: sf org login web --set-default-dev-hub --alias ${aliasFor(status.name, 'DevHub')}`;
  }
}

export function targetOrgProblemMessage(status: Exclude<TargetOrgStatus, { state: 'ok' }>): string {
  switch (status.state) {
    case 'not-set':
      return `No target org is set. Authorise an org with: ${TARGET_ORG_LOGIN} (or create a scratch org with: npm run org:create), or pass --target-org <alias>.`;
    case 'not-authorised':
      return `The target org ${describeSource(status.name, status.source, 'target-org')} is not authorised on this machine. Authorise it with: sf org login web --alias ${aliasFor(status.name, 'my-org')} --set-default (or create a scratch org with: npm run org:create).`;
    case 'inactive-scratch-org':
      return `The target org ${describeSource(status.name, status.source, 'target-org')} is a scratch org with status ${status.status}. Create a new one with: npm run org:create (remove the old one with: sf org logout --target-org ${status.username} --no-prompt).`;
  }
}

/** The Dev Hub, or a {@link ScriptError} saying exactly what to authorise. */
export async function requireDevHub(
  sf: Sf,
  explicit?: string
): Promise<Extract<DevHubStatus, { state: 'ok' }>> {
  const status = await resolveDevHub(sf, explicit);
  if (status.state !== 'ok') throw new ScriptError(devHubProblemMessage(status));
  return status;
}

/** The target org, or a {@link ScriptError} saying exactly what to run. */
export async function requireTargetOrg(
  sf: Sf,
  explicit?: string
): Promise<Extract<TargetOrgStatus, { state: 'ok' }>> {
  const status = await resolveTargetOrg(sf, explicit);
  if (status.state !== 'ok') throw new ScriptError(targetOrgProblemMessage(status));
  return status;
}

/**
 * Translates an org-related sf failure that slipped past the checks (e.g. the auth was removed
 * in between) into the same clear message; other errors are returned unchanged.
 */
export function explainOrgError(error: unknown, target?: string): unknown {
  if (isSfError(error, SF_ERROR.NoDefaultEnv)) {
    return new ScriptError(
      targetOrgProblemMessage(
        target
          ? { state: 'not-authorised', name: target, source: { kind: 'flag' } }
          : { state: 'not-set' }
      )
    );
  }
  if (isSfError(error, SF_ERROR.NamedOrgNotFound)) {
    return new ScriptError(
      targetOrgProblemMessage({
        state: 'not-authorised',
        name: target ?? 'unknown',
        source: { kind: 'flag' }
      })
    );
  }
  if (isSfError(error, SF_ERROR.NoDefaultDevHub))
    return new ScriptError(devHubProblemMessage({ state: 'not-set' }));
  return error;
}
