/**
 * The gate proves itself: each case breaks the clean base fixture in one way a deploy would
 * reject (or the project forbids) and asserts the gate fails with an error that names the file.
 * The base fixture itself must pass, so a check that always fails cannot hide here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runGate, type GateReport } from '../src/gate.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

interface DefectCase {
  name: string;
  /** Checks to run: the ones expected to catch the defect (the full gate is tested below). */
  checks: string[];
  breakIt: (p: FixtureProject) => Promise<void>;
  expect: { check: string; file: string; message: RegExp; line?: number }[];
}

const CLASS = `${DEMO}/classes/DemoService.cls`;
const FIELD = `${DEMO}/objects/Demo__c/fields/Amount__c.field-meta.xml`;
const FLOW = `${DEMO}/flows/Demo_Default_Amount.flow-meta.xml`;
const LWC = `${DEMO}/lwc/demoCard/demoCard.ts`;
const NAMED_CREDENTIAL = `${DEMO}/namedCredentials/Demo_Api.namedCredential-meta.xml`;
const PORTAL_SET = `${DEMO}/permissionsets/Demo_Portal.permissionset-meta.xml`;

/** A Named Credential as the trust-boundary rule reads it; line 4 allows header merge fields. */
function namedCredential(header: boolean, body: boolean, extra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<NamedCredential xmlns="http://soap.sforce.com/2006/04/metadata">
  <allowMergeFieldsInBody>${body}</allowMergeFieldsInBody>
  <allowMergeFieldsInHeader>${header}</allowMergeFieldsInHeader>
  <calloutStatus>Enabled</calloutStatus>
  <generateAuthorizationHeader>false</generateAuthorizationHeader>
  <label>Demo API</label>
${extra}  <namedCredentialType>SecuredEndpoint</namedCredentialType>
</NamedCredential>
`;
}

const CSP_SITE = `${DEMO}/cspTrustedSites/Demo_Site.cspTrustedSite-meta.xml`;
const REMOTE_SITE = `${DEMO}/remoteSiteSettings/Demo_Remote.remoteSite-meta.xml`;

/** A CSP Trusted Site; its URL is on line 4. */
const cspTrustedSite = `<?xml version="1.0" encoding="UTF-8" ?>
<CspTrustedSite xmlns="http://soap.sforce.com/2006/04/metadata">
  <context>All</context>
  <endpointUrl>https://gateway.example.com</endpointUrl>
  <isActive>true</isActive>
  <isApplicableToConnectSrc>true</isApplicableToConnectSrc>
</CspTrustedSite>
`;

/** A Remote Site Setting; its URL is on line 5. */
const remoteSite = `<?xml version="1.0" encoding="UTF-8" ?>
<RemoteSiteSetting xmlns="http://soap.sforce.com/2006/04/metadata">
  <disableProtocolSecurity>false</disableProtocolSecurity>
  <isActive>true</isActive>
  <url>https://api.example.com</url>
</RemoteSiteSetting>
`;

/** A portal permission set (description "Portal: ...") on Demo__c and its Amount__c field. */
function portalPermissionSet(fieldEditable: boolean, objectEdit: boolean): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
  <description>Portal: demo portal users.</description>
  <fieldPermissions>
    <editable>${fieldEditable}</editable>
    <field>Demo__c.Amount__c</field>
    <readable>true</readable>
  </fieldPermissions>
  <hasActivationRequired>false</hasActivationRequired>
  <label>Demo Portal</label>
  <objectPermissions>
    <allowCreate>false</allowCreate>
    <allowDelete>false</allowDelete>
    <allowEdit>${objectEdit}</allowEdit>
    <allowRead>true</allowRead>
    <modifyAllRecords>false</modifyAllRecords>
    <object>Demo__c</object>
    <viewAllRecords>false</viewAllRecords>
  </objectPermissions>
</PermissionSet>
`;
}

