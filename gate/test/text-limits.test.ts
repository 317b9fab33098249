/**
 * The text-limits rule (checks/text-limits.ts): a description, label or help text longer than
 * the org stores fails with file and line (permission sets, fields, objects, static resources,
 * validation rules, apps, Lightning pages); entities count as one character, XML comments and
 * nested elements (a picklist value's label) are not measured; this repository passes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTextLimits, storedLength } from '../src/checks/text-limits.ts';
import { loadWorkspace } from '../src/workspace.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

const PERMISSION_SET = `${DEMO}/permissionsets/Demo_Reader.permissionset-meta.xml`;
const FIELD = `${DEMO}/objects/Demo__c/fields/Mode__c.field-meta.xml`;

function permissionSet(description: string): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
  <!-- ${'A long explanation belongs here. '.repeat(20)} -->
  <description>${description}</description>
  <label>Demo Reader</label>
</PermissionSet>
`;
}

function picklistField(valueLabel: string, label = 'Mode'): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
  <fullName>Mode__c</fullName>
  <label>${label}</label>
  <type>Picklist</type>
  <valueSet>
    <valueSetDefinition>
      <value>
        <fullName>strict</fullName>
        <default>false</default>
        <label>${valueLabel}</label>
      </value>
    </valueSetDefinition>
  </valueSet>
</CustomField>
`;
}

async function findingsFor(files: Record<string, string>) {
  const project = await FixtureProject.create('text-limits');
  try {
    for (const [file, content] of Object.entries(files)) await project.write(file, content);
    return (await checkTextLimits(await loadWorkspace(project.dir, TOOL_ROOT))).findings;
  } finally {
    await project.dispose();
  }
}

describe('text-limits rule', () => {
  it('fails a permission set description over 255 characters, with file and line', async () => {
    const findings = await findingsFor({ [PERMISSION_SET]: permissionSet('x'.repeat(256)) });
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.check, 'text-limits');
    assert.equal(findings[0]?.file, PERMISSION_SET);
    assert.equal(findings[0]?.line, 4);
    assert.match(findings[0]?.message ?? '', /256 characters; the org stores at most 255/);
  });

  it('passes 255 characters, counting an entity as one, and ignores comments', async () => {
    const exact = `${'x'.repeat(250)}&amp;&lt;`;
    assert.equal(storedLength(exact), 252);
    const findings = await findingsFor({
      [PERMISSION_SET]: permissionSet(`${exact}abc`)
    });
    assert.deepEqual(findings, []);
  });

  it('measures a field label but not the label of a picklist value inside it', async () => {
    const long = 'L'.repeat(41);
    assert.deepEqual(await findingsFor({ [FIELD]: picklistField(long) }), []);
    const findings = await findingsFor({ [FIELD]: picklistField('Strict', long) });
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.line, 4);
    assert.match(findings[0]?.message ?? '', /<label> is 41 characters; the org stores at most 40/);
  });

  it('fails static resource, validation rule, app and Lightning page descriptions over 255', async () => {
    const wrap = (root: string, description: string) => `<?xml version="1.0" encoding="UTF-8" ?>
<${root} xmlns="http://soap.sforce.com/2006/04/metadata">
  <!-- ${'The reasoning stays in a comment. '.repeat(12)} -->
  <description>${description}</description>
</${root}>
`;
    const files: Record<string, string> = {
      [`${DEMO}/staticresources/Demo.resource-meta.xml`]: 'StaticResource',
      [`${DEMO}/objects/Demo__c/validationRules/Demo_Rule.validationRule-meta.xml`]:
        'ValidationRule',
      [`${DEMO}/applications/Demo_App.app-meta.xml`]: 'CustomApplication',
      [`${DEMO}/flexipages/Demo_Page.flexipage-meta.xml`]: 'FlexiPage'
    };
    const long = await findingsFor(
      Object.fromEntries(Object.entries(files).map(([f, root]) => [f, wrap(root, 'd'.repeat(256))]))
    );
    assert.deepEqual(long.map((f) => f.file).sort(), Object.keys(files).sort());
    for (const finding of long) {
      assert.equal(finding.line, 4);
      assert.match(finding.message, /<description> is 256 characters; the org stores at most 255/);
    }
    const exact = await findingsFor(
      Object.fromEntries(Object.entries(files).map(([f, root]) => [f, wrap(root, 'd'.repeat(255))]))
    );
    assert.deepEqual(exact, []);
  });

  it("passes this repository's metadata", async () => {
    const result = await checkTextLimits(await loadWorkspace(TOOL_ROOT, TOOL_ROOT));
    assert.deepEqual(result.findings, []);
    assert.ok(/^\d+ text elements measured$/.test(result.summary ?? ''));
  });
});
