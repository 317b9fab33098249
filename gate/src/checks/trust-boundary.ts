import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CheckResult, Finding } from '../finding.ts';
import { filesEnding, rel, type Workspace } from '../workspace.ts';
import { lineAt, withoutComments } from '../xml-text.ts';

// Two project rules for the trust boundary between portal users and the server, which no deploy
// rejects (docs/verification-gate.md, "Trust-boundary rules"):
//
// merge-fields  A Named Credential that allows merge fields in its HTTP headers or body makes
//               the platform evaluate `{!...}` in every header or body the callout sends, values
//               Apex copied from records included: a user who can edit such a value can have
//               `{!$Credential.<name>.<secret>}` evaluated into a request. Allowed only with an
//               inline justification, an XML comment on the line above (or the same line):
//               `<!-- allow-merge-fields: <why, at least 20 characters> -->`.
//               `$User` merge fields in a Named Credential's custom headers are refused outright:
//               with a named principal Salesforce documents them as unsupported; set the
//               user-correlation headers in Apex from UserInfo instead.
//
// server-owned  A field (or a whole object) is server-owned when its `<description>` starts with
//               `Server-owned:` (then, by convention, who writes it). The marker sits on the
//               field itself, so it deploys with it, admins read it in Setup, and nobody has to
//               keep a separate list in step. A portal permission set (its `<description>`
//               starts with `Portal:`, or its `<license>` is an Experience Cloud / community
//               licence) must not grant Edit on a server-owned field, nor Create, Edit, Delete or
//               Modify All on a server-owned object. Server code writes those in system mode.

/** The inline justification that allows merge fields in a Named Credential. */
export const MERGE_FIELDS_JUSTIFICATION = /<!--\s*allow-merge-fields:\s*(.*?)\s*-->/;
const MIN_JUSTIFICATION = 20;

/** The `<description>` prefix that marks a field or object as server-owned. */
export const SERVER_OWNED_MARKER = 'Server-owned:';
/** The `<description>` prefix that marks a permission set as one for portal users. */
export const PORTAL_MARKER = 'Portal:';
const PORTAL_LICENSE = /community|portal|experience|partner|customer/i;

function firstText(xml: string, element: string): string | undefined {
  const match = new RegExp(`<${element}>([\\s\\S]*?)</${element}>`).exec(xml);
  return match?.[1]?.trim();
}

function finding(ws: Workspace, check: string, file: string, line: number, message: string) {
  return { check, file: rel(ws, file), line, severity: 'error', message } satisfies Finding;
}

