/**
 * The `metadata-schema` check: an element that does not belong to its metadata type fails with
 * file, line and the allowed elements, as the Metadata API rejects it ("Element ... invalid at
 * this location"); valid metadata (the base fixture, this project) passes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkMetadataSchema } from '../src/checks/metadata-schema.ts';
import type { Finding } from '../src/finding.ts';
import { runGate } from '../src/gate.ts';
import { loadMetadataTypes } from '../src/metadata-types.ts';
import { loadWorkspace } from '../src/workspace.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

const OBJECT = `${DEMO}/objects/Demo__c/Demo__c.object-meta.xml`;
const FIELD = `${DEMO}/objects/Demo__c/fields/Amount__c.field-meta.xml`;
const FLOW = `${DEMO}/flows/Demo_Default_Amount.flow-meta.xml`;
const PERMISSION_SET = `${DEMO}/permissionsets/Demo_Access.permissionset-meta.xml`;
const BUNDLE = `${DEMO}/lwc/demoCard/demoCard.js-meta.xml`;

/**
 * demoCard's configuration with `config` as the record-page targetConfig's content (from line 13)
 * and `attributes` on it (line 12). <targets> stands before <targetConfigs>, as Salesforce's
 * documentation writes it.
 */
const bundle = (config: string, attributes = 'targets="lightning__RecordPage"'): string =>
  `<?xml version="1.0" encoding="UTF-8" ?>
<LightningComponentBundle xmlns="http://soap.sforce.com/2006/04/metadata">
  <apiVersion>65.0</apiVersion>
  <isExposed>true</isExposed>
  <masterLabel>Demo Card</masterLabel>
  <targets>
    <target>lightning__RecordPage</target>
    <target>lightning__AppPage</target>
    <target>lightning__FlowScreen</target>
  </targets>
  <targetConfigs>
    <targetConfig ${attributes}>
${config}
    </targetConfig>
  </targetConfigs>
</LightningComponentBundle>
`;

/** Every documented record-page element (and a flow-screen property type). */
const validConfig = `      <property name="maxRows" type="Integer" default="10" min="1" max="200" label="Rows" description="How many." required="false" />
      <property name="mode" type="String" datasource="compact,full" placeholder="compact" />
      <objects>
        <object>Demo__c</object>
        <object>Account</object>
      </objects>
      <supportedFormFactors>
        <supportedFormFactor type="Large" />
        <supportedFormFactor type="Small" />
      </supportedFormFactors>`;

async function findingsOf(p: FixtureProject): Promise<Finding[]> {
  return (await checkMetadataSchema(await loadWorkspace(p.dir, TOOL_ROOT))).findings;
}

