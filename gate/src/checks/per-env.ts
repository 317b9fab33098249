import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CheckResult, Finding } from '../finding.ts';
import { rel, type Workspace } from '../workspace.ts';
import { lineAt, withoutComments } from '../xml-text.ts';

// Rule per-env (docs/verification-gate.md, "Per-environment values"): a value that differs per
// environment must not deploy as committed, or every deploy overwrites what admins set in that
// environment. Two kinds:
// - where an integration points: URL parameters of Named Credentials and their legacy
//   <endpoint>, CSP Trusted Sites, Remote Site Settings, CORS origins, External Data Sources;
// - every value of a custom metadata record (kill switches, merchant codes, endpoints, log
//   levels, ...). Custom metadata records deploy whole and overwrite the org's record, and
//   `<protected>` / `<fieldManageability>` only take effect in managed packages, not in the
//   unpackaged source deploys this project makes, so no record value is safe by default: each
//   is replaced per environment or declared the same everywhere.
// Each such value needs an entry in sfdx-project.json `replacements` (Salesforce CLI string
// replacement) whose `filename` (or `glob`) names the file and whose `stringToReplace` occurs in
// the value (or whose `regexToReplace`, run over the whole file as the CLI runs it, matches text
// overlapping the value), replaced from `replaceWithEnv` or `replaceWithFile`. A value that is
// truly the same everywhere is allowed with an XML comment on the line above (or the same line;
// for a custom metadata value, anywhere from the line above its <values> to the value):
// `<!-- same-in-every-environment: <why, 20+ characters> -->`.

/** The inline justification that lets a per-environment-looking value deploy as committed. */
export const SAME_EVERYWHERE = /<!--\s*same-in-every-environment:\s*(.*?)\s*-->/;
const MIN_JUSTIFICATION = 20;

/** One entry of `sfdx-project.json` `replacements` (the fields this project uses). */
export interface Replacement {
  filename?: string;
  glob?: string;
  stringToReplace?: string;
  regexToReplace?: string;
  replaceWithEnv?: string;
  replaceWithFile?: string;
  allowUnsetEnvVariable?: boolean;
}

/** Where per-environment values live: file suffix, and the elements holding them. */
const SOURCES: { suffix: string; what: string; find: (xml: string) => Iterable<ValueAt> }[] = [
  {
    suffix: '.namedCredential-meta.xml',
    what: 'Named Credential URL',
    find: (xml) => [
      ...elements(xml, 'endpoint'),
      ...blocks(xml, 'namedCredentialParameters')
        .filter((b) => /<parameterType>\s*Url\s*<\/parameterType>/.test(b.text))
        .flatMap((b) => elements(b.text, 'parameterValue', b.offset))
    ]
  },
  {
    suffix: '.cspTrustedSite-meta.xml',
    what: 'CSP Trusted Site URL',
    find: (xml) => elements(xml, 'endpointUrl')
  },
  { suffix: '.remoteSite-meta.xml', what: 'Remote Site URL', find: (xml) => elements(xml, 'url') },
  {
    suffix: '.corsWhitelistOrigin-meta.xml',
    what: 'CORS allowed origin',
    find: (xml) => elements(xml, 'urlPattern')
  },
  {
    suffix: '.dataSource-meta.xml',
    what: 'External Data Source endpoint',
    find: (xml) => elements(xml, 'endpoint')
  },
  {
    suffix: '.md-meta.xml',
    what: 'custom metadata value',
    find: (xml) =>
      blocks(xml, 'values').flatMap((b) => {
        const field = /<field>\s*([^<\s]+)\s*<\/field>/.exec(b.text)?.[1] ?? '?';
        return elements(b.text, 'value', b.offset).map((v) => ({
          ...v,
          label: `${field} = ${v.value}`,
          justifyFrom: b.offset
        }));
      })
  }
];

interface ValueAt {
  value: string;
  /** Offset of the value in the file. */
  index: number;
  /** How the finding names the value (default: the value). */
  label?: string;
  /** Offset from whose line (minus one) a justification comment counts (default: the value's). */
  justifyFrom?: number;
}

