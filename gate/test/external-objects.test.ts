/**
 * External objects (`__x`, Salesforce Connect) in the gate: the `references` check knows their
 * fields (a permission set or layout naming a missing one fails, as for a custom object), their
 * `<externalDataSource>` must be the project's, and an indirect lookup must point at an External
 * ID, Unique field of a standard or custom object; the `per-env` rule reads External Data
 * Sources (`dataSources/*.dataSource-meta.xml`, their endpoint).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPerEnvironment } from '../src/checks/per-env.ts';
import { checkReferences } from '../src/checks/references.ts';
import type { Finding } from '../src/finding.ts';
import { loadWorkspace } from '../src/workspace.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

const NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"';
const READING = `${DEMO}/objects/Demo_Reading__x`;
const READING_OBJECT = `${READING}/Demo_Reading__x.object-meta.xml`;
const LOOKUP = `${READING}/fields/Demo__c.field-meta.xml`;
const DATA_SOURCE = `${DEMO}/dataSources/Demo_OData.dataSource-meta.xml`;
const PERMISSION_SET = `${DEMO}/permissionsets/Demo_Viewer.permissionset-meta.xml`;
const CODE_FIELD = `${DEMO}/objects/Demo__c/fields/Code__c.field-meta.xml`;

const dataSource = (
  endpoint = 'callout:Demo_API/odata',
  comment = '  <!-- same-in-every-environment: a Named Credential URL, its host is replaced there -->\n'
): string => `<?xml version="1.0" encoding="UTF-8" ?>
<ExternalDataSource ${NS}>
${comment}  <endpoint>${endpoint}</endpoint>
  <isWritable>false</isWritable>
  <label>Demo OData</label>
  <principalType>Anonymous</principalType>
  <protocol>NoAuthentication</protocol>
  <type>OData4</type>
</ExternalDataSource>
`;

/** The external object; its <externalDataSource> is on line 4. */
const externalObject = (source = 'Demo_OData'): string => `<?xml version="1.0" encoding="UTF-8" ?>
<CustomObject ${NS}>
  <deploymentStatus>Deployed</deploymentStatus>
  <externalDataSource>${source}</externalDataSource>
  <externalName>Readings</externalName>
  <label>Demo Reading</label>
  <pluralLabel>Demo Readings</pluralLabel>
</CustomObject>
`;

/** Demo__c.Code__c, the indirect lookup's target: External ID and Unique unless told. */
const codeField = (externalId = true): string => `<?xml version="1.0" encoding="UTF-8" ?>
<CustomField ${NS}>
  <fullName>Code__c</fullName>
  <externalId>${externalId}</externalId>
  <label>Code</label>
  <length>20</length>
  <type>Text</type>
  <unique>${externalId}</unique>
</CustomField>
`;

/** The indirect lookup Demo_Reading__x.Demo__c; <referenceTo> on line 6, target on line 7. */
const indirectLookup = (
  target = 'Code__c',
  referenceTo = 'Demo__c',
  type = 'IndirectLookup'
): string => `<?xml version="1.0" encoding="UTF-8" ?>
<CustomField ${NS}>
  <fullName>Demo__c</fullName>
  <externalDeveloperName>DemoCode</externalDeveloperName>
  <label>Demo</label>
  <referenceTo>${referenceTo}</referenceTo>
  <referenceTargetField>${target}</referenceTargetField>
  <relationshipLabel>Readings</relationshipLabel>
  <relationshipName>Readings</relationshipName>
  <type>${type}</type>
</CustomField>
`;

const valueField = `<?xml version="1.0" encoding="UTF-8" ?>
<CustomField ${NS}>
  <fullName>Value__c</fullName>
  <externalDeveloperName>Value</externalDeveloperName>
  <label>Value</label>
  <precision>18</precision>
  <scale>0</scale>
  <type>Number</type>
</CustomField>
`;

/** A permission set reading the external object and `field` (line 11). */
const viewer = (
  field = 'Demo_Reading__x.Value__c'
): string => `<?xml version="1.0" encoding="UTF-8" ?>
<PermissionSet ${NS}>
  <description>Internal: demo viewers.</description>
  <label>Demo Viewer</label>
  <objectPermissions>
    <allowRead>true</allowRead>
    <object>Demo_Reading__x</object>
  </objectPermissions>
  <fieldPermissions>
    <editable>false</editable>
    <field>${field}</field>
    <readable>true</readable>
  </fieldPermissions>
</PermissionSet>
`;

