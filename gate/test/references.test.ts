/**
 * The `references` check: each case adds one reference a deploy rejects to the clean base
 * fixture and expects an error naming file and line; the valid forms next to it (relationship
 * paths, polymorphic fields, child relationships, custom fields the project defines on a
 * standard object) must not be flagged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkReferences } from '../src/checks/references.ts';
import type { Finding } from '../src/finding.ts';
import { runGate } from '../src/gate.ts';
import { loadWorkspace } from '../src/workspace.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

const PROBE = `${DEMO}/classes/Probe.cls`;
const ACCOUNT_FIELD = `${DEMO}/objects/Account/fields/VAT_Number__c.field-meta.xml`;

const CLASS_META = `<?xml version="1.0" encoding="UTF-8" ?>
<ApexClass xmlns="http://soap.sforce.com/2006/04/metadata">
  <apiVersion>65.0</apiVersion>
  <status>Active</status>
</ApexClass>
`;

/** A text custom field on Account, as Scenario 1 adds them: Account then has a folder. */
const accountField = `<?xml version="1.0" encoding="UTF-8" ?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
  <fullName>VAT_Number__c</fullName>
  <label>VAT Number</label>
  <length>20</length>
  <type>Text</type>
</CustomField>
`;

/** A class whose body (line 3 on) is `body`, after Account got its custom field. */
async function projectWithClass(name: string, body: string): Promise<FixtureProject> {
  const project = await FixtureProject.create(name);
  await project.write(ACCOUNT_FIELD, accountField);
  await project.write(
    PROBE,
    `public with sharing class Probe {\n  public static void run(Contact c, Task t) {\n${body}\n  }\n}\n`
  );
  await project.write(`${PROBE}-meta.xml`, CLASS_META);
  return project;
}

async function findingsOf(project: FixtureProject): Promise<Finding[]> {
  const ws = await loadWorkspace(project.dir, TOOL_ROOT);
  return (await checkReferences(ws)).findings;
}

const errors = (findings: Finding[]): Finding[] => findings.filter((f) => f.severity === 'error');

interface Case {
  name: string;
  body: string;
  /** Line (in the class) and message of the one expected error. */
  line: number;
  message: RegExp;
}

