/**
 * The callout-access rule (checks/callout-access.ts): a permission set that enables an External
 * Credential principal must grant Read, and only Read unless justified, on
 * UserExternalCredential; and this repository's permission sets that call out pass it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCalloutAccess } from '../src/checks/callout-access.ts';
import { loadWorkspace } from '../src/workspace.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

const PERMISSION_SET = `${DEMO}/permissionsets/Demo_Caller.permissionset-meta.xml`;

function permissionSet(objectPermissions: string, comment = ''): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
  <description>Portal: demo callers.</description>
  <externalCredentialPrincipalAccesses>
    <enabled>true</enabled>
    <externalCredentialPrincipal>Demo_Api-Main</externalCredentialPrincipal>
  </externalCredentialPrincipalAccesses>
  <label>Demo Caller</label>
${comment}${objectPermissions}
</PermissionSet>
`;
}

function userExternalCredential(flags: Record<string, boolean>): string {
  const all = {
    allowCreate: false,
    allowDelete: false,
    allowEdit: false,
    allowRead: false,
    modifyAllRecords: false,
    viewAllRecords: false,
    ...flags
  };
  const lines = Object.entries(all).map(([k, v]) => `    <${k}>${String(v)}</${k}>`);
  return `  <objectPermissions>
${lines.slice(0, 5).join('\n')}
    <object>UserExternalCredential</object>
${lines.slice(5).join('\n')}
  </objectPermissions>`;
}

async function findingsFor(content: string) {
  const project = await FixtureProject.create('callout-access');
  try {
    await project.write(PERMISSION_SET, content);
    return (await checkCalloutAccess(await loadWorkspace(project.dir, TOOL_ROOT))).findings;
  } finally {
    await project.dispose();
  }
}

describe('callout-access rule', () => {
  it('fails a permission set that calls out without Read on UserExternalCredential', async () => {
    const findings = await findingsFor(permissionSet(''));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.check, 'callout-access');
    assert.equal(findings[0]?.file, PERMISSION_SET);
    assert.equal(findings[0]?.line, 4);
    assert.match(findings[0]?.message ?? '', /grants no Read on UserExternalCredential/);
  });

  it('fails Read switched off', async () => {
    const findings = await findingsFor(permissionSet(userExternalCredential({})));
    assert.equal(findings.length, 1);
  });

  it('passes Read only', async () => {
    assert.deepEqual(
      await findingsFor(permissionSet(userExternalCredential({ allowRead: true }))),
      []
    );
  });

  it('fails more than Read without a justification, and passes it with one', async () => {
    const wide = userExternalCredential({
      allowRead: true,
      allowEdit: true,
      modifyAllRecords: true
    });
    const findings = await findingsFor(permissionSet(wide));
    assert.deepEqual(
      findings.map((f) => f.message.split(' ')[0]),
      ['allowEdit', 'modifyAllRecords']
    );
    assert.deepEqual(
      await findingsFor(
        permissionSet(wide, '  <!-- user-external-credential: per-user OAuth principal -->\n')
      ),
      []
    );
  });

  it('ignores permission sets that enable no principal', async () => {
    const content = permissionSet('').replace(
      '<enabled>true</enabled>',
      '<enabled>false</enabled>'
    );
    assert.deepEqual(await findingsFor(content), []);
  });

  it("passes this repository's permission sets that call out", async () => {
    const result = await checkCalloutAccess(await loadWorkspace(TOOL_ROOT, TOOL_ROOT));
    assert.deepEqual(result.findings, []);
    assert.match(result.summary ?? '', /^7 permission sets/);
  });
});
