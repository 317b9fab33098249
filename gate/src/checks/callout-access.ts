import { readFile } from 'node:fs/promises';
import type { CheckResult, Finding } from '../finding.ts';
import { filesEnding, rel, type Workspace } from '../workspace.ts';
import { lineAt, withoutComments } from '../xml-text.ts';

// Project rule callout-access (issue 11, "Integration user and org reality"), which no deploy
// enforces: a permission set that enables an External Credential principal lets its users make
// authenticated callouts, and the platform reads the callout's tokens from the User External
// Credential object as that user. Salesforce Help, "Enable User External Credentials": custom
// permission sets and profiles (portal and guest ones included) must grant access to it
// themselves. Without it the deploy succeeds and every callout fails at run time. The rule: such
// a permission set grants Read on `UserExternalCredential`, and nothing more than Read unless an
// inline justification says why (per-user principals need Create/Edit/Delete, OAuth named
// principals Modify All): `<!-- user-external-credential: <why> -->` anywhere in the file.

export const USER_EXTERNAL_CREDENTIAL = 'UserExternalCredential';
const JUSTIFICATION = /<!--\s*user-external-credential:\s*\S[\s\S]*?-->/;
const WRITES = ['allowCreate', 'allowEdit', 'allowDelete', 'modifyAllRecords', 'viewAllRecords'];

function finding(ws: Workspace, file: string, line: number, message: string): Finding {
  return { check: 'callout-access', file: rel(ws, file), line, severity: 'error', message };
}

/** Rule callout-access: see the top of this file. */
export async function checkCalloutAccess(ws: Workspace): Promise<CheckResult> {
  const findings: Finding[] = [];
  let calling = 0;
  for (const file of filesEnding(ws, '.permissionset-meta.xml')) {
    const xml = await readFile(file, 'utf8');
    const active = withoutComments(xml);
    const principal =
      /<externalCredentialPrincipalAccesses>[\s\S]*?<enabled>\s*true\s*<\/enabled>[\s\S]*?<\/externalCredentialPrincipalAccesses>/.exec(
        active
      );
    if (!principal) continue;
    calling++;
    const block = [...active.matchAll(/<objectPermissions>([\s\S]*?)<\/objectPermissions>/g)].find(
      (m) => new RegExp(`<object>\\s*${USER_EXTERNAL_CREDENTIAL}\\s*</object>`).test(m[1] ?? '')
    );
    const body = block?.[1] ?? '';
    if (!block || !/<allowRead>\s*true\s*<\/allowRead>/.test(body)) {
      findings.push(
        finding(
          ws,
          file,
          lineAt(active, principal.index),
          `permission set enables an External Credential principal but grants no Read on ${USER_EXTERNAL_CREDENTIAL}: its users' authenticated callouts fail at run time (Salesforce Help, "Enable User External Credentials"); add objectPermissions with allowRead true`
        )
      );
      continue;
    }
    if (JUSTIFICATION.test(xml)) continue;
    for (const permission of WRITES) {
      const granted = new RegExp(`<${permission}>\\s*true\\s*</${permission}>`).exec(body);
      if (!granted) continue;
      findings.push(
        finding(
          ws,
          file,
          lineAt(active, block.index + '<objectPermissions>'.length + granted.index),
          `${permission} on ${USER_EXTERNAL_CREDENTIAL} is more than a named principal needs (Read); justify it inline with <!-- user-external-credential: why --> or remove it`
        )
      );
    }
  }
  return { findings, summary: `${calling} permission sets that call out` };
}
