import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { apexLsClasspath } from '../apex-ls.ts';
import type { CheckResult, Finding } from '../finding.ts';
import { run } from '../run-process.ts';
import { filesEnding, type Workspace } from '../workspace.ts';

interface ApexLsReport {
  files: {
    path: string;
    messages: { start: { line: number; offset: number }; category: string; message: string }[];
  }[];
}

/** apex-ls categories that a deploy would reject; the rest (Warning, Unused) are advice. */
const BLOCKING = new Set(['Syntax', 'Error', 'Missing']);
const MAX_MESSAGE = 240;

/**
 * `convertCurrency(Field)` in static SOQL: apex-ls 5.3.0 throws a NullPointerException on the
 * whole run (its SOQL reader finds no FROM), so the gate could name no file. The gate shows
 * apex-ls the query with the function blanked out (`Field` alone, same lines and columns); the
 * `references` check still reads the field inside it.
 */
const CONVERT_CURRENCY = /\bconvertCurrency\s*\(\s*([\w.]+)\s*\)/gi;

/**
 * apex-ls 5.3.0's platform events lack `EventUuid` (API 52.0+, every `__e` has it). The
 * `references` check resolves it against the schema model, which lists it, so this finding is
 * dropped rather than reported twice or wrongly.
 */
const EVENT_FIELD_UNKNOWN_TO_APEX_LS =
  /^Unknown field '(EventUuid|ReplayId)' on SObject 'Schema\.\w+__e'$/i;

/**
 * An external object's folder (`objects/Foo__x/...`): apex-ls 5.3.0 knows no external objects
 * (it reports "No SObject declaration found" for the object and "Unrecognised type
 * 'IndirectLookup'" for an indirect lookup, which a deploy accepts), so the gate does not show
 * them to it. The `references` check reads external objects and their fields from the schema
 * model instead (toolkit/src/salesforce-schema, kind `external`).
 */
export function hiddenFromApexLs(file: string): boolean {
  return /[\\/]objects[\\/][^\\/]+__x([\\/]|$)/i.test(file);
}

/**
 * apex-ls's findings about an external object Apex uses, which it cannot know once hidden (see
 * hiddenFromApexLs): dropped, the `references` check resolves them against the schema model.
 */
const EXTERNAL_OBJECT_UNKNOWN_TO_APEX_LS = /'[^']*\b\w+__x\b[^']*'/i;

/** `source` with each `convertCurrency(x)` turned into `x`, every other character in place. */
export function withoutConvertCurrency(source: string): string {
  return source.replace(CONVERT_CURRENCY, (match: string, field: string) => {
    const at = match.indexOf(field, match.indexOf('('));
    const blank = match.replace(/[^\n]/g, ' ');
    return blank.slice(0, at) + field + blank.slice(at + field.length);
  });
}

/**
 * The folder apex-ls reads: the project itself, or, when a class uses what apex-ls cannot read
 * (see CONVERT_CURRENCY) or the project has external objects (see hiddenFromApexLs), a copy of its sfdx-project.json, .forceignore and package directories
 * with those files rewritten. `dispose` removes the copy.
 */
async function apexLsView(ws: Workspace): Promise<{ root: string; dispose: () => Promise<void> }> {
  const rewritten: [string, string][] = [];
  for (const file of filesEnding(ws, '.cls', '.trigger')) {
    const source = await readFile(file, 'utf8');
    const view = withoutConvertCurrency(source);
    if (view !== source) rewritten.push([path.relative(ws.root, file), view]);
  }
  const hides = ws.files.some(hiddenFromApexLs);
  if (rewritten.length === 0 && !hides) return { root: ws.root, dispose: async () => {} };
  const root = await mkdtemp(path.join(os.tmpdir(), 'gate-apex-ls-'));
  for (const name of ['sfdx-project.json', '.forceignore']) {
    await cp(path.join(ws.root, name), path.join(root, name)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  }
  for (const dir of ws.packageDirs) {
    await cp(dir, path.join(root, path.relative(ws.root, dir)), {
      recursive: true,
      filter: (source) => !hiddenFromApexLs(path.relative(ws.root, source))
    });
  }
  for (const [relative, view] of rewritten) await writeFile(path.join(root, relative), view);
  return { root, dispose: () => rm(root, { recursive: true, force: true }) };
}

/**
 * The compile-style check: apex-ls resolves every Apex type, method, field and platform-event
 * field against the project's own object metadata and the standard library, like the org's
 * compiler does on deploy.
 */
export async function checkApexSemantics(ws: Workspace): Promise<CheckResult> {
  const classpath = await apexLsClasspath();
  const view = await apexLsView(ws);
  try {
    return await runApexLs(view.root, classpath);
  } finally {
    await view.dispose();
  }
}

async function runApexLs(root: string, classpath: string): Promise<CheckResult> {
  const result = await run('java', [
    '-Xss8m',
    '-cp',
    classpath,
    'io.github.apexdevtools.apexls.CheckForIssues',
    '--nocache',
    '--format',
    'json',
    '--detail',
    'warnings',
    '--workspace',
    root
  ]);
  // Exit 0 = clean, 4 = issues found; anything else means the checker itself failed.
  if (result.code !== 0 && result.code !== 4) {
    throw new Error(
      `apex-ls exited ${result.code}: ${(result.stderr || result.stdout).slice(0, 2000)}`
    );
  }
  const jsonStart = result.stdout.indexOf('{');
  const report: ApexLsReport =
    jsonStart >= 0 ? JSON.parse(result.stdout.slice(jsonStart)) : { files: [] };
  const findings: Finding[] = [];
  let dropped = false;
  for (const file of report.files) {
    for (const m of file.messages) {
      if (
        EVENT_FIELD_UNKNOWN_TO_APEX_LS.test(m.message) ||
        EXTERNAL_OBJECT_UNKNOWN_TO_APEX_LS.test(m.message)
      ) {
        dropped = true;
        continue;
      }
      const text =
        m.message.length > MAX_MESSAGE ? `${m.message.slice(0, MAX_MESSAGE)}...` : m.message;
      findings.push({
        check: 'apex',
        file: path.relative(root, file.path).split(path.sep).join('/'),
        line: m.start.line,
        column: m.start.offset + 1,
        severity: BLOCKING.has(m.category) ? 'error' : 'warning',
        rule: m.category,
        message: text
      });
    }
  }
  if (result.code === 4 && !dropped && !findings.some((f) => f.severity === 'error')) {
    throw new Error(`apex-ls reported errors it did not list: ${result.stdout.slice(0, 2000)}`);
  }
  return { findings };
}
