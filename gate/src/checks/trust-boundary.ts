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
//               `Server-owned:` (then who writes it: server code in system mode, a service, or
//               internal users; never a portal user), and portal-editable when it starts with
//               `Portal-editable:` (then why a portal user may change it). Every field of a
//               server-owned object is server-owned. The marker sits on the field itself, so it
//               deploys with it, admins read it in Setup, and nobody keeps a list in step.
//               Portal access comes from portal permission sets (every permission set whose
//               `<description>` does not start with `Internal:`, and any with an Experience
//               Cloud / community `<license>`: fail-safe, a set is portal until it says it is
//               not, so rewording a description cannot take it out of the rule), portal profiles (an
//               Experience Cloud / community / guest `<userLicense>`) and sharing sets (always for
//               portal profiles). The rule fails:
//               - a portal permission set or profile granting Edit on a server-owned field, or
//                 Create, Edit, Delete or Modify All on a server-owned object;
//               - a sharing set giving more than Read on a server-owned object;
//               - an unmarked custom field on an object portal users reach (any portal
//                 permission, profile or sharing set names it) or that has a server-owned field
//                 (its data is written by the server): every such field must say which side of
//                 the boundary it is on, so a new field that a controller or a service writes
//                 cannot slip in editable. Formula, roll-up and auto-number fields are skipped:
//                 nobody can edit them.
//               - a portal permission set or profile granting Read (or View All) on an external
//                 object (`__x`, Salesforce Connect): external objects have no record sharing
//                 (no owner, no sharing rules or sets), so Read is every row the data source
//                 returns, all users' data, whatever the row. Allowed only with an inline
//                 justification anywhere in the file (e.g. a data source with per-user
//                 authentication that filters by user):
//                 `<!-- portal-external-object: <why, at least 20 characters> -->`.

/** The inline justification that allows merge fields in a Named Credential. */
export const MERGE_FIELDS_JUSTIFICATION = /<!--\s*allow-merge-fields:\s*(.*?)\s*-->/;
const MIN_JUSTIFICATION = 20;

/** The `<description>` prefix that marks a field or object as server-owned. */
export const SERVER_OWNED_MARKER = 'Server-owned:';
/** The `<description>` prefix of a permission set for portal users (documentation only). */
export const PORTAL_MARKER = 'Portal:';
/** The `<description>` prefix that takes a permission set out of the portal rules. */
export const INTERNAL_MARKER = 'Internal:';
// Experience Cloud licences (Customer/Partner Community, Customer Portal, External Apps/Identity,
// Channel Account) and the site guest user licence.
const PORTAL_LICENSE = /community|portal|experience|partner|customer|external|channel|guest/i;

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

/** The `<description>` prefix that marks a field as one portal users may edit. */
export const PORTAL_EDITABLE_MARKER = 'Portal-editable:';

/** What the project marks server-owned: `Object.Field` names and object names. */
export interface ServerOwned {
  fields: Set<string>;
  objects: Set<string>;
}

/** One custom field of the project and its trust marker. */
interface FieldMark {
  name: string;
  object: string;
  file: string;
  /** Line of its `<description>` (or of the root element when it has none). */
  line: number;
  marker: 'server-owned' | 'portal-editable' | undefined;
  /** Formula, roll-up summary or auto-number: nobody can edit it. */
  readOnly: boolean;
}

interface TrustMarks {
  owned: ServerOwned;
  fields: FieldMark[];
}

function markerOf(description: string | undefined): FieldMark['marker'] {
  if (description?.startsWith(SERVER_OWNED_MARKER)) return 'server-owned';
  if (description?.startsWith(PORTAL_EDITABLE_MARKER)) return 'portal-editable';
  return undefined;
}