function elements(xml: string, name: string, base = 0): ValueAt[] {
  const found: ValueAt[] = [];
  for (const match of xml.matchAll(new RegExp(`<${name}(?:\\s[^>]*)?>([^<]*)</${name}>`, 'g'))) {
    const raw = match[1] ?? '';
    const value = raw.trim();
    if (!value) continue;
    found.push({
      value,
      index: base + match.index + match[0].indexOf('>') + 1 + raw.indexOf(value)
    });
  }
  return found;
}

function blocks(xml: string, name: string): { text: string; offset: number }[] {
  return [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => ({
    text: m[1] ?? '',
    offset: m.index + name.length + 2
  }));
}

/** A glob as the CLI reads it (`**`, `*`, `?`), matched against the end of a path. */
function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`(^|/)${out}$`);
}

/**
 * Whether a replacement entry covers `value` in the file at project-relative `file`. With `at`
 * (the file's text and the value's offset), a `regexToReplace` is run over the whole file, as
 * the CLI runs it, and must match text overlapping the value; without it, over the value alone.
 */
export function replaces(
  entry: Replacement,
  file: string,
  value: string,
  at?: { text: string; index: number }
): boolean {
  if (!entry.replaceWithEnv && !entry.replaceWithFile) return false;
  const inFile = entry.filename
    ? file === entry.filename.replace(/^\.\//, '') || file.endsWith(`/${entry.filename}`)
    : entry.glob
      ? globToRegExp(entry.glob).test(file)
      : false;
  if (!inFile) return false;
  if (entry.stringToReplace !== undefined) {
    return entry.stringToReplace.length > 0 && value.includes(entry.stringToReplace);
  }
  if (entry.regexToReplace !== undefined) {
    let regex: RegExp;
    try {
      regex = new RegExp(entry.regexToReplace, 'g');
    } catch {
      return false;
    }
    if (!at) return regex.test(value);
    const end = at.index + value.length;
    return [...at.text.matchAll(regex)].some(
      (m) => m[0].length > 0 && m.index < end && m.index + m[0].length > at.index
    );
  }
  return false;
}

/** Rule per-env: see the top of this file. */
export async function checkPerEnvironment(ws: Workspace): Promise<CheckResult> {
  const project = JSON.parse(await readFile(path.join(ws.root, 'sfdx-project.json'), 'utf8')) as {
    replacements?: Replacement[];
  };
  const replacements = project.replacements ?? [];
  const findings: Finding[] = [];
  let values = 0;
  for (const source of SOURCES) {
    for (const file of ws.files.filter((f) => f.endsWith(source.suffix))) {
      const xml = await readFile(file, 'utf8');
      const lines = xml.split('\n');
      const active = withoutComments(xml);
      const relative = rel(ws, file);
      for (const { value, index, label, justifyFrom } of source.find(active)) {
        values++;
        const line = lineAt(active, index);
        const from = justifyFrom === undefined ? line : lineAt(active, justifyFrom);
        const justified = lines
          .slice(Math.max(from - 2, 0), line)
          .map((text) => SAME_EVERYWHERE.exec(text)?.[1] ?? '')
          .some((why) => why.length >= MIN_JUSTIFICATION);
        if (
          justified ||
          replacements.some((r) => replaces(r, relative, value, { text: xml, index }))
        )
          continue;
        const field = label?.split(' = ')[0];
        const record = relative.endsWith('.md-meta.xml')
          ? `${path.basename(relative, '.md-meta.xml')} `
          : '';
        const entry = field
          ? `{"filename": "${relative}", "regexToReplace": ${JSON.stringify(`(?<=<field>${field}</field>\\s*<value[^>]*>)[^<]*(?=</value>)`)}, "replaceWithEnv": "<VARIABLE>"}`
          : `{"filename": "${relative}", "stringToReplace": "${value}", "replaceWithEnv": "<VARIABLE>"}`;
        findings.push({
          check: 'per-env',
          file: relative,
          line,
          severity: 'error',
          message:
            `${source.what} ${record}${label ?? value} is committed without a replacement: every deploy would overwrite this environment's value. ` +
            `Add to sfdx-project.json "replacements": ${entry} ` +
            `(and document the variable), or, if it is the same in every environment, say why on the line above: ` +
            `<!-- same-in-every-environment: why (at least ${MIN_JUSTIFICATION} characters) -->`
        });
      }
    }
  }
  return {
    findings,
    summary: `${values} per-environment values, ${replacements.length} replacements`
  };
}