/** Marks Demo__c.Amount__c (and, when asked, the object) server-owned. */
async function markServerOwned(p: FixtureProject, object = false): Promise<void> {
  await p.edit(
    FIELD,
    '<description>An amount.',
    '<description>Server-owned: DemoService. An amount.'
  );
  if (object)
    await p.edit(
      `${DEMO}/objects/Demo__c/Demo__c.object-meta.xml`,
      '<description>Demo object',
      '<description>Server-owned: DemoService. Demo object'
    );
}

/** Inserts a method before the class's closing brace (formatted as prettier would). */
async function addMethod(p: FixtureProject, method: string): Promise<void> {
  await p.edit(CLASS, /\}\s*$/, `${method}}\n`);
}

const AFTER_SAVE_CREATE_WITHOUT_FAULT = `<?xml version="1.0" encoding="UTF-8" ?>
<Flow xmlns="http://soap.sforce.com/2006/04/metadata">
  <apiVersion>65.0</apiVersion>
  <description>Creates a follow-up demo record after insert.</description>
  <environments>Default</environments>
  <interviewLabel>Demo Default Amount {!$Flow.CurrentDateTime}</interviewLabel>
  <label>Demo Default Amount</label>
  <processMetadataValues>
    <name>CanvasMode</name>
    <value>
      <stringValue>AUTO_LAYOUT_CANVAS</stringValue>
    </value>
  </processMetadataValues>
  <processType>AutoLaunchedFlow</processType>
  <recordCreates>
    <name>Create_Follow_Up</name>
    <label>Create Follow Up</label>
    <locationX>176</locationX>
    <locationY>287</locationY>
    <inputAssignments>
      <field>Amount__c</field>
      <value>
        <numberValue>1.0</numberValue>
      </value>
    </inputAssignments>
    <object>Demo__c</object>
  </recordCreates>
  <start>
    <locationX>50</locationX>
    <locationY>0</locationY>
    <connector>
      <targetReference>Create_Follow_Up</targetReference>
    </connector>
    <object>Demo__c</object>
    <recordTriggerType>Create</recordTriggerType>
    <triggerType>RecordAfterSave</triggerType>
  </start>
  <status>Active</status>
</Flow>
`;