interface Case {
  name: string;
  breakIt: (p: FixtureProject) => Promise<void>;
  file: string;
  line: number;
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: 'an unknown child element of CustomObject',
    breakIt: (p) =>
      p.edit(
        OBJECT,
        '  <label>Demo</label>',
        '  <enableWidgets>true</enableWidgets>\n  <label>Demo</label>'
      ),
    file: OBJECT,
    line: 5,
    message:
      /Element enableWidgets invalid at this location in type CustomObject \(CustomObject\): .* allows .*deploymentStatus/
  },
  {
    name: 'an element nested in the wrong type (CustomObject.nameField)',
    breakIt: (p) =>
      p.edit(OBJECT, '    <type>Text</type>', '    <type>Text</type>\n    <colour>red</colour>'),
    file: OBJECT,
    line: 9,
    message:
      /Element colour invalid at this location in type CustomField \(CustomObject\.nameField\)/
  },
  {
    name: 'an element out of the WSDL order (CustomObject label after sharingModel)',
    breakIt: async (p) => {
      await p.edit(OBJECT, '  <label>Demo</label>\n', '');
      await p.edit(OBJECT, '</CustomObject>', '  <label>Demo</label>\n</CustomObject>');
    },
    file: OBJECT,
    line: 11,
    message:
      /Element label invalid at this location in type CustomObject \(CustomObject\): the Metadata API expects its elements in the WSDL's order, label before sharingModel \(label, .*sharingModel\)/
  },
  {
    name: 'an unknown child element of CustomField',
    breakIt: (p) => p.edit(FIELD, '</CustomField>', '  <maxValue>10</maxValue>\n</CustomField>'),
    file: FIELD,
    line: 9,
    message: /Element maxValue invalid at this location in type CustomField/
  },
  {
    name: 'an unknown element inside a flow element',
    breakIt: (p) =>
      p.edit(FLOW, '      <operator>Assign</operator>', '      <operation>Assign</operation>'),
    file: FLOW,
    line: 11,
    message:
      /Element operation invalid at this location in type FlowAssignmentItem \(Flow\.assignments\.assignmentItems\): .* allows assignToReference, operator, .*value/
  },
  {
    name: 'a permission-set grant with an element of another grant type',
    breakIt: (p) =>
      p.write(
        PERMISSION_SET,
        `<?xml version="1.0" encoding="UTF-8" ?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
  <label>Demo Access</label>
  <objectPermissions>
    <allowRead>true</allowRead>
    <field>Demo__c.Amount__c</field>
    <object>Demo__c</object>
  </objectPermissions>
</PermissionSet>
`
      ),
    file: PERMISSION_SET,
    line: 6,
    message:
      /Element field invalid at this location in type PermissionSetObjectPermissions \(PermissionSet\.objectPermissions\)/
  },
  {
    name: 'an unknown element inside an LWC targetConfig',
    breakIt: (p) => p.write(BUNDLE, bundle(`${validConfig}\n      <bogusElement>1</bogusElement>`)),
    file: BUNDLE,
    line: 23,
    message:
      /Element bogusElement invalid at this location in <targetConfig> \(LightningComponentBundle\.targetConfigs\.targetConfig\): it allows property, propertyType, objects, supportedFormFactors/
  },
  {
    name: 'an unknown attribute on an LWC property',
    breakIt: (p) =>
      p.write(BUNDLE, bundle('      <property name="maxRows" type="Integer" maximum="5" />')),
    file: BUNDLE,
    line: 13,
    message: /Attribute maximum invalid on <property> .*: it takes name, type, label/
  },
  {
    name: 'an LWC property without its type',
    breakIt: (p) => p.write(BUNDLE, bundle('      <property name="maxRows" />')),
    file: BUNDLE,
    line: 13,
    message: /<property> .* lacks its required attribute type/
  },
  {
    name: 'an element inside an LWC objects list other than object',
    breakIt: (p) =>
      p.write(
        BUNDLE,
        bundle('      <objects>\n        <sobject>Demo__c</sobject>\n      </objects>')
      ),
    file: BUNDLE,
    line: 14,
    message: /Element sobject invalid at this location in <objects>.*: it allows object/
  },
  {
    name: 'an LWC objects tag set given twice in one targetConfig',
    breakIt: (p) =>
      p.write(
        BUNDLE,
        bundle(
          '      <objects>\n        <object>Demo__c</object>\n      </objects>\n      <objects>\n        <object>Account</object>\n      </objects>'
        )
      ),
    file: BUNDLE,
    line: 16,
    message: /<objects> repeated in <targetConfig>/
  },
  {
    name: 'an LWC supported form factor that does not exist',
    breakIt: (p) =>
      p.write(
        BUNDLE,
        bundle(
          '      <supportedFormFactors>\n        <supportedFormFactor type="Tablet" />\n      </supportedFormFactors>'
        )
      ),
    file: BUNDLE,
    line: 14,
    message: /<supportedFormFactor type="Tablet">.*must be Large or Small/
  },
  {
    name: 'an LWC targetConfig for a target the bundle does not list',
    breakIt: (p) => p.write(BUNDLE, bundle(validConfig, 'targets="lightning__HomePage"')),
    file: BUNDLE,
    line: 12,
    message:
      /lightning__HomePage is not among the bundle's <targets> \(lightning__RecordPage, lightning__AppPage, lightning__FlowScreen\)/
  },
  {
    name: 'an LWC targetConfig without its targets attribute',
    breakIt: (p) => p.write(BUNDLE, bundle(validConfig, '')),
    file: BUNDLE,
    line: 12,
    message: /<targetConfig> .* lacks its required attribute targets/
  }
];

