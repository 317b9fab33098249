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
  },
  {
    name: 'an unknown field of a for-each loop variable',
    body: `    for (Account a : [SELECT Id FROM Account]) {\n      a.Bogus__c = 'x';\n    }`,
    line: 4,
    message: /a\.Bogus__c: no field Bogus__c on Account/
  },
  {
    name: 'an unknown field of a for-each variable over a list (single statement)',
    body: `    List<Account> undeleted = new List<Account>();\n    for (Account account : undeleted) account.SAP_Customer_Numbr__c = null;`,
    line: 4,
    message: /account\.SAP_Customer_Numbr__c: no field SAP_Customer_Numbr__c on Account/
  },
  {
    name: 'an unknown field read with safe navigation',
    body: `    Account account = new Account();\n    Object o = account?.Sync_Eror__c;`,
    line: 4,
    message: /account\?\.Sync_Eror__c: no field Sync_Eror__c on Account/
  },
  {
    name: 'an unknown field of a list element',
    body: `    List<Account> accs = new List<Account>();\n    Object o = accs[0].X__c;`,
    line: 4,
    message: /accs\[\.\.\.\]\.X__c: no field X__c on Account/
  },
  {
    name: 'an unknown field of an array element',
    body: `    Account[] accs = new Account[]{};\n    Object o = accs[0].X__c;`,
    line: 4,
    message: /no field X__c on Account/
  },
  {
    name: 'an unknown field of list.get(i)',
    body: `    List<Account> accs = new List<Account>();\n    Object o = accs.get(0).X__c;`,
    line: 4,
    message: /accs\.get\(\.\.\.\)\.X__c: no field X__c on Account/
  },
  {
    name: 'an unknown field of map.get(key)',
    body: `    Map<Id, Account> byId = new Map<Id, Account>();\n    Object o = byId.get(c.AccountId).X__c;`,
    line: 4,
    message: /byId\.get\(\.\.\.\)\.X__c: no field X__c on Account/
  },
  {
    name: 'an unknown field of map.values()[i]',
    body: `    Map<Id, Account> byId = new Map<Id, Account>();\n    Object o = byId.values()[0].X__c;`,
    line: 4,
    message: /no field X__c on Account/
  },
  {
    name: 'an unknown field of a cast',
    body: `    SObject so = c;\n    Object o = ((Account) so).X__c;`,
    line: 4,
    message: /\(\(Account\) so\)\.X__c: no field X__c on Account/
  },
  {
    name: 'an unknown field through a relationship of a list element',
    body: `    List<Contact> people = new List<Contact>();\n    Object o = people[0].Account.X__c;`,
    line: 4,
    message: /no field X__c on Account/
  },
  {
    name: 'an unknown field of a switch-on-type variable',
    body: `    SObject so = c;\n    switch on so {\n      when Account a28 {\n        a28.Bogus__c = 'x';\n      }\n    }`,
    line: 6,
    message: /a28\.Bogus__c: no field Bogus__c on Account/
  },
  {
    name: 'an unknown field through a polymorphic relationship in SOQL (read as Name)',
    body: `    List<Task> ts = [SELECT Id, What.Bogus07__c FROM Task];`,
    line: 3,
    message: /SOQL What\.Bogus07__c \(FROM Task\): no field Bogus07__c on Name/
  },
  {
    name: 'an unknown field in a TYPEOF branch',
    body: `    List<Task> ts = [SELECT Id, TYPEOF What WHEN Account THEN Name, Bogus06__c END FROM Task];`,
    line: 3,
    message: /SOQL Bogus06__c \(FROM Account\): no field Bogus06__c on Account/
  },
  {
    name: 'an unknown field in the ELSE of a TYPEOF',
    body: `    List<Task> ts = [SELECT Id, TYPEOF What WHEN Account THEN Name ELSE Industry END FROM Task];`,
    line: 3,
    message: /SOQL Industry \(FROM Name\): no field Industry on Name/
  },
  {
    name: 'an unknown field through a polymorphic relationship in a semi-join',
    body: `    List<Account> rows = [SELECT Id FROM Account WHERE Id IN (SELECT WhatId FROM Task WHERE What.Bogus08__c = 'x')];`,
    line: 3,
    message: /no field Bogus08__c on Name/
  },
  {
    name: 'an unknown standard field of a standard object in SOQL',
    body: `    List<Account> rows = [SELECT Id, Nmae FROM Account];`,
    line: 3,
    message:
      /SOQL Nmae \(FROM Account\): no field Nmae on Account: neither the schema model nor Salesforce's standard SObjects at API 61\.0/
  },
  {
    name: 'an unknown standard field of a standard object in Apex',
    body: `    Account acc = new Account();\n    Object o = acc.Nmae;`,
    line: 4,
    message: /acc\.Nmae: no field Nmae on Account/
  },
  {
    name: 'an unknown child relationship of a standard object in a subquery',
    body: `    List<Account> rows = [SELECT Id, (SELECT Id FROM Invoicez) FROM Account];`,
    line: 3,
    message: /subquery FROM Invoicez: no child relationship Invoicez on Account/
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
        `    String trimmed = acc.Name?.trim();`,
        `    for (Account a : [SELECT Id FROM Account]) a.VAT_Number__c = a?.Name;`,
        `    List<Account> accs = new List<Account>();`,
        `    Map<Id, Account> byId = new Map<Id, Account>(accs);`,
        `    SObject so = accs[0];`,
        `    Object o = accs[0].VAT_Number__c + accs.get(0).Owner.Name + byId.get(c.AccountId).Name;`,
        `    o = ((Account) so).VAT_Number__c + byId.values()[0].Name + accs[0].Contacts[0].Email;`,
        `    o = c?.Account?.VAT_Number__c + accs.size() + byId.keySet();`,
        `    switch on so { when Account a28 { a28.VAT_Number__c = 'x'; } when else { } }`,
        `    List<Task> ts = [SELECT What.Name, What.Type, Who.Email, Owner.Name, TYPEOF What WHEN Account THEN Phone, VAT_Number__c WHEN Demo__c THEN Amount__c ELSE Name END FROM Task];`,
        `    List<Account> viaTasks = [SELECT Id FROM Account WHERE Id IN (SELECT WhatId FROM Task WHERE What.Name != null)];`,
        `    Demo_Event__e evt = new Demo_Event__e();`,
        `    o = evt.EventUuid + evt.ReplayId;`,
        `    List<Account> money = [SELECT convertCurrency(AnnualRevenue) FROM Account];`
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

  it('checks fields read through this.field, and Trigger.new in a trigger', async () => {
    const project = await projectWithClass('refs-this', '');
    const trigger = `${DEMO}/triggers/ProbeTrigger.trigger`;
    try {
      await project.write(
        PROBE,
        [
          'public with sharing class Probe {',
          '  private Account acc = new Account();',
          '  private Contact acc2;',
          '  public void run(Contact acc) {',
          '    acc.LastName = this.acc.Name + this.acc2.Account.Name;',
          "    this.acc.Zzz__c = 'x';",
          '  }',
          '}',
          ''
        ].join('\n')
      );
      await project.write(
        trigger,
        [
          'trigger ProbeTrigger on Account (before insert, before update) {',
          '  for (Account a : Trigger.new) {',
          "    a.Bogus__c = 'x';",
          '  }',
          '  Object o = Trigger.new[0].Name + Trigger.oldMap.get(Trigger.new[0].Id).Other__c;',
          '  o = Trigger.new[0].Zap__c;',
          '}',
          ''
        ].join('\n')
      );
      await project.write(`${trigger}-meta.xml`, CLASS_META.replace(/ApexClass/g, 'ApexTrigger'));
      const found = errors(await findingsOf(project));
      assert.deepEqual(
        found.map((f) => [f.file, f.line, f.message.replace(/ on Account.*/, '')]),
        [
          [PROBE, 6, 'this.acc.Zzz__c: no field Zzz__c'],
          [trigger, 3, 'a.Bogus__c: no field Bogus__c'],
          [trigger, 5, 'Trigger.oldMap.get(...).Other__c: no field Other__c'],
          [trigger, 6, 'Trigger.new[...].Zap__c: no field Zap__c']
        ]
      );
    } finally {
      await project.dispose();
    }
  });

  it("passes the platform's relationships of a custom object and Activity fields on Task and Event", async () => {
    const project = await projectWithClass(
      'refs-platform',
      [
        `    List<Invoice__c> rows = [`,
        `      SELECT Id, UserRecordAccess.HasEditAccess,`,
        `        (SELECT Id FROM Shares), (SELECT Id FROM ProcessInstances), (SELECT Id FROM ProcessSteps),`,
        `        (SELECT Id FROM Histories), (SELECT Id FROM Feeds), (SELECT Id, Integration_Ref__c FROM Tasks),`,
        `        (SELECT Id FROM Events), (SELECT Id FROM ActivityHistories), (SELECT Id FROM OpenActivities)`,
        `      FROM Invoice__c`,
        `    ];`,
        `    List<Task> tasks = [SELECT Id, Integration_Ref__c FROM Task WHERE Integration_Ref__c != null];`,
        `    List<Event> events = [SELECT Id, Integration_Ref__c FROM Event];`,
        `    t.Integration_Ref__c = events[0].Integration_Ref__c;`,
        `    List<Account> accounts = [SELECT Id, UserRecordAccess.HasReadAccess, (SELECT Id FROM Shares) FROM Account];`
      ].join('\n')
    );
    const invoice = `${DEMO}/objects/Invoice__c/Invoice__c.object-meta.xml`;
    const object = (settings: string): string => `<?xml version="1.0" encoding="UTF-8" ?>
<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">
  <deploymentStatus>Deployed</deploymentStatus>
${settings}  <label>Invoice</label>
  <nameField>
    <label>Invoice Number</label>
    <type>Text</type>
  </nameField>
  <pluralLabel>Invoices</pluralLabel>
</CustomObject>
`;
    try {
      await project.write(
        `${DEMO}/objects/Activity/fields/Integration_Ref__c.field-meta.xml`,
        accountField.replace(/VAT_Number__c/, 'Integration_Ref__c').replace('VAT Number', 'Ref')
      );
      await project.write(
        invoice,
        object(
          [
            '  <enableActivities>true</enableActivities>',
            '  <enableFeeds>true</enableFeeds>',
            '  <enableHistory>true</enableHistory>',
            '  <sharingModel>Private</sharingModel>',
            ''
          ].join('\n')
        )
      );
      await project.write(
        `${DEMO}/permissionsets/Probe_Activities.permissionset-meta.xml`,
        `<?xml version="1.0" encoding="UTF-8" ?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
  <description>Internal: probe.</description>
  <fieldPermissions>
    <editable>true</editable>
    <field>Task.Integration_Ref__c</field>
    <readable>true</readable>
  </fieldPermissions>
  <fieldPermissions>
    <editable>false</editable>
    <field>Event.Integration_Ref__c</field>
    <readable>true</readable>
  </fieldPermissions>
  <hasActivationRequired>false</hasActivationRequired>
  <label>Probe Activities</label>
</PermissionSet>
`
      );
      assert.deepEqual(errors(await findingsOf(project)), []);
      // Without those settings the same relationships do not exist.
      await project.write(invoice, object('  <sharingModel>ReadWrite</sharingModel>\n'));
      const found = errors(await findingsOf(project));
      assert.deepEqual(
        found.map((f) => [f.line, /subquery FROM (\w+)/.exec(f.message)?.[1]]),
        [
          [5, 'Shares'],
          [6, 'Histories'],
          [6, 'Feeds'],
          [6, 'Tasks'],
          [7, 'Events'],
          [7, 'ActivityHistories'],
          [7, 'OpenActivities']
        ]
      );
    } finally {
      await project.dispose();
    }
  });

  it('knows standard names beyond the catalogue (sobject-types) and only warns on objects it lacks', async () => {
    const project = await projectWithClass(
      'refs-standard',
      [
        `    List<User> users = [SELECT Id, UserRoleId, UserRole.Name, Profile.Name FROM User];`,
        `    List<Profile> profiles = [SELECT Id, Name, UserLicense.Name FROM Profile];`,
        `    List<SObject> newer = [SELECT Id FROM UserExternalCredential];`,
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
        /UserExternalCredential is neither in the schema model nor among Salesforce's standard objects at API 61\.0 \(sobject-types\); it may be newer \(project API 65\.0\)/
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
