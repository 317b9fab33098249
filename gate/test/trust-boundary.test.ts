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
const NOTE_FIELD = `${DEMO}/objects/Demo__c/fields/Note__c.field-meta.xml`;
const OBJECT = `${DEMO}/objects/Demo__c/Demo__c.object-meta.xml`;
const PROFILE = `${DEMO}/profiles/Demo Portal.profile-meta.xml`;
const SHARING_SET = `${DEMO}/sharingSets/Demo_Sharing.sharingSet-meta.xml`;

/** A text field of Demo__c; its description is on line 4. */
function noteField(description: string): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
  <fullName>Note__c</fullName>
  <description>${description}</description>
  <label>Note</label>
  <length>80</length>
  <type>Text</type>
</CustomField>
`;
}

/** A profile of the given user licence that grants Edit on Demo__c.Amount__c (line 5). */
function portalProfile(license: string): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
  <custom>true</custom>
  <fieldPermissions>
    <editable>true</editable>
    <field>Demo__c.Amount__c</field>
    <readable>true</readable>
  </fieldPermissions>
  <userLicense>${license}</userLicense>
</Profile>
`;
}

/** A sharing set on Demo__c; its access level is on line 4. */
function sharingSet(accessLevel: string): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<SharingSet xmlns="http://soap.sforce.com/2006/04/metadata">
  <accessMappings>
    <accessLevel>${accessLevel}</accessLevel>
    <object>Demo__c</object>
    <objectField>Account__c</objectField>
    <userField>Account</userField>
  </accessMappings>
  <name>Demo Sharing</name>
  <profiles>Customer Community User</profiles>
</SharingSet>
`;
}

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
          permissionSet(
            '  <description>Internal: administrators.</description>',
            '<editable>true</editable>'
          )
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

  it('fails a portal permission set reading an external object, passes an internal or justified one', async () => {
    const grant = (description: string, comment = '') => `<?xml version="1.0" encoding="UTF-8" ?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
${comment}  <description>${description}</description>
  <label>Demo Set</label>
  <objectPermissions>
    <allowRead>true</allowRead>
    <object>Demo_Reading__x</object>
  </objectPermissions>
</PermissionSet>
`;
    await withFixture(
      'portal-external',
      (p) => p.write(PERMISSION_SET, grant('Portal: demo users.')),
      async (dir) => {
        const findings = await serverOwnedFindings(dir);
        assert.deepEqual(
          findings.map((f) => [f.file, f.line]),
          [[PERMISSION_SET, 6]]
        );
        assert.match(
          findings[0]?.message ?? '',
          /external object Demo_Reading__x: external objects have no record sharing/
        );
      }
    );
    await withFixture(
      'internal-external',
      (p) => p.write(PERMISSION_SET, grant('Internal: staff.')),
      async (dir) => assert.deepEqual(await serverOwnedFindings(dir), [])
    );
    await withFixture(
      'justified-external',
      (p) =>
        p.write(
          PERMISSION_SET,
          grant(
            'Portal: demo users.',
            '  <!-- portal-external-object: the data source authenticates per user and returns only their rows -->\n'
          )
        ),
      async (dir) => assert.deepEqual(await serverOwnedFindings(dir), [])
    );
  });

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
          permissionSet(
            '  <description>Portal: demo users.</description>',
            '<editable>true</editable>'
          )
        );
      },
      async (dir) => {
        // Not an Edit finding: the field is unmarked, which the rule reports as such.
        const findings = await serverOwnedFindings(dir);
        assert.equal(findings.length, 1, JSON.stringify(findings));
        assert.equal(findings[0]?.file, FIELD);
        assert.match(
          findings[0]?.message ?? '',
          /says neither "Server-owned:" nor "Portal-editable:"/
        );
      }
    ));

  it('fails an unmarked field on an object a portal permission set reaches, on its description line', () =>
    withFixture(
      'owned-unmarked',
      async (p) => {
        await markAmount(p);
        await p.write(NOTE_FIELD, noteField('A note.'));
        await p.write(
          PERMISSION_SET,
          permissionSet(
            '  <description>Portal: demo users.</description>',
            '<editable>false</editable>'
          )
        );
      },
      async (dir) => {
        const findings = await serverOwnedFindings(dir);
        assert.equal(findings.length, 1, JSON.stringify(findings));
        assert.equal(findings[0]?.file, NOTE_FIELD);
        assert.equal(findings[0]?.line, 4);
        assert.match(
          findings[0]?.message ?? '',
          /Demo__c\.Note__c is on an object portal users reach/
        );
      }
    ));

  it('fails a new unmarked field on an object the server writes, even without portal access', () =>
    withFixture(
      'owned-server-written',
      async (p) => {
        await markAmount(p);
        await p.write(NOTE_FIELD, noteField('Written back by the demo service.'));
      },
      async (dir) => {
        const findings = await serverOwnedFindings(dir);
        assert.equal(findings.length, 1, JSON.stringify(findings));
        assert.equal(findings[0]?.file, NOTE_FIELD);
        assert.match(
          findings[0]?.message ?? '',
          /it has server-owned fields \(Demo__c\.Amount__c\)/
        );
      }
    ));

  it('passes a field marked Portal-editable, and a formula field unmarked', () =>
    withFixture(
      'owned-portal-editable',
      async (p) => {
        await markAmount(p);
        await p.write(NOTE_FIELD, noteField("Portal-editable: the payer's own reference."));
        await p.write(
          `${DEMO}/objects/Demo__c/fields/Doubled__c.field-meta.xml`,
          `<?xml version="1.0" encoding="UTF-8" ?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
  <fullName>Doubled__c</fullName>
  <formula>Amount__c * 2</formula>
  <label>Doubled</label>
  <precision>18</precision>
  <scale>2</scale>
  <type>Number</type>