const CASES: Case[] = [
  {
    name: 'an unknown custom field on a standard object (assignment)',
    body: `    Account acc = new Account(Name = 'x');\n    acc.Some_Field__c = 'y';`,
    line: 4,
    message: /acc\.Some_Field__c: no field Some_Field__c on Account/
  },
  {
    name: 'an unknown custom field in a new SObject(...) initialiser',
    body: `    insert new Account(Name = 'x', Nope__c = 'y');`,
    line: 3,
    message: /no field Nope__c on Account/
  },
  {
    name: 'an unknown field through a relationship path in Apex',
    body: `    String vat = c.Account.Vat__c;`,
    line: 3,
    message: /c\.Account\.Vat__c: no field Vat__c on Account/
  },
  {
    name: 'an unknown field token (Account.Field__c)',
    body: `    Schema.SObjectField f = Account.Missing__c;`,
    line: 3,
    message: /Account\.Missing__c: no field Missing__c on Account/
  },
  {
    name: 'an unknown field in a SOQL SELECT',
    body: `    List<Account> rows = [SELECT Id, Bogus__c FROM Account];`,
    line: 3,
    message: /SOQL Bogus__c \(FROM Account\)/
  },
  {
    name: 'an unknown field in a SOQL WHERE',
    body: `    List<Account> rows = [\n      SELECT Id\n      FROM Account\n      WHERE Other__c = :c.Id\n    ];`,
    line: 6,
    message: /SOQL Other__c/
  },
  {
    name: 'an unknown field read in a SOQL bind',
    body: `    Account acc = new Account();\n    List<Contact> rows = [SELECT Id FROM Contact WHERE LastName = :acc.Surname__c];`,
    line: 4,
    message: /acc\.Surname__c: no field Surname__c on Account/
  },
  {
    name: 'an unknown field in a SOQL ORDER BY',
    body: `    List<Demo__c> rows = [SELECT Id FROM Demo__c ORDER BY Sort__c];`,
    line: 3,
    message: /no field Sort__c on Demo__c/
  },
  {
    name: 'an unknown field in a SOQL GROUP BY',
    body: `    List<AggregateResult> rows = [SELECT COUNT(Id) n FROM Demo__c GROUP BY Kind__c];`,
    line: 3,
    message: /no field Kind__c on Demo__c/
  },
  {
    name: 'an unknown standard-looking field on a custom object (its field list is complete)',
    body: `    List<Demo__c> rows = [SELECT Id, Amount FROM Demo__c];`,
    line: 3,
    message: /no field Amount on Demo__c/
  },
  {
    name: 'an unknown field through a SOQL relationship path',
    body: `    List<Contact> rows = [SELECT Id, Account.Zip__c FROM Contact];`,
    line: 3,
    message: /SOQL Account\.Zip__c \(FROM Contact\): no field Zip__c on Account/
  },
  {
    name: 'an unknown relationship in a SOQL path',
    body: `    List<Contact> rows = [SELECT Id, Acount__r.Name FROM Contact];`,
    line: 3,
    message: /no relationship Acount__r on Contact/
  },
  {
    name: 'an unknown field in a subquery',
    body: `    List<Account> rows = [SELECT Id, (SELECT Id, Gone__c FROM Contacts) FROM Account];`,
    line: 3,
    message: /SOQL Gone__c \(FROM Contact\)/
  },
  {
    name: 'an unknown subquery relationship name',
    body: `    List<Account> rows = [SELECT Id, (SELECT Id FROM Invoices__r) FROM Account];`,
    line: 3,
    message: /subquery FROM Invoices__r: no child relationship Invoices__r on Account/
  },
  {
    name: 'an unknown custom object in FROM',
    body: `    List<SObject> rows = [SELECT Id FROM Missing__c];`,
    line: 3,
    message: /FROM Missing__c: no object Missing__c/
  }
];

