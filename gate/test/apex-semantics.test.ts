/**
 * The `apex` check around apex-ls 5.3.0's gaps: `convertCurrency(...)` in static SOQL crashes it
 * (NullPointerException, no file named), and it does not know a platform event's `EventUuid`.
 * Valid uses must pass; a defect elsewhere in the same file must still fail on its line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withoutConvertCurrency } from '../src/checks/apex-semantics.ts';
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
async function apexErrors(name: string, lines: string[]): Promise<Finding[]> {
  const project = await FixtureProject.create(name);
  try {
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
});
