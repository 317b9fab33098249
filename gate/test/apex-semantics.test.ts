/**
 * The `apex` check around apex-ls 5.3.0's gaps: `convertCurrency(...)` in static SOQL crashes it
 * (NullPointerException, no file named), and it does not know a platform event's `EventUuid`.
 * It knows no external objects (`__x`) either: the gate hides them from it. Valid uses must
 * pass; a defect elsewhere in the same file must still fail on its line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hiddenFromApexLs, withoutConvertCurrency } from '../src/checks/apex-semantics.ts';
import type { Finding } from '../src/finding.ts';
import { runGate } from '../src/gate.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

const PROBE = `${DEMO}/classes/Probe.cls`;
const CLASS_META = `<?xml version="1.0" encoding="UTF-8" ?>
<ApexClass xmlns="http://soap.sforce.com/2006/04/metadata">
  <apiVersion>65.0</apiVersion>
  <status>Active</status>
</ApexClass>
`;

/** The errors of the `apex` check on the base fixture plus a class whose body is `lines`. */
async function apexErrors(
  name: string,
  lines: string[],
  setup: (project: FixtureProject) => Promise<void> = async () => {}
): Promise<Finding[]> {
  const project = await FixtureProject.create(name);
  try {
    await setup(project);
    await project.write(
      PROBE,
      [
        'public with sharing class Probe {',
        '  public static Object run() {',
        ...lines,
        '    return null;',
        '  }',
        '}',
        ''
      ].join('\n')
    );
    await project.write(`${PROBE}-meta.xml`, CLASS_META);
    const report = await runGate({ projectDir: project.dir, toolRoot: TOOL_ROOT, only: ['apex'] });
    const crashed = report.outcomes.find((o) => o.crashed);
    assert.equal(crashed, undefined, `apex-ls could not run: ${JSON.stringify(crashed)}`);
    return report.outcomes.flatMap((o) => o.findings).filter((f) => f.severity === 'error');
  } finally {
    await project.dispose();
  }
}

describe('apex: what apex-ls cannot read', () => {
  it('shows apex-ls convertCurrency(x) as x, keeping every line and column', () => {
    const source =
      'x = [SELECT Id, convertCurrency( AnnualRevenue ) r,\n  CONVERTCURRENCY(\n Amount) FROM Account];';
    const view = withoutConvertCurrency(source);
    assert.equal(view.length, source.length);
    assert.deepEqual(
      view.split('\n').map((line) => line.length),
      source.split('\n').map((line) => line.length)
    );
    assert.equal(source.indexOf('AnnualRevenue'), view.indexOf('AnnualRevenue'));
    assert.equal(source.indexOf('Amount)'), view.indexOf('Amount'));
    assert.doesNotMatch(view, /convertCurrency|\(|\)/i);
  });

  it('passes convertCurrency in SOQL', async () => {
    const found = await apexErrors('apex-ls-currency', [
      '    List<Account> rows = [SELECT Id, convertCurrency(AnnualRevenue) FROM Account];'
    ]);
    assert.deepEqual(found, []);
  });

  it("passes a platform event's EventUuid and ReplayId", async () => {
    const found = await apexErrors('apex-ls-event', [
      '    Demo_Event__e evt = new Demo_Event__e();',
      '    String uuid = evt.EventUuid + evt.ReplayId;'
    ]);
    assert.deepEqual(found, []);
  });

  it('still fails a defect in a class using convertCurrency, on its file and line', async () => {
    const found = await apexErrors('apex-ls-defect', [
      '    List<Account> rows = [SELECT Id, convertCurrency(AnnualRevenue) FROM Account];',
      '    Demo_Event__e evt = new Demo_Event__e();',
      '    Object wrong = evt.Bogus__c;'
    ]);
    assert.deepEqual(
      found.map((f) => [f.check, f.file, f.line]),
      [['apex', PROBE, 5]]
    );
    assert.match(found[0]?.message ?? '', /Bogus__c/);
  });

  it('hides external objects from apex-ls, and passes Apex that queries one', async () => {
    assert.equal(
      hiddenFromApexLs('force-app/main/x/objects/Demo_Reading__x/fields/A__c.field-meta.xml'),
      true
    );
    assert.equal(
      hiddenFromApexLs('force-app/main/x/objects/Demo__c/fields/A__c.field-meta.xml'),
      false
    );
    const NS = 'xmlns="http://soap.sforce.com/2006/04/metadata"';
    const found = await apexErrors(
      'apex-ls-external',
      [
        '    List<Demo_Reading__x> rows = [SELECT Id, Value__c FROM Demo_Reading__x LIMIT 10];',
        '    Demo_Event__e evt = new Demo_Event__e();',
        '    Object wrong = evt.Bogus__c;'
      ],
      async (project) => {
        const dir = `${DEMO}/objects/Demo_Reading__x`;
        await project.write(
          `${dir}/Demo_Reading__x.object-meta.xml`,
          `<?xml version="1.0" encoding="UTF-8" ?>\n<CustomObject ${NS}>\n  <deploymentStatus>Deployed</deploymentStatus>\n  <externalDataSource>Demo_OData</externalDataSource>\n  <externalName>Readings</externalName>\n  <label>Demo Reading</label>\n  <pluralLabel>Demo Readings</pluralLabel>\n</CustomObject>\n`
        );
        await project.write(
          `${dir}/fields/Value__c.field-meta.xml`,
          `<?xml version="1.0" encoding="UTF-8" ?>\n<CustomField ${NS}>\n  <fullName>Value__c</fullName>\n  <externalDeveloperName>Value</externalDeveloperName>\n  <label>Value</label>\n  <precision>18</precision>\n  <scale>0</scale>\n  <type>Number</type>\n</CustomField>\n`
        );
        await project.write(
          `${dir}/fields/Demo__c.field-meta.xml`,
          `<?xml version="1.0" encoding="UTF-8" ?>\n<CustomField ${NS}>\n  <fullName>Demo__c</fullName>\n  <label>Demo</label>\n  <referenceTargetField>Name</referenceTargetField>\n  <referenceTo>Demo__c</referenceTo>\n  <relationshipName>Readings</relationshipName>\n  <type>IndirectLookup</type>\n</CustomField>\n`
        );
      }
    );
    assert.deepEqual(
      found.map((f) => [f.check, f.file, f.line]),
      [['apex', PROBE, 5]],
      'only the defect: ' + JSON.stringify(found)
    );
  });
});