async function trustMarksOf(ws: Workspace): Promise<TrustMarks> {
  const owned: ServerOwned = { fields: new Set(), objects: new Set() };
  const fields: FieldMark[] = [];
  for (const file of filesEnding(ws, '.field-meta.xml', '.object-meta.xml')) {
    const parts = file.split(path.sep);
    const objectsAt = parts.lastIndexOf('objects');
    const object = objectsAt >= 0 ? parts[objectsAt + 1] : undefined;
    if (!object) continue;
    const active = withoutComments(await readFile(file, 'utf8'));
    const description = firstText(active, 'description');
    const marker = markerOf(description);
    if (file.endsWith('.object-meta.xml')) {
      if (marker === 'server-owned') owned.objects.add(object);
      continue;
    }
    const name = `${object}.${path.basename(file, '.field-meta.xml')}`;
    if (marker === 'server-owned') owned.fields.add(name);
    const at =
      description === undefined ? active.indexOf('<CustomField') : active.indexOf('<description>');
    fields.push({
      name,
      object,
      file,
      line: lineAt(active, Math.max(at, 0)),
      marker,
      readOnly: /<formula>/.test(active) || /<type>\s*(Summary|AutoNumber)\s*<\/type>/.test(active)
    });
  }
  // Every field of a server-owned object is server-owned.
  for (const field of fields) if (owned.objects.has(field.object)) owned.fields.add(field.name);
  return { owned, fields };
}

/** Reads the `Server-owned:` markers of every custom field and object of the project. */
export async function serverOwnedOf(ws: Workspace): Promise<ServerOwned> {
  return (await trustMarksOf(ws)).owned;
}

/**
 * Whether a permission set is held to the portal rules: any set not declared `Internal:`, and
 * every set with an Experience Cloud licence whatever it says.
 */
export function isPortalPermissionSet(xml: string): boolean {
  const active = withoutComments(xml);
  const description = firstText(active, 'description') ?? '';
  const license = firstText(active, 'license') ?? '';
  return !description.startsWith(INTERNAL_MARKER) || PORTAL_LICENSE.test(license);
}

/** Whether a profile is for portal (Experience Cloud, community or site guest) users. */
export function isPortalProfile(xml: string): boolean {
  return PORTAL_LICENSE.test(firstText(withoutComments(xml), 'userLicense') ?? '');
}

const OBJECT_WRITES = ['allowCreate', 'allowEdit', 'allowDelete', 'modifyAllRecords'];

/** The inline justification that lets a portal permission set read an external object. */
export const PORTAL_EXTERNAL_OBJECT_JUSTIFICATION = /<!--\s*portal-external-object:\s*(.*?)\s*-->/;