describe('references: Apex fields and static SOQL', () => {
  it('passes valid references: custom fields the project defines, paths, polymorphic, subqueries', async () => {
    const project = await projectWithClass(
      'refs-valid',
      [
        `    Account acc = new Account(Name = 'x', VAT_Number__c = 'y');`,
        `    acc.vat_number__c = acc.Name + c.Account.VAT_Number__c + c.Owner.Name;`,
        `    Schema.SObjectField f = Account.VAT_Number__c;`,
        `    Object t2 = Schema.Account.SObjectType;`,
        `    List<Account> rows = [`,
        `      SELECT Id, VAT_Number__c, Owner.Name, Parent.Parent.Name, (SELECT Id, Email FROM Contacts)`,
        `      FROM Account a`,
        `      WHERE a.Name = :acc.Name AND Id IN (SELECT AccountId FROM Contact WHERE Email != null)`,
        `      WITH USER_MODE`,
        `      ORDER BY Name`,
        `    ];`,
        `    List<Task> tasks = [SELECT Id, What.Name, Who.Name, TYPEOF What WHEN Account THEN Phone END FROM Task];`,
        `    List<AggregateResult> sums = [SELECT SUM(Amount__c) total FROM Demo__c HAVING SUM(Amount__c) > 0 ORDER BY total];`,
        `    for (Demo__c d : [SELECT Id, Amount__c FROM Demo__c]) { d.Amount__c = 1; }`,
        `    List<Demo__c> all = [SELECT FIELDS(STANDARD), toLabel(Name), FORMAT(Amount__c) FROM Demo__c WHERE CreatedDate = LAST_N_DAYS:30 LIMIT 5];`,
        `    List<AggregateResult> years = [SELECT CALENDAR_YEAR(CreatedDate) y, COUNT(Id) n FROM Demo__c GROUP BY ROLLUP(CALENDAR_YEAR(CreatedDate))];`,
        `    List<Contact> deep = [SELECT Account.Owner.Name, CreatedBy.Name FROM Contact USING SCOPE mine];`,
        `    Integer count = [SELECT COUNT() FROM Demo__c];`,
        `    List<Contact> children = acc.Contacts;`,
        `    String trimmed = acc.Name?.trim();`
      ].join('\n')
    );
    try {
      assert.deepEqual(errors(await findingsOf(project)), []);
    } finally {
      await project.dispose();
    }
  });

  for (const defect of CASES) {
    it(`catches ${defect.name}`, async () => {
      const project = await projectWithClass('refs-apex', defect.body);
      try {
        const found = errors(await findingsOf(project));
        assert.equal(found.length, 1, JSON.stringify(found, null, 1));
        const [hit] = found;
        assert.equal(hit?.file, PROBE);
        assert.equal(hit?.line, defect.line);
        assert.match(hit?.message ?? '', defect.message);
      } finally {
        await project.dispose();
      }
    });
  }

  it('knows standard names beyond the catalogue (sobject-types) and only warns on others', async () => {
    const project = await projectWithClass(
      'refs-standard',
      [
        `    List<User> users = [SELECT Id, UserRoleId, UserRole.Name, Profile.Name FROM User];`,
        `    List<Profile> profiles = [SELECT Id, Name, UserLicense.Name FROM Profile];`,
        `    List<Account> rows = [SELECT Id, PersonNotAField FROM Account];`,
        `    List<Profile> wrong = [SELECT Id, Rank__c FROM Profile];`
      ].join('\n')
    );
    try {
      const findings = await findingsOf(project);
      assert.deepEqual(
        findings.map((f) => [f.line, f.severity]),
        [
          [5, 'warning'],
          [6, 'error']
        ]
      );
      assert.match(
        findings[0]?.message ?? '',
        /Account\.PersonNotAField: no such standard field in the schema model nor in Salesforce's standard SObjects at API 61\.0 \(sobject-types\); it may be newer \(project API 65\.0\)/
      );
      assert.match(findings[1]?.message ?? '', /no field Rank__c on Profile/);
    } finally {
      await project.dispose();
    }
  });

  it('fails `npm run verify` with file and line', async () => {
    const project = await projectWithClass(
      'refs-gate',
      `    Account acc = new Account(Name = 'x');\n    acc.Some_Field__c = 'y';`
    );
    try {
      const report = await runGate({
        projectDir: project.dir,
        toolRoot: TOOL_ROOT,
        only: ['references']
      });
      assert.equal(report.passed, false);
      const hit = report.outcomes.flatMap((o) => o.findings).find((f) => f.severity === 'error');
      assert.deepEqual([hit?.file, hit?.line], [PROBE, 4]);
    } finally {
      await project.dispose();
    }
  });

  it('catches an LWC @salesforce/schema import of a field that does not exist', async () => {
    const project = await FixtureProject.create('refs-lwc');
    const card = `${DEMO}/lwc/demoCard/demoCard.ts`;
    try {
      await project.edit(
        card,
        "import greeting from '@salesforce/apex/DemoService.greeting';",
        [
          "import greeting from '@salesforce/apex/DemoService.greeting';",
          "import AMOUNT from '@salesforce/schema/Demo__c.Amount__c';",
          "import OWNER_NAME from '@salesforce/schema/Demo__c.Owner.Name';",
          "import DEMO_OBJECT from '@salesforce/schema/Demo__c';",
          "import WRONG from '@salesforce/schema/Demo__c.Amont__c';"
        ].join('\n')
      );
      const found = errors(await findingsOf(project));
      assert.deepEqual(
        found.map((f) => [f.file, f.line, f.message]),
        [[card, 6, '@salesforce/schema/Demo__c.Amont__c: no field Amont__c on Demo__c']]
      );
    } finally {
      await project.dispose();
    }
  });

  it('passes this project', async () => {
    const ws = await loadWorkspace(TOOL_ROOT, TOOL_ROOT);
    assert.deepEqual(errors((await checkReferences(ws)).findings), []);
  });
});