const CASES: DefectCase[] = [
  {
    name: 'Apex syntax error',
    checks: ['format', 'apex'],
    breakIt: (p) => p.edit(CLASS, 'name.trim();', 'name.trim(;'),
    expect: [
      { check: 'syntax', file: CLASS, message: /does not parse/ },
      {
        check: 'apex',
        file: CLASS,
        message: /mismatched input|extraneous input|missing/i,
        line: 12
      }
    ]
  },
  {
    name: 'unknown custom field',
    checks: ['apex'],
    breakIt: (p) => p.edit(CLASS, 'demo.Amount__c == null', 'demo.Missing_Amount__c == null'),
    expect: [{ check: 'apex', file: CLASS, message: /Unknown field 'Missing_Amount__c'/ }]
  },
  {
    name: 'unknown method',
    checks: ['apex'],
    breakIt: (p) => p.edit(CLASS, 'name.trim()', 'name.shout()'),
    expect: [
      { check: 'apex', file: CLASS, message: /No matching method found for 'shout'/, line: 12 }
    ]
  },
  {
    name: 'wrong assignment',
    checks: ['apex'],
    breakIt: (p) =>
      p.edit(CLASS, 'Decimal sum = 0;', "Decimal sum = 0;\n    Integer wrong = 'text';"),
    expect: [{ check: 'apex', file: CLASS, message: /Incompatible types in assignment/ }]
  },
  {
    name: 'unknown platform-event field',
    checks: ['apex'],
    breakIt: (p) => p.edit(CLASS, 'Note__c = note', 'Notes__c = note'),
    expect: [
      {
        check: 'apex',
        file: CLASS,
        message: /Unknown field 'Notes__c' on SObject 'Schema.Demo_Event__e'/
      }
    ]
  },
  {
    name: 'unknown class',
    checks: ['apex'],
    breakIt: (p) => addMethod(p, '  public static void use() {\n    MissingHelper.run();\n  }\n'),
    expect: [{ check: 'apex', file: CLASS, message: /MissingHelper/ }]
  },
  {
    name: 'malformed XML',
    checks: ['xml'],
    breakIt: (p) => p.edit(FIELD, '</label>', '</labl>'),
    expect: [{ check: 'xml', file: FIELD, message: /malformed XML/, line: 5 }]
  },
  {
    name: 'metadata file with the wrong root element',
    checks: ['xml'],
    breakIt: (p) => p.edit(FIELD, /CustomField/g, 'CustomObject'),
    expect: [{ check: 'xml', file: FIELD, message: /a \.field file holds <CustomField>/ }]
  },
  {
    name: 'class without its -meta.xml',
    checks: ['companions', 'convert', 'apex'],
    breakIt: (p) => p.remove(`${CLASS}-meta.xml`),
    expect: [
      { check: 'companions', file: CLASS, message: /missing DemoService\.cls-meta\.xml/ },
      { check: 'convert', file: CLASS, message: /silently leave it out/ },
      { check: 'apex', file: CLASS, message: /meta file is missing/ }
    ]
  },
  {
    name: 'SOQL in a loop',
    checks: ['pmd'],
    breakIt: (p) =>
      addMethod(
        p,
        '  public static void touch(List<Id> ids) {\n    for (Id i : ids) {\n      List<Demo__c> rows = [SELECT Id FROM Demo__c WHERE Id = :i WITH USER_MODE];\n    }\n  }\n'
      ),
    expect: [{ check: 'pmd', file: CLASS, message: /loops/i }]
  },
  {
    name: 'DML without CRUD/FLS enforcement',
    checks: ['pmd'],
    breakIt: (p) =>
      addMethod(p, "  public static void make() {\n    insert new Demo__c(Name = 'x');\n  }\n"),
    expect: [{ check: 'pmd', file: CLASS, message: /CRUD/ }]
  },
  {
    name: 'class without a sharing declaration',
    checks: ['pmd'],
    breakIt: (p) => p.edit(CLASS, 'public with sharing class', 'public class'),
    expect: [{ check: 'pmd', file: CLASS, message: /sharing model/ }]
  },
  {
    name: 'flow DML without a fault path',
    checks: ['flow'],
    breakIt: (p) => p.write(FLOW, AFTER_SAVE_CREATE_WITHOUT_FAULT),
    expect: [{ check: 'flow', file: FLOW, message: /Fault Path.*Create_Follow_Up/i }]
  },
  {
    name: 'flow with a hard-coded id',
    checks: ['flow'],
    breakIt: (p) =>
      p.edit(
        FLOW,
        '<numberValue>0.0</numberValue>',
        '<stringValue>001000000000001AAA</stringValue>'
      ),
    expect: [{ check: 'flow', file: FLOW, message: /Hardcoded Id/i }]
  },
  {
    name: 'inactive flow',
    checks: ['flow'],
    breakIt: (p) => p.edit(FLOW, '<status>Active</status>', '<status>Draft</status>'),
    expect: [{ check: 'flow', file: FLOW, message: /Inactive/i }]
  },
  {
    name: 'LWC lint violation',
    checks: ['eslint'],
    breakIt: (p) =>
      p.edit(
        LWC,
        'this.message = await greeting({ name: this.name });',
        "this.message = await greeting({ name: this.name });\n    this.template.querySelector('p')!.innerHTML = this.message;"
      ),
    expect: [{ check: 'eslint', file: LWC, message: /innerHTML/ }]
  },
  {
    name: 'LWC type error',
    checks: ['types'],
    breakIt: (p) => p.edit(LWC, "message = '';", 'message: string = 42;'),
    expect: [{ check: 'types', file: LWC, message: /not assignable to type 'string'/ }]
  },
  {
    name: 'LWC importing a method that is not @AuraEnabled',
    checks: ['lwc-apex'],
    breakIt: (p) => p.edit(LWC, 'DemoService.greeting', 'DemoService.total'),
    expect: [{ check: 'lwc-apex', file: LWC, message: /no @AuraEnabled method total/, line: 2 }]
  },
  {
    name: 'LWC bundle without its js-meta.xml',
    checks: ['companions'],
    breakIt: (p) => p.remove(`${DEMO}/lwc/demoCard/demoCard.js-meta.xml`),
    expect: [
      { check: 'companions', file: `${DEMO}/lwc/demoCard`, message: /no demoCard\.js-meta\.xml/ }
    ]
  },
  {
    name: 'a committed LWC .js older than its .ts (stale compiled module)',
    checks: ['lwc-fresh'],
    breakIt: (p) => p.edit(LWC, "message = '';", "message = 'changed';"),
    expect: [
      {
        check: 'lwc-fresh',
        file: `${DEMO}/lwc/demoCard/demoCard.js`,
        message: /differs from a fresh build of its \.ts/,
        line: 1
      }
    ]
  },
  {
    name: 'an LWC .ts without its committed compiled .js',
    checks: ['lwc-fresh'],
    breakIt: (p) => p.remove(`${DEMO}/lwc/demoCard/demoCard.js`),
    expect: [
      {
        check: 'lwc-fresh',
        file: `${DEMO}/lwc/demoCard/demoCard.js`,
        message: /compiled LWC module missing/
      }
    ]
  },
  {
    name: 'TypeScript source that would deploy',
    checks: ['convert'],
    breakIt: (p) => p.edit('.forceignore', '**/*.ts\n', ''),
    expect: [{ check: 'convert', file: 'lwc/demoCard/demoCard.ts', message: /TypeScript source/ }]
  },
  {
    name: 'Named Credential URL committed without a replacement',
    checks: ['per-env'],
    breakIt: (p) =>
      p.write(
        NAMED_CREDENTIAL,
        namedCredential(
          false,
          false,
          '  <namedCredentialParameters>\n    <parameterName>Url</parameterName>\n    <parameterType>Url</parameterType>\n    <parameterValue>https://api.example.com</parameterValue>\n  </namedCredentialParameters>\n'
        )
      ),
    expect: [
      {
        check: 'per-env',
        file: NAMED_CREDENTIAL,
        message:
          /Named Credential URL https:\/\/api\.example\.com is committed without a replacement/,
        line: 11
      }
    ]
  },
  {
    name: 'CSP Trusted Site committed without a replacement',
    checks: ['per-env'],
    breakIt: (p) => p.write(CSP_SITE, cspTrustedSite),
    expect: [
      {
        check: 'per-env',
        file: CSP_SITE,
        message: /CSP Trusted Site URL .* without a replacement/,
        line: 4
      }
    ]
  },
  {
    name: 'Remote Site Setting committed without a replacement',
    checks: ['per-env'],
    breakIt: (p) => p.write(REMOTE_SITE, remoteSite),
    expect: [{ check: 'per-env', file: REMOTE_SITE, message: /Remote Site URL/, line: 5 }]
  },
  {
    name: 'CSP Trusted Site whose replacement names another string',
    checks: ['per-env'],
    breakIt: async (p) => {
      await p.write(CSP_SITE, cspTrustedSite);
      await p.edit(
        'sfdx-project.json',
        '"sfdcLoginUrl"',
        `"replacements": [{ "filename": "${CSP_SITE}", "stringToReplace": "https://old.example.com", "replaceWithEnv": "DEMO_SITE" }],\n  "sfdcLoginUrl"`
      );
    },
    expect: [{ check: 'per-env', file: CSP_SITE, message: /without a replacement/, line: 4 }]
  },
  {
    name: 'Named Credential allowing merge fields in headers without a justification',
    checks: ['merge-fields'],
    breakIt: (p) => p.write(NAMED_CREDENTIAL, namedCredential(true, false)),
    expect: [
      {
        check: 'merge-fields',
        file: NAMED_CREDENTIAL,
        message: /Demo_Api allows merge fields in HTTP headers without an inline justification/,
        line: 4
      }
    ]
  },
  {
    name: 'Named Credential allowing merge fields in the body with a justification too short',
    checks: ['merge-fields'],
    breakIt: (p) =>
      p.write(
        NAMED_CREDENTIAL,
        namedCredential(false, true).replace(
          '  <allowMergeFieldsInBody>',
          '  <!-- allow-merge-fields: needed -->\n  <allowMergeFieldsInBody>'
        )
      ),
    expect: [
      {
        check: 'merge-fields',
        file: NAMED_CREDENTIAL,
        message: /allows merge fields in the body/,
        line: 4
      }
    ]
  },
  {
    name: 'Named Credential with a $User merge field in a custom header',
    checks: ['merge-fields'],
    breakIt: (p) =>
      p.write(
        NAMED_CREDENTIAL,
        namedCredential(
          false,
          false,
          `  <namedCredentialParameters>
    <parameterName>X-User-Email</parameterName>
    <parameterType>HttpHeader</parameterType>
    <parameterValue>{!$User.Email}</parameterValue>
    <sequenceNumber>1</sequenceNumber>
  </namedCredentialParameters>
`
        )
      ),
    expect: [
      {
        check: 'merge-fields',
        file: NAMED_CREDENTIAL,
        message: /X-User-Email uses a \$User merge field/,
        line: 11
      }
    ]
  },
  {
    name: 'portal permission set granting Edit on a server-owned field',
    checks: ['server-owned'],
    breakIt: async (p) => {
      await markServerOwned(p);
      await p.write(PORTAL_SET, portalPermissionSet(true, false));
    },
    expect: [
      {
        check: 'server-owned',
        file: PORTAL_SET,
        message: /grants Edit on Demo__c\.Amount__c, which is server-owned/,
        line: 5
      }
    ]
  },
  {
    name: 'portal permission set granting Edit on a server-owned object',
    checks: ['server-owned'],
    breakIt: async (p) => {
      await markServerOwned(p, true);
      await p.write(PORTAL_SET, portalPermissionSet(false, true));
    },
    expect: [
      {
        check: 'server-owned',
        file: PORTAL_SET,
        message: /grants allowEdit on Demo__c, which is server-owned/,
        line: 14
      }
    ]
  },
  {
    name: 'unformatted Apex',
    checks: ['format'],
    breakIt: (p) =>
      p.edit(CLASS, "return 'Hello ' + name.trim();", "return   'Hello '+name.trim() ;"),
    expect: [{ check: 'format', file: CLASS, message: /not formatted/ }]
  }
];