async function validProject(name: string): Promise<FixtureProject> {
  const p = await FixtureProject.create(name);
  await p.write(DATA_SOURCE, dataSource());
  await p.write(READING_OBJECT, externalObject());
  await p.write(`${READING}/fields/Value__c.field-meta.xml`, valueField);
  await p.write(CODE_FIELD, codeField());
  await p.write(LOOKUP, indirectLookup());
  await p.write(PERMISSION_SET, viewer());
  return p;
}

async function errorsOf(p: FixtureProject): Promise<Finding[]> {
  const ws = await loadWorkspace(p.dir, TOOL_ROOT);
  return (await checkReferences(ws)).findings.filter((f) => f.severity === 'error');
}

async function expectError(
  change: (p: FixtureProject) => Promise<void>,
  file: string,
  line: number,
  message: RegExp
): Promise<void> {
  const p = await validProject('external-objects');
  try {
    await change(p);
    const errors = await errorsOf(p);
    assert.ok(
      errors.some((f) => f.file === file && f.line === line && message.test(f.message)),
      `expected ${message} at ${file}:${line}; got ${JSON.stringify(errors, null, 1)}`
    );
  } finally {
    await p.dispose();
  }
}

describe('external objects (Salesforce Connect) in the gate', () => {
  it('passes an external object, its indirect lookup and a permission set on its fields', async () => {
    const p = await validProject('external-objects-valid');
    try {
      const ws = await loadWorkspace(p.dir, TOOL_ROOT);
      assert.deepEqual((await checkReferences(ws)).findings, []);
    } finally {
      await p.dispose();
    }
  });

  it('fails a permission set granting a field the external object lacks', () =>
    expectError(
      (p) => p.write(PERMISSION_SET, viewer('Demo_Reading__x.Missing__c')),
      PERMISSION_SET,
      11,
      /no field Missing__c on Demo_Reading__x/
    ));

  it('fails a permission set granting an external object the project lacks', () =>
    expectError(
      (p) =>
        p.edit(PERMISSION_SET, '<object>Demo_Reading__x</object>', '<object>Ghost__x</object>'),
      PERMISSION_SET,
      7,
      /no object Ghost__x/
    ));

  it('fails an external object whose External Data Source is not in the project', () =>
    expectError(
      (p) => p.write(READING_OBJECT, externalObject('Ghost_OData')),
      READING_OBJECT,
      4,
      /no ExternalDataSource Ghost_OData in the project/
    ));

  it('fails an indirect lookup whose target field is not an External ID and Unique', () =>
    expectError(
      (p) => p.write(CODE_FIELD, codeField(false)),
      LOOKUP,
      7,
      /Demo__c\.Code__c must be an External ID and Unique/
    ));

  it('fails an indirect lookup whose target field does not exist', () =>
    expectError(
      (p) => p.write(LOOKUP, indirectLookup('Missing__c')),
      LOOKUP,
      7,
      /no field Missing__c on Demo__c/
    ));

  it('fails an indirect lookup that points at an external object', () =>
    expectError(
      (p) => p.write(LOOKUP, indirectLookup('Code__c', 'Demo_Reading__x')),
      LOOKUP,
      6,
      /use ExternalLookup/
    ));

  it('per-env: fails an External Data Source URL deployed as committed, passes a justified one', async () => {
    const p = await validProject('external-objects-per-env');
    try {
      const justified = await checkPerEnvironment(await loadWorkspace(p.dir, TOOL_ROOT));
      assert.deepEqual(justified.findings, []);
      await p.write(DATA_SOURCE, dataSource('https://odata.example.com/odata', ''));
      const literal = await checkPerEnvironment(await loadWorkspace(p.dir, TOOL_ROOT));
      assert.ok(
        literal.findings.some(
          (f) => f.file === DATA_SOURCE && f.line === 3 && /External Data Source/.test(f.message)
        ),
        JSON.stringify(literal.findings, null, 1)
      );
    } finally {
      await p.dispose();
    }
  });
});