/** Rule server-owned: see the top of this file. */
export async function checkServerOwned(ws: Workspace): Promise<CheckResult> {
  const findings: Finding[] = [];
  const { owned, fields } = await trustMarksOf(ws);
  /** Objects portal users reach, or whose data the server writes, and why (for the message). */
  const inScope = new Map<string, string>();
  const reach = (object: string, why: string) => {
    if (object && !inScope.has(object)) inScope.set(object, why);
  };
  const add = (file: string, active: string, index: number, message: string) =>
    findings.push(finding(ws, 'server-owned', file, lineAt(active, index), message));

  const grants = [
    ...filesEnding(ws, '.permissionset-meta.xml').map((file) => ({ file, kind: 'permission set' })),
    ...filesEnding(ws, '.profile-meta.xml').map((file) => ({ file, kind: 'profile' }))
  ];
  let portal = 0;
  for (const { file, kind } of grants) {
    const xml = await readFile(file, 'utf8');
    if (kind === 'profile' ? !isPortalProfile(xml) : !isPortalPermissionSet(xml)) continue;
    portal++;
    const name = path.basename(file).replace(/\.(permissionset|profile)-meta\.xml$/, '');
    const active = withoutComments(xml);
    for (const block of active.matchAll(/<fieldPermissions>([\s\S]*?)<\/fieldPermissions>/g)) {
      const body = block[1] ?? '';
      const field = firstText(body, 'field') ?? '';
      reach(field.split('.')[0] ?? '', `portal ${kind} ${name} grants ${field}`);
      const editable = /<editable>\s*true\s*<\/editable>/.exec(body);
      if (!editable || !owned.fields.has(field)) continue;
      add(
        file,
        active,
        block.index + '<fieldPermissions>'.length + editable.index,
        `portal ${kind} grants Edit on ${field}, which is server-owned (its description, or its object's, starts with "${SERVER_OWNED_MARKER}"): portal users could rewrite it through the API; make it read-only and let the server write it in system mode`
      );
    }
    for (const block of active.matchAll(/<objectPermissions>([\s\S]*?)<\/objectPermissions>/g)) {
      const body = block[1] ?? '';
      const object = firstText(body, 'object') ?? '';
      if (/<(allowRead|viewAllRecords|allowEdit|allowCreate)>\s*true\s*</.test(body))
        reach(object, `portal ${kind} ${name} grants access to it`);
      const read = /<(allowRead|viewAllRecords)>\s*true\s*</.exec(body);
      const justified =
        (PORTAL_EXTERNAL_OBJECT_JUSTIFICATION.exec(xml)?.[1] ?? '').length >= MIN_JUSTIFICATION;
      if (read && /__x$/i.test(object) && !justified) {
        add(
          file,
          active,
          block.index + '<objectPermissions>'.length + read.index,
          `portal ${kind} grants ${read[1]} on the external object ${object}: external objects have no record sharing, so portal users would read every row its data source returns (every user's data). Serve portal users their own rows through Apex that filters by the running user, or justify it inline: <!-- portal-external-object: why (at least ${MIN_JUSTIFICATION} characters) -->`
        );
      }
      if (!owned.objects.has(object)) continue;
      for (const permission of OBJECT_WRITES) {
        const granted = new RegExp(`<${permission}>\\s*true\\s*</${permission}>`).exec(body);
        if (!granted) continue;
        add(
          file,
          active,
          block.index + '<objectPermissions>'.length + granted.index,
          `portal ${kind} grants ${permission} on ${object}, which is server-owned (its description starts with "${SERVER_OWNED_MARKER}"): portal users get Read at most; the server writes it in system mode`
        );
      }
    }
  }

  const sharingSets = filesEnding(ws, '.sharingSet-meta.xml');
  for (const file of sharingSets) {
    const active = withoutComments(await readFile(file, 'utf8'));
    const name = path.basename(file, '.sharingSet-meta.xml');
    for (const block of active.matchAll(/<accessMappings>([\s\S]*?)<\/accessMappings>/g)) {
      const body = block[1] ?? '';
      const object = firstText(body, 'object') ?? '';
      reach(object, `sharing set ${name} shares it with portal users`);
      const level = /<accessLevel>\s*([^<\s]+)\s*<\/accessLevel>/.exec(body);
      if (!level || level[1] === 'Read' || !owned.objects.has(object)) continue;
      add(
        file,
        active,
        block.index + '<accessMappings>'.length + level.index,
        `sharing set ${name} gives portal users ${level[1]} access to ${object}, which is server-owned (its description starts with "${SERVER_OWNED_MARKER}"): share it Read only; the server writes it in system mode`
      );
    }
  }

  for (const field of fields)
    if (field.marker === 'server-owned')
      reach(field.object, `it has server-owned fields (${field.name})`);
  let unmarked = 0;
  for (const field of fields) {
    const why = inScope.get(field.object);
    if (!why || field.readOnly || field.marker || owned.objects.has(field.object)) continue;
    unmarked++;
    findings.push(
      finding(
        ws,
        'server-owned',
        field.file,
        field.line,
        `${field.name} is on an object portal users reach or the server writes (${why}) but says neither "${SERVER_OWNED_MARKER}" nor "${PORTAL_EDITABLE_MARKER}": start its <description> with "${SERVER_OWNED_MARKER} <who writes it>" (money, integration state, keys, anything a controller or service writes) or, only if a portal user may change it, "${PORTAL_EDITABLE_MARKER} <why>"`
      )
    );
  }
  return {
    findings,
    summary: `${owned.fields.size} server-owned fields, ${owned.objects.size} objects, ${portal} portal permission sets/profiles, ${sharingSets.length} sharing sets, ${inScope.size} objects checked for markers${unmarked ? `, ${unmarked} unmarked` : ''}`
  };
}
