/**
 * `npm run doctor`: a checklist of the local toolchain. Required items (Node in the engines
 * range, Java 17+, the project's sf CLI) decide the exit code; orgs are optional for local work.
 */
import { spawnSync } from 'node:child_process';
import {
  devHubProblemMessage,
  resolveDevHub,
  resolveTargetOrg,
  targetOrgProblemMessage
} from './orgs.ts';
import { oneLine } from '../../toolkit/src/cli/main.ts';
import { type Sf } from './sf.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  /** Optional checks never fail the doctor. */
  required: boolean;
  detail: string;
  hint?: string;
}

// ---- versions -------------------------------------------------------------------------------

type Version = [number, number, number];

function parseVersion(text: string): Version | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i += 1) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Whether `version` satisfies an npm engines range made of comparators (>=, >, <=, <, =, or a
 * bare version), space-separated (AND) and joined by `||` (OR), e.g. ">=20.18 <25".
 * @throws Error for range syntax outside that subset (^, ~, x-ranges, hyphen ranges).
 */
export function satisfiesRange(version: string, range: string): boolean {
  const current = parseVersion(version);
  if (!current) throw new Error(`Not a version: ${version}`);
  return range.split('||').some((set) => {
    const comparators = set.trim().split(/\s+/).filter(Boolean);
    return comparators.every((comparator) => {
      const match = /^(>=|<=|>|<|=)?\s*(.+)$/.exec(comparator);
      const bound = match ? parseVersion(match[2] ?? '') : undefined;
      if (!match || !bound) throw new Error(`Unsupported version range: ${range}`);
      const cmp = compare(current, bound);
      switch (match[1]) {
        case '>=':
          return cmp >= 0;
        case '>':
          return cmp > 0;
        case '<=':
          return cmp <= 0;
        case '<':
          return cmp < 0;
        default:
          return cmp === 0;
      }
    });
  });
}

/** Major version from `java -version` output: "17.0.15" -> 17, legacy "1.8.0_392" -> 8. */
export function parseJavaMajor(output: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(output);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

// ---- checks ---------------------------------------------------------------------------------

export function checkNode(version: string, engines: string | undefined): CheckResult {
  const name = 'Node.js';
  if (!engines)
    return {
      name,
      ok: true,
      required: true,
      detail: `${version} (package.json has no engines.node)`
    };
  try {
    const ok = satisfiesRange(version, engines);
    return ok
      ? { name, ok, required: true, detail: `${version} (engines: ${engines})` }
      : {
          name,
          ok,
          required: true,
          detail: `${version} is outside engines ${engines}`,
          hint: `Install a Node.js version matching ${engines} (e.g. Node 20 LTS or 22).`
        };
  } catch (error) {
    return {
      name,
      ok: false,
      required: true,
      detail: `cannot check ${version} against engines ${engines}: ${(error as Error).message}`
    };
  }
}

export interface JavaProbe {
  /** Undefined when `java` is not on PATH. */
  output?: string;
}

export function probeJava(): JavaProbe {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error) return {};
  return { output: `${result.stderr ?? ''}${result.stdout ?? ''}` };
}

export function checkJava(probe: JavaProbe, minimum = 17): CheckResult {
  const name = 'Java';
  const hint = `Install a JDK/JRE ${minimum}+ and put java on PATH (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17). The gate's Apex checker and PMD need it.`;
  if (probe.output === undefined)
    return { name, ok: false, required: true, detail: 'java not found on PATH', hint };
  const major = parseJavaMajor(probe.output);
  if (major === undefined)
    return {
      name,
      ok: false,
      required: true,
      detail: `cannot read the version from: ${oneLine(probe.output).slice(0, 120)}`,
      hint
    };
  return major >= minimum
    ? { name, ok: true, required: true, detail: `Java ${major}` }
    : { name, ok: false, required: true, detail: `Java ${major} is older than ${minimum}`, hint };
}

export async function checkSfCli(
  sf: Sf,
  pinned: string | undefined
): Promise<CheckResult & { usable: boolean }> {
  const name = 'Salesforce CLI (project-local sf)';
  try {
    const version = await sf.plainJson<{ cliVersion?: string; nodeVersion?: string }>(['version'], {
      timeoutMs: 60_000
    });
    const installed = version.cliVersion?.split('/').at(-1) ?? 'unknown';
    const pin = pinned?.replace(/^[\^~=]/, '');
    if (pin && installed !== pin) {
      return {
        name,
        ok: false,
        usable: true,
        required: true,
        detail: `${installed}, but package.json pins ${pinned}`,
        hint: 'Run npm ci to install the pinned CLI.'
      };
    }
    return { name, ok: true, usable: true, required: true, detail: installed };
  } catch (error) {
    return {
      name,
      ok: false,
      usable: false,
      required: true,
      detail: oneLine((error as Error).message),
      hint: 'Run npm ci (the CLI is a devDependency: @salesforce/cli).'
    };
  }
}

/** An org check that did not find a usable org, or could not ask sf at all. */
function orgProblem(name: string, state: string, hint: string): CheckResult {
  return {
    name,
    ok: false,
    required: false,
    detail: state === 'not-set' ? 'none set' : state,
    hint
  };
}

function sfUnavailable(name: string, error: unknown): CheckResult {
  return {
    name,
    ok: false,
    required: false,
    detail: `could not ask sf: ${oneLine((error as Error).message)}`
  };
}

export async function checkDevHub(sf: Sf): Promise<CheckResult> {
  const name = 'Dev Hub (for npm run org:create)';
  try {
    const status = await resolveDevHub(sf);
    if (status.state === 'ok')
      return { name, ok: true, required: false, detail: `${status.name} (${status.username})` };
    return orgProblem(name, status.state, devHubProblemMessage(status));
  } catch (error) {
    return sfUnavailable(name, error);
  }
}

export async function checkTargetOrg(sf: Sf): Promise<CheckResult> {
  const name = 'Target org (for deploy, org:test, seed)';
  try {
    const status = await resolveTargetOrg(sf, undefined, 60_000);
    if (status.state === 'ok') {
      const reach = status.connectionProblem
        ? `; sf reports: ${oneLine(status.connectionProblem)}`
        : '';
      return {
        name,
        ok: status.connectionProblem === undefined,
        required: false,
        detail: `${status.name} (${status.username})${reach}`
      };
    }
    return orgProblem(name, status.state, targetOrgProblemMessage(status));
  } catch (error) {
    return sfUnavailable(name, error);
  }
}

/** The checklist text: one line per check, hints indented under failed ones. */
export function formatChecklist(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(
      `${r.ok ? '✓' : '✗'} ${r.name}: ${r.detail}${!r.ok && !r.required ? ' (optional)' : ''}`
    );
    if (!r.ok && r.hint) lines.push(`    -> ${r.hint}`);
  }
  const failedRequired = results.filter((r) => r.required && !r.ok).length;
  lines.push('');
  lines.push(
    failedRequired === 0
      ? 'Local toolchain OK.' +
          (results.some((r) => !r.ok)
            ? ' Org checks are optional: local work (npm test, npm run verify) does not need an org.'
            : '')
      : `${failedRequired} required check${failedRequired === 1 ? '' : 's'} failed.`
  );
  return lines.join('\n');
}

/** Exit code: 1 when a required check failed. */
export function doctorExitCode(results: readonly CheckResult[]): number {
  return results.some((r) => r.required && !r.ok) ? 1 : 0;
}