describe('metadata-schema: elements belong to their Metadata API type', () => {
  it('passes the base fixture and this project', async () => {
    const p = await FixtureProject.create('schema-clean');
    try {
      assert.deepEqual(await findingsOf(p), []);
      // An LWC's js-meta.xml keeps Salesforce's documented order, <targets> before <targetConfigs>.
      await p.write(BUNDLE, bundle(validConfig));
      assert.deepEqual(await findingsOf(p), []);
      await p.write(
        BUNDLE,
        bundle(
          `      <propertyType name="T" extends="SObject" label="Record type" description="Any." />
      <property name="records" type="{T[]}" role="inputOnly" />`,
          'targets="lightning__FlowScreen, lightning__AppPage" configurationEditor="c-demo-editor"'
        )
      );
      assert.deepEqual(await findingsOf(p), []);
      await p.write(
        `${DEMO}/lwc/demoCard/demoCard.js-meta.xml`,
        `<?xml version="1.0" encoding="UTF-8" ?>
<LightningComponentBundle xmlns="http://soap.sforce.com/2006/04/metadata">
  <apiVersion>65.0</apiVersion>
  <isExposed>true</isExposed>
  <targets>
    <target>lightning__RecordPage</target>
  </targets>
  <targetConfigs>
    <targetConfig targets="lightning__RecordPage">
      <objects>
        <object>Demo__c</object>
      </objects>
    </targetConfig>
  </targetConfigs>
</LightningComponentBundle>
`
      );
      assert.deepEqual(await findingsOf(p), []);
    } finally {
      await p.dispose();
    }
    const project = await checkMetadataSchema(await loadWorkspace(TOOL_ROOT, TOOL_ROOT));
    assert.deepEqual(project.findings, []);
  });

  for (const defect of CASES) {
    it(`catches ${defect.name}`, async () => {
      const p = await FixtureProject.create('schema');
      try {
        await defect.breakIt(p);
        const findings = await findingsOf(p);
        assert.equal(findings.length, 1, JSON.stringify(findings, null, 1));
        const [hit] = findings;
        assert.equal(hit?.file, defect.file);
        assert.equal(hit?.line, defect.line);
        assert.equal(hit?.severity, 'error');
        assert.match(hit?.message ?? '', defect.message);
      } finally {
        await p.dispose();
      }
    });
  }

  it('names the API version of the WSDL it checked against, and a gap to the project', async () => {
    const { version, apiVersion } = await loadMetadataTypes();
    // forcedotcom/wsdl's headers: 1.5 and 1.6 carry the API 65.0 WSDL, 1.7 the 66.0 one.
    if (apiVersion === undefined) assert.fail(`no API version for @salesforce/types ${version}`);
    const summary =
      (await checkMetadataSchema(await loadWorkspace(TOOL_ROOT, TOOL_ROOT))).summary ?? '';
    assert.match(summary, new RegExp(`Metadata API ${apiVersion} WSDL`));
    const newer = Number(apiVersion) > 65;
    assert.equal(/newer than the project's 65\.0/.test(summary), newer, summary);
  });

  it('fails `npm run verify` with file and line', async () => {
    const p = await FixtureProject.create('schema-gate');
    try {
      await p.edit(
        OBJECT,
        '  <label>Demo</label>',
        '  <enableWidgets>true</enableWidgets>\n  <label>Demo</label>'
      );
      const report = await runGate({
        projectDir: p.dir,
        toolRoot: TOOL_ROOT,
        only: ['metadata-schema']
      });
      assert.equal(report.passed, false);
      const hit = report.outcomes.flatMap((o) => o.findings)[0];
      assert.deepEqual([hit?.file, hit?.line], [OBJECT, 5]);
    } finally {
      await p.dispose();
    }
  });
});
