/**
 * The trust-boundary rules (checks/trust-boundary.ts) beyond the defects they catch
 * (defects.test.ts): what they must let through, how they recognise portal permission sets and
 * server-owned fields, and that this repository's own payments metadata is marked and clean.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkMergeFields,
  checkServerOwned,
  isPortalPermissionSet,
  serverOwnedOf
} from '../src/checks/trust-boundary.ts';
import { loadWorkspace } from '../src/workspace.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

const NAMED_CREDENTIAL = `${DEMO}/namedCredentials/Demo_Api.namedCredential-meta.xml`;
const PERMISSION_SET = `${DEMO}/permissionsets/Demo_Set.permissionset-meta.xml`;
const FIELD = `${DEMO}/objects/Demo__c/fields/Amount__c.field-meta.xml`;

function namedCredential(headerLines: string): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<NamedCredential xmlns="http://soap.sforce.com/2006/04/metadata">
  <allowMergeFieldsInBody>false</allowMergeFieldsInBody>
${headerLines}
  <label>Demo API</label>
</NamedCredential>
`;
}

function permissionSet(head: string, editable: string): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
${head}
  <fieldPermissions>
    ${editable}
    <field>Demo__c.Amount__c</field>
    <readable>true</readable>
  </fieldPermissions>
  <label>Demo Set</label>
</PermissionSet>
`;
}

async function withFixture(
  name: string,
  prepare: (p: FixtureProject) => Promise<void>,
  assertions: (dir: string) => Promise<void>
): Promise<void> {
  const project = await FixtureProject.create(name);
  try {
    await prepare(project);
    await assertions(project.dir);
  } finally {
    await project.dispose();
  }
}

async function mergeFieldFindings(dir: string) {
  return (await checkMergeFields(await loadWorkspace(dir, TOOL_ROOT))).findings;
}

async function serverOwnedFindings(dir: string) {
  return (await checkServerOwned(await loadWorkspace(dir, TOOL_ROOT))).findings;
}

describe('merge-fields rule', () => {
  it('passes merge fields justified on the line above or on the same line', () =>
    withFixture(
      'merge-justified',
      (p) =>
        p.write(
          NAMED_CREDENTIAL,
          namedCredential(
            '  <!-- allow-merge-fields: the header carries only $Organization.Id, never a record value -->\n' +
              '  <allowMergeFieldsInHeader>true</allowMergeFieldsInHeader>'
          )
        ),
      async (dir) => assert.deepEqual(await mergeFieldFindings(dir), [])
    ));

  it('fails a justification that is only a comment elsewhere in the file', () =>
    withFixture(
      'merge-far',
      (p) =>
        p.write(
          NAMED_CREDENTIAL,
          namedCredential(
            '  <!-- allow-merge-fields: the header carries only $Organization.Id, never a record value -->\n' +
              '  <calloutStatus>Enabled</calloutStatus>\n' +
              '  <allowMergeFieldsInHeader>true</allowMergeFieldsInHeader>'
          )
        ),
      async (dir) => {
        const findings = await mergeFieldFindings(dir);
        assert.equal(findings.length, 1);
        assert.equal(findings[0]?.line, 6);
        assert.equal(findings[0]?.file, NAMED_CREDENTIAL);
      }
    ));

  it('ignores a commented-out allowMergeFieldsInHeader', () =>
    withFixture(
      'merge-commented',
      (p) =>
        p.write(
          NAMED_CREDENTIAL,
          namedCredential(
            '  <!-- <allowMergeFieldsInHeader>true</allowMergeFieldsInHeader> -->\n' +
              '  <allowMergeFieldsInHeader>false</allowMergeFieldsInHeader>'
          )
        ),
      async (dir) => assert.deepEqual(await mergeFieldFindings(dir), [])
    ));
});

describe('server-owned rule', () => {
  const markAmount = (p: FixtureProject) =>
    p.edit(FIELD, '<description>An amount.', '<description>Server-owned: DemoService.');

  it('lets a permission set that is not for portal users edit a server-owned field', () =>
    withFixture(
      'owned-internal',
      async (p) => {
        await markAmount(p);
        await p.write(
          PERMISSION_SET,
          permissionSet('  <description>Administrators.</description>', '<editable>true</editable>')
        );
      },
      async (dir) => assert.deepEqual(await serverOwnedFindings(dir), [])
    ));

  it('recognises a portal permission set by its licence too', () =>
    withFixture(
      'owned-licence',
      async (p) => {
        await markAmount(p);
        await p.write(
          PERMISSION_SET,
          permissionSet('  <license>Customer Community Plus</license>', '<editable>true</editable>')
        );
      },
      async (dir) => {
        const findings = await serverOwnedFindings(dir);
        assert.equal(findings.length, 1);
        assert.equal(findings[0]?.file, PERMISSION_SET);
        assert.equal(findings[0]?.line, 5);
      }
    ));

  it('passes a portal permission set that reads a server-owned field only', () =>
    withFixture(
      'owned-read',
      async (p) => {
        await markAmount(p);
        await p.write(
          PERMISSION_SET,
          permissionSet(
            '  <description>Portal: demo users.</description>',
            '<!-- <editable>true</editable> -->\n    <editable>false</editable>'
          )
        );
      },
      async (dir) => assert.deepEqual(await serverOwnedFindings(dir), [])
    ));

  it('does not treat a field whose description only mentions the marker as server-owned', () =>
    withFixture(
      'owned-mention',
      async (p) => {
        await p.edit(FIELD, '<description>An amount.', '<description>Not Server-owned: editable.');
        await p.write(
          PERMISSION_SET,
          permissionSet('  <description>Portal: demo.</description>', '<editable>true</editable>')
        );
      },
      async (dir) => assert.deepEqual(await serverOwnedFindings(dir), [])
    ));
});

describe("this repository's payments trust boundary", () => {
  it('marks every Payment__c field, the object and Invoice__c.Status__c server-owned', async () => {
    const owned = await serverOwnedOf(await loadWorkspace(TOOL_ROOT, TOOL_ROOT));
    for (const field of [
      'Amount__c',
      'Card_Brand__c',
      'Card_Last4__c',
      'Currency_Code__c',
      'Failure_Reason__c',
      'Gateway_Transaction_Id__c',
      'Idempotency_Key__c',
      'Invoice__c',
      'Last_Checked_At__c',
      'Log_Reference__c',
      'Payer__c',
      'Status__c'
    ])
      assert.ok(owned.fields.has(`Payment__c.${field}`), `Payment__c.${field} is server-owned`);
    assert.ok(owned.objects.has('Payment__c'), 'Payment__c is server-owned');
    assert.ok(owned.fields.has('Invoice__c.Status__c'), 'Invoice__c.Status__c is server-owned');
  });

  it('recognises Integration_Portal_User as a portal permission set, and both rules pass', async () => {
    const { readFile } = await import('node:fs/promises');
    const portal = await readFile(
      `${TOOL_ROOT}/force-app/main/common/permissionsets/Integration_Portal_User.permissionset-meta.xml`,
      'utf8'
    );
    assert.equal(isPortalPermissionSet(portal), true);
    const ws = await loadWorkspace(TOOL_ROOT, TOOL_ROOT);
    assert.deepEqual((await checkServerOwned(ws)).findings, []);
    assert.deepEqual((await checkMergeFields(ws)).findings, []);
  });
});