</CustomField>
`
        );
        await p.write(
          PERMISSION_SET,
          permissionSet(
            '  <description>Portal: demo users.</description>',
            '<editable>false</editable>'
          )
        );
      },
      async (dir) => assert.deepEqual(await serverOwnedFindings(dir), [])
    ));

  it('treats every field of a server-owned object as server-owned', () =>
    withFixture(
      'owned-by-object',
      async (p) => {
        await p.edit(
          OBJECT,
          '<description>Demo object',
          '<description>Server-owned: DemoService. Demo object'
        );
        await p.write(
          PERMISSION_SET,
          permissionSet(
            '  <description>Portal: demo users.</description>',
            '<editable>true</editable>'
          )
        );
      },
      async (dir) => {
        const findings = await serverOwnedFindings(dir);
        assert.equal(findings.length, 1, JSON.stringify(findings));
        assert.equal(findings[0]?.file, PERMISSION_SET);
        assert.equal(findings[0]?.line, 5);
        assert.match(
          findings[0]?.message ?? '',
          /grants Edit on Demo__c\.Amount__c, which is server-owned/
        );
      }
    ));

  it('fails a portal profile (community user licence) granting Edit on a server-owned field', () =>
    withFixture(
      'owned-profile',
      async (p) => {
        await markAmount(p);
        await p.write(PROFILE, portalProfile('Customer Community'));
      },
      async (dir) => {
        const findings = await serverOwnedFindings(dir);
        assert.equal(findings.length, 1, JSON.stringify(findings));
        assert.equal(findings[0]?.file, PROFILE);
        assert.equal(findings[0]?.line, 5);
        assert.match(
          findings[0]?.message ?? '',
          /portal profile grants Edit on Demo__c\.Amount__c/
        );
      }
    ));

  it('lets an internal profile edit a server-owned field', () =>
    withFixture(
      'owned-internal-profile',
      async (p) => {
        await markAmount(p);
        await p.write(PROFILE, portalProfile('Salesforce'));
      },
      async (dir) => assert.deepEqual(await serverOwnedFindings(dir), [])
    ));

  it('fails a sharing set giving Read/Write on a server-owned object, on its accessLevel line', () =>
    withFixture(
      'owned-sharing-set',
      async (p) => {
        await p.edit(
          OBJECT,
          '<description>Demo object',
          '<description>Server-owned: DemoService. Demo object'
        );
        await p.write(SHARING_SET, sharingSet('Edit'));
      },
      async (dir) => {
        const findings = await serverOwnedFindings(dir);
        assert.equal(findings.length, 1, JSON.stringify(findings));
        assert.equal(findings[0]?.file, SHARING_SET);
        assert.equal(findings[0]?.line, 4);
        assert.match(findings[0]?.message ?? '', /gives portal users Edit access to Demo__c/);
      }
    ));

  it('passes a Read sharing set on a server-owned object', () =>
    withFixture(
      'owned-sharing-read',
      async (p) => {
        await p.edit(
          OBJECT,
          '<description>Demo object',
          '<description>Server-owned: DemoService. Demo object'
        );
        await p.write(SHARING_SET, sharingSet('Read'));
      },
      async (dir) => assert.deepEqual(await serverOwnedFindings(dir), [])
    ));
});

const REAL_PORTAL =
  'force-app/main/common/permissionsets/Integration_Portal_User.permissionset-meta.xml';
const REAL_SHARING_SET =
  'force-app/main/payments/sharingSets/Integration_Portal_Invoices.sharingSet-meta.xml';

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
    assert.ok(owned.objects.has('Invoice__c'), 'Invoice__c is server-owned');
    for (const field of ['Account__c', 'Amount__c', 'Currency_Code__c', 'Due_Date__c', 'Status__c'])
      assert.ok(owned.fields.has(`Invoice__c.${field}`), `Invoice__c.${field} is server-owned`);
  });

  it('marks what the account-sync service writes on Account server-owned', async () => {
    const owned = await serverOwnedOf(await loadWorkspace(TOOL_ROOT, TOOL_ROOT));
    for (const field of [
      'Last_Synced_At__c',
      'SAP_Customer_Number__c',
      'Sync_Error__c',
      'Sync_Status__c',
      'VAT_Number__c'
    ])
      assert.ok(owned.fields.has(`Account.${field}`), `Account.${field} is server-owned`);
  });

  it("holds this repository's portal permission set to the rule, and any set not declared Internal:", async () => {
    const { readFile } = await import('node:fs/promises');
    assert.equal(
      isPortalPermissionSet(await readFile(`${TOOL_ROOT}/${REAL_PORTAL}`, 'utf8')),
      true
    );
    const reworded = permissionSet('  <description>Experience Cloud users.</description>', '');
    assert.equal(isPortalPermissionSet(reworded), true, 'no marker: portal (fail-safe)');
    const internal = permissionSet('  <description>Internal: support staff.</description>', '');
    assert.equal(isPortalPermissionSet(internal), false);
    const licensed = permissionSet(
      '  <description>Internal: support staff.</description>\n  <license>Customer Community</license>',
      ''
    );
    assert.equal(isPortalPermissionSet(licensed), true, 'a portal licence wins');
  });

  it('fails a portal Edit on Invoice__c.Amount__c and a Read/Write invoice sharing set', () =>
    withFixture(
      'owned-real-payments',
      async (p) => {
        // This repository's payments metadata and portal permission set, then the two holes.
        const { cp } = await import('node:fs/promises');
        for (const dir of [
          'force-app/main/payments/objects',
          'force-app/main/payments/sharingSets'
        ])
          await cp(`${TOOL_ROOT}/${dir}`, p.file(dir), { recursive: true });
        await cp(`${TOOL_ROOT}/${REAL_PORTAL}`, p.file(REAL_PORTAL));
        await p.edit(
          REAL_PORTAL,
          /<editable>false<\/editable>(\s*<field>Invoice__c\.Amount__c<\/field>)/,
          '<editable>true</editable>$1'
        );
        await p.edit(
          REAL_SHARING_SET,
          '<accessLevel>Read</accessLevel>',
          '<accessLevel>Edit</accessLevel>'
        );
      },
      async (dir) => {
        const findings = await serverOwnedFindings(dir);
        assert.deepEqual(
          findings.map((f) => [f.file, f.line]),
          [
            [REAL_PORTAL, 26],
            [REAL_SHARING_SET, 4]
          ],
          JSON.stringify(findings)
        );
        assert.match(
          findings[0]?.message ?? '',
          /grants Edit on Invoice__c\.Amount__c, which is server-owned/
        );
        assert.match(findings[1]?.message ?? '', /Edit access to Invoice__c/);
      }
    ));

  it('recognises Integration_Portal_User as a portal permission set, and both rules pass', async () => {
    const { readFile } = await import('node:fs/promises');
    const portal = await readFile(`${TOOL_ROOT}/${REAL_PORTAL}`, 'utf8');
    assert.equal(isPortalPermissionSet(portal), true);
    const ws = await loadWorkspace(TOOL_ROOT, TOOL_ROOT);
    assert.deepEqual((await checkServerOwned(ws)).findings, []);
    assert.deepEqual((await checkMergeFields(ws)).findings, []);
  });
});