/** Rule merge-fields: see the top of this file. */
export async function checkMergeFields(ws: Workspace): Promise<CheckResult> {
  const findings: Finding[] = [];
  const files = filesEnding(ws, '.namedCredential-meta.xml');
  for (const file of files) {
    const xml = await readFile(file, 'utf8');
    const lines = xml.split('\n');
    const active = withoutComments(xml);
    const name = path.basename(file).replace(/\.namedCredential-meta\.xml$/, '');
    for (const match of active.matchAll(
      /<(allowMergeFieldsIn(?:Header|Body))>\s*true\s*<\/allowMergeFieldsIn(?:Header|Body)>/g
    )) {
      const line = lineAt(active, match.index);
      const justification = [lines[line - 1], lines[line - 2]]
        .map((text) => MERGE_FIELDS_JUSTIFICATION.exec(text ?? '')?.[1] ?? '')
        .find((why) => why.length >= MIN_JUSTIFICATION);
      if (justification) continue;
      const where = match[1] === 'allowMergeFieldsInHeader' ? 'HTTP headers' : 'the body';
      findings.push(
        finding(
          ws,
          'merge-fields',
          file,
          line,
          `Named Credential ${name} allows merge fields in ${where} without an inline justification: ` +
            `every {!...} Apex puts there (a record value a user can edit) is evaluated, secrets ` +
            `({!$Credential...}) included. Set ${match[1]} to false and build the values in Apex, or ` +
            `justify it on the line above: <!-- allow-merge-fields: why (at least ${MIN_JUSTIFICATION} characters) -->`
        )
      );
    }
    for (const block of active.matchAll(
      /<namedCredentialParameters>([\s\S]*?)<\/namedCredentialParameters>/g
    )) {
      const body = block[1] ?? '';
      if (firstText(body, 'parameterType') !== 'HttpHeader') continue;
      const value = /<parameterValue>[^<]*\{!\s*\$User\.[^<]*<\/parameterValue>/.exec(body);
      if (!value) continue;
      findings.push(
        finding(
          ws,
          'merge-fields',
          file,
          lineAt(active, block.index + '<namedCredentialParameters>'.length + value.index),
          `Named Credential ${name}: custom header ${firstText(body, 'parameterName') ?? ''} uses a $User merge field, which Salesforce does not support with a named principal; set the header in Apex from UserInfo`
        )
      );
    }
  }
  return { findings, summary: `${files.length} Named Credentials` };
}

/** What the project marks server-owned: `Object.Field` names and object names. */
export interface ServerOwned {
  fields: Set<string>;
  objects: Set<string>;
}

/** Reads the `Server-owned:` markers of every custom field and object of the project. */
export async function serverOwnedOf(ws: Workspace): Promise<ServerOwned> {
  const owned: ServerOwned = { fields: new Set(), objects: new Set() };
  for (const file of filesEnding(ws, '.field-meta.xml', '.object-meta.xml')) {
    const parts = file.split(path.sep);
    const objectsAt = parts.lastIndexOf('objects');
    const objectName = objectsAt >= 0 ? parts[objectsAt + 1] : undefined;
    if (!objectName) continue;
    const description = firstText(withoutComments(await readFile(file, 'utf8')), 'description');
    if (!description?.startsWith(SERVER_OWNED_MARKER)) continue;
    if (file.endsWith('.object-meta.xml')) owned.objects.add(objectName);
    else owned.fields.add(`${objectName}.${path.basename(file, '.field-meta.xml')}`);
  }
  return owned;
}

/** Whether a permission set is for portal (Experience Cloud) users. */
export function isPortalPermissionSet(xml: string): boolean {
  const active = withoutComments(xml);
  const description = firstText(active, 'description') ?? '';
  const license = firstText(active, 'license') ?? '';
  return description.startsWith(PORTAL_MARKER) || PORTAL_LICENSE.test(license);
}

const OBJECT_WRITES = ['allowCreate', 'allowEdit', 'allowDelete', 'modifyAllRecords'];

/** Rule server-owned: see the top of this file. */
export async function checkServerOwned(ws: Workspace): Promise<CheckResult> {
  const findings: Finding[] = [];
  const owned = await serverOwnedOf(ws);
  const files = filesEnding(ws, '.permissionset-meta.xml');
  let portal = 0;
  for (const file of files) {
    const xml = await readFile(file, 'utf8');
    if (!isPortalPermissionSet(xml)) continue;
    portal++;
    const active = withoutComments(xml);
    for (const block of active.matchAll(/<fieldPermissions>([\s\S]*?)<\/fieldPermissions>/g)) {
      const body = block[1] ?? '';
      const field = firstText(body, 'field') ?? '';
      const editable = /<editable>\s*true\s*<\/editable>/.exec(body);
      if (!editable || !owned.fields.has(field)) continue;
      findings.push(
        finding(
          ws,
          'server-owned',
          file,
          lineAt(active, block.index + '<fieldPermissions>'.length + editable.index),
          `portal permission set grants Edit on ${field}, which is server-owned (its description starts with "${SERVER_OWNED_MARKER}"): portal users could rewrite it through the API; make it read-only and let the server write it in system mode`
        )
      );
    }
    for (const block of active.matchAll(/<objectPermissions>([\s\S]*?)<\/objectPermissions>/g)) {
      const body = block[1] ?? '';
      const object = firstText(body, 'object') ?? '';
      if (!owned.objects.has(object)) continue;
      for (const permission of OBJECT_WRITES) {
        const granted = new RegExp(`<${permission}>\\s*true\\s*</${permission}>`).exec(body);
        if (!granted) continue;
        findings.push(
          finding(
            ws,
            'server-owned',
            file,
            lineAt(active, block.index + '<objectPermissions>'.length + granted.index),
            `portal permission set grants ${permission} on ${object}, which is server-owned (its description starts with "${SERVER_OWNED_MARKER}"): portal users get Read at most; the server writes it in system mode`
          )
        );
      }
    }
  }
  return {
    findings,
    summary: `${owned.fields.size} server-owned fields, ${owned.objects.size} objects, ${portal} portal permission sets`
  };
}
