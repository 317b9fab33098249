/**
 * The apex-types check proves itself: each case plants one drift between the base fixture's
 * force-app/types/apex.d.ts and DemoService.cls (the seam an LWC calls Apex through) and asserts
 * the gate fails with an error on the .d.ts line that names the Apex file. The clean base passes
 * every check (defects.test.ts); here it must also pass this check alone, and so must this
 * repository's own project.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkApexTypes } from '../src/checks/apex-types.ts';
import { runGate, type GateReport } from '../src/gate.ts';
import { loadWorkspace } from '../src/workspace.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

const TYPES = 'force-app/types/apex.d.ts';
const CLASS = `${DEMO}/classes/DemoService.cls`;
/** Lines of the base fixture's apex.d.ts the findings point at. */
const LINE = {
  demoSummaryInterface: 12,
  amount: 14,
  labels: 15,
  history: 16,
  greeting: 21,
  summaryModule: 24,
  summary: 25
};

interface DriftCase {
  name: string;
  breakIt: (p: FixtureProject) => Promise<void>;
  expect: { line: number; message: RegExp }[];
}

const CASES: DriftCase[] = [
  {
    name: 'a parameter renamed on one side',
    breakIt: (p) => p.edit(TYPES, '{ demoId: string;', '{ recordId: string;'),
    expect: [
      { line: LINE.summary, message: /parameter recordId is not a parameter of the Apex method/ },
      { line: LINE.summary, message: /parameter demoId \(Id in Apex\) is missing here/ }
    ]
  },
  {
    name: 'a parameter of the wrong type',
    breakIt: (p) => p.edit(TYPES, '{ demoId: string;', '{ demoId: number;'),
    expect: [
      {
        line: LINE.summary,
        message:
          /^@salesforce\/apex\/DemoService\.summary: parameter demoId is Id in Apex but number here \(force-app\/main\/demo\/classes\/DemoService\.cls:61\)$/
      }
    ]
  },
  {
    name: 'a wrong return type (Apex.Method)',
    breakIt: (p) => p.edit(TYPES, 'Apex.DemoSummary>;', 'Apex.DemoSummary[]>;'),
    expect: [
      { line: LINE.summary, message: /returns DemoSummary in Apex but Apex\.DemoSummary\[\] here/ }
    ]
  },
  {
    name: 'a wrong return type (function declaration)',
    breakIt: (p) => p.edit(TYPES, 'Promise<string>', 'Promise<number>'),
    expect: [{ line: LINE.greeting, message: /returns String in Apex but number here/ }]
  },
  {
    name: 'a method that is not @AuraEnabled',
    breakIt: (p) =>
      p.edit(
        CLASS,
        '@AuraEnabled(cacheable=true)\n  public static DemoSummary',
        'public static DemoSummary'
      ),
    expect: [{ line: LINE.summaryModule, message: /DemoService\.summary is not @AuraEnabled/ }]
  },
  {
    name: 'a method that is not static',
    breakIt: (p) => p.edit(CLASS, 'public static DemoSummary', 'public DemoSummary'),
    expect: [{ line: LINE.summaryModule, message: /DemoService\.summary is not static/ }]
  },
  {
    name: 'a declared method the class does not have',
    breakIt: (p) =>
      p.edit(
        TYPES,
        "'@salesforce/apex/DemoService.summary'",
        "'@salesforce/apex/DemoService.summarise'"
      ),
    expect: [{ line: LINE.summaryModule, message: /DemoService has no method summarise/ }]
  },
  {
    name: 'an Apex field renamed without its interface',
    breakIt: (p) => p.edit(CLASS, /\bhistory\b/g, 'amounts'),
    expect: [
      {
        line: LINE.demoSummaryInterface,
        message:
          /Apex\.DemoSummary has no property amounts, an @AuraEnabled List<Decimal> of DemoService\.DemoSummary/
      },
      {
        line: LINE.history,
        message:
          /Apex\.DemoSummary\.history: DemoService\.DemoSummary has no @AuraEnabled field history/
      }
    ]
  },
  {
    name: 'an interface property of the wrong type',
    breakIt: (p) =>
      p.edit(TYPES, 'labels: Record<string, string>;', 'labels: Record<string, number>;'),
    expect: [
      {
        line: LINE.labels,
        message:
          /Apex\.DemoSummary\.labels is Map<String, String> in DemoService\.DemoSummary but Record<string, number> here/
      }
    ]
  },
  {
    name: 'an interface property for a field that is not @AuraEnabled',
    breakIt: (p) =>
      p.edit(TYPES, 'history: number[];', 'history: number[];\n    internalNote: string;'),
    expect: [{ line: LINE.history + 1, message: /internalNote is not @AuraEnabled/ }]
  },
  {
    name: 'an optional parameter Apex does not document as accepting null',
    breakIt: (p) => p.edit(CLASS, 'decimal places of the amount; null means 2', 'decimal places'),
    expect: [
      {
        line: LINE.summary,
        message:
          /parameter scale is optional or nullable here, but the ApexDoc of DemoService\.summary does not say it accepts null/
      }
    ]
  },
  {
    name: 'a property that cannot be null although Apex documents null',
    breakIt: (p) => p.edit(TYPES, 'amount: number | null;', 'amount: number;'),
    expect: [{ line: LINE.amount, message: /Apex\.DemoSummary\.amount does not admit null here/ }]
  }
];

function errorsOf(report: GateReport) {
  return report.outcomes.flatMap((o) => o.findings).filter((f) => f.severity === 'error');
}

describe('the apex-types check (force-app/types against the Apex signatures)', () => {
  it('passes the clean base fixture', async () => {
    const project = await FixtureProject.create('apex-types-clean');
    try {
      const report = await runGate({
        projectDir: project.dir,
        toolRoot: TOOL_ROOT,
        only: ['apex-types']
      });
      assert.deepEqual(errorsOf(report), []);
      assert.equal(report.passed, true);
      assert.match(report.outcomes[0]?.summary ?? '', /2 methods, 1 types/);
    } finally {
      await project.dispose();
    }
  });

  it("passes this repository's project, every declared method and type compared", async () => {
    const result = await checkApexTypes(await loadWorkspace(TOOL_ROOT, TOOL_ROOT));
    assert.deepEqual(result.findings, []);
    const [, methods = '0', types = '0'] =
      /(\d+) methods, (\d+) types/.exec(result.summary ?? '') ?? [];
    assert.ok(Number(methods) >= 5 && Number(types) >= 4, result.summary);
  });

  for (const drift of CASES) {
    it(`catches: ${drift.name}`, async () => {
      const project = await FixtureProject.create(`apex-types-${drift.name.replace(/\W+/g, '-')}`);
      try {
        await drift.breakIt(project);
        const report = await runGate({
          projectDir: project.dir,
          toolRoot: TOOL_ROOT,
          only: ['apex-types']
        });
        assert.equal(report.passed, false, 'the gate must fail');
        const errors = errorsOf(report);
        for (const want of drift.expect) {
          const hit = errors.find(
            (f) =>
              f.check === 'apex-types' &&
              f.file === TYPES &&
              f.line === want.line &&
              want.message.test(f.message) &&
              f.message.includes(`(${CLASS}:`)
          );
          assert.ok(
            hit,
            `expected an apex-types error on ${TYPES}:${want.line} matching ${want.message} and naming ${CLASS}; got:\n${JSON.stringify(errors, null, 1)}`
          );
        }
      } finally {
        await project.dispose();
      }
    });
  }
});