function errorsOf(report: GateReport) {
  return report.outcomes.flatMap((o) => o.findings).filter((f) => f.severity === 'error');
}

describe('the verification gate', () => {
  it('passes the clean base fixture with every check', async () => {
    const project = await FixtureProject.create('clean');
    try {
      const report = await runGate({ projectDir: project.dir, toolRoot: TOOL_ROOT });
      assert.deepEqual(errorsOf(report), []);
      assert.deepEqual(
        report.outcomes.filter((o) => o.crashed).map((o) => o.crashed),
        []
      );
      assert.equal(report.passed, true);
      assert.ok(report.outcomes.length >= 10, 'every check ran');
    } finally {
      await project.dispose();
    }
  });

  for (const defect of CASES) {
    it(`catches: ${defect.name}`, async () => {
      const project = await FixtureProject.create(defect.name.replace(/\W+/g, '-'));
      try {
        await defect.breakIt(project);
        const report = await runGate({
          projectDir: project.dir,
          toolRoot: TOOL_ROOT,
          only: defect.checks
        });
        assert.equal(report.passed, false, 'the gate must fail');
        const errors = errorsOf(report);
        for (const want of defect.expect) {
          const hit = errors.find(
            (f) =>
              f.check === want.check &&
              f.file === want.file &&
              want.message.test(f.message + (f.rule ?? '')) &&
              (want.line === undefined || f.line === want.line)
          );
          assert.ok(
            hit,
            `expected a ${want.check} error on ${want.file} matching ${want.message}${want.line ? ` at line ${want.line}` : ''}; got:\n${JSON.stringify(errors, null, 1)}`
          );
        }
      } finally {
        await project.dispose();
      }
    });
  }
});
