/**
 * The per-env rule (checks/per-env.ts) beyond the defects it catches (defects.test.ts): custom
 * metadata values (URLs, kill switches, merchant codes: every value of a record), what it must
 * let through (a matching replacement by filename, glob or regex, a field-anchored regex run over
 * the file as the CLI runs it; an inline justification above the value or its <values> block; a
 * commented-out value), and that this repository's own per-environment values all have one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPerEnvironment, replaces } from '../src/checks/per-env.ts';
import { loadWorkspace } from '../src/workspace.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

const RECORD = `${DEMO}/customMetadata/Demo_Setting.Default.md-meta.xml`;

/** The Mode__c value, justified above its <values> block. */
const JUSTIFIED_MODE = `  <!-- same-in-every-environment: a design choice of the demo, not an org's -->
  <values>
    <field>Mode__c</field>
    <value xsi:type="xsd:string">strict</value>
  </values>
`;

/** A custom metadata record; the Endpoint__c value lines start on line 7. */
function record(valueLines: string, more = JUSTIFIED_MODE): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<CustomMetadata xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <label>Default</label>
  <protected>false</protected>
  <values>
    <field>Endpoint__c</field>
${valueLines}
  </values>
${more}</CustomMetadata>
`;
}

/** A kill switch and a merchant code, neither justified: lines 16 and 20 of the record. */
const SWITCH_AND_MERCHANT = `  <values>
    <field>Enabled__c</field>
    <value xsi:type="xsd:boolean">true</value>
  </values>
  <values>
    <field>Merchant_Code__c</field>
    <value xsi:type="xsd:string">5AR0055</value>
  </values>
`;

/** The replacement of one field's value in RECORD, as sfdx-project.json writes it. */
function fieldReplacement(field: string, variable: string) {
  return {
    filename: RECORD,
    regexToReplace: `(?<=<field>${field}</field>\\s*<value[^>]*>)[^<]*(?=</value>)`,
    replaceWithEnv: variable
  };
}

const URL_VALUE = '    <value xsi:type="xsd:string">https://gateway.example.com/v2/tokens</value>';

async function run(setup: (p: FixtureProject) => Promise<void>) {
  const project = await FixtureProject.create('per-env');
  try {
    await setup(project);
    return await checkPerEnvironment(await loadWorkspace(project.dir, TOOL_ROOT));
  } finally {
    await project.dispose();
  }
}

async function withReplacements(p: FixtureProject, entries: object[]): Promise<void> {
  await p.edit(
    'sfdx-project.json',
    '"sfdcLoginUrl"',
    `"replacements": ${JSON.stringify(entries)},\n  "sfdcLoginUrl"`
  );
}

describe('per-env rule', () => {
  it('fails a custom metadata URL value without a replacement, on its line', async () => {
    const result = await run((p) => p.write(RECORD, record(URL_VALUE)));
    assert.equal(result.findings.length, 1, JSON.stringify(result.findings));
    assert.equal(result.findings[0]?.file, RECORD);
    assert.equal(result.findings[0]?.line, 7);
    assert.match(
      result.findings[0]?.message ?? '',
      /custom metadata value Demo_Setting\.Default Endpoint__c = https:\/\/gateway/
    );
  });

  it('passes it with a filename replacement from an environment variable', async () => {
    const result = await run(async (p) => {
      await p.write(RECORD, record(URL_VALUE));
      await withReplacements(p, [
        {
          filename: RECORD,
          stringToReplace: 'https://gateway.example.com/v2/tokens',
          replaceWithEnv: 'DEMO_URL'
        }
      ]);
    });
    assert.deepEqual(result.findings, []);
  });

  it('passes it with a glob and regex replacement', async () => {
    const result = await run(async (p) => {
      await p.write(RECORD, record(URL_VALUE));
      await withReplacements(p, [
        {
          glob: 'force-app/**/customMetadata/*.md-meta.xml',
          regexToReplace: 'https://gateway\\.example\\.com',
          replaceWithFile: 'config/gateway-url.txt'
        }
      ]);
    });
    assert.deepEqual(result.findings, []);
  });

  it('passes a justified value and a commented-out one', async () => {
    const result = await run((p) =>
      p.write(
        RECORD,
        record(
          '    <!-- same-in-every-environment: the public status page, one for all orgs -->\n' +
            URL_VALUE +
            '\n    <!-- <value>https://old.example.com</value> -->'
        )
      )
    );
    assert.deepEqual(result.findings, []);
  });

  it('fails a kill switch and a merchant code committed without a replacement, on their lines', async () => {
    const result = await run(async (p) => {
      await p.write(RECORD, record(URL_VALUE, JUSTIFIED_MODE + SWITCH_AND_MERCHANT));
      await withReplacements(p, [fieldReplacement('Endpoint__c', 'DEMO_URL')]);
    });
    assert.deepEqual(
      result.findings.map((f) => [f.file, f.line]),
      [
        [RECORD, 16],
        [RECORD, 20]
      ],
      JSON.stringify(result.findings)
    );
    assert.match(
      result.findings[0]?.message ?? '',
      /custom metadata value Demo_Setting\.Default Enabled__c = true is committed without a replacement/
    );
    assert.match(
      result.findings[0]?.message ?? '',
      /"regexToReplace": "\(\?<=<field>Enabled__c<\/field>/
    );
    assert.match(result.findings[1]?.message ?? '', /Merchant_Code__c = 5AR0055/);
  });

  it('passes them with field-anchored regex replacements, and a replacement anchored on another field does not count', async () => {
    const covered = await run(async (p) => {
      await p.write(RECORD, record(URL_VALUE, JUSTIFIED_MODE + SWITCH_AND_MERCHANT));
      await withReplacements(p, [
        fieldReplacement('Endpoint__c', 'DEMO_URL'),
        fieldReplacement('Enabled__c', 'DEMO_ENABLED'),
        fieldReplacement('Merchant_Code__c', 'DEMO_MERCHANT')
      ]);
    });
    assert.deepEqual(covered.findings, []);
    const elsewhere = await run(async (p) => {
      await p.write(RECORD, record(URL_VALUE, JUSTIFIED_MODE + SWITCH_AND_MERCHANT));
      await withReplacements(p, [
        fieldReplacement('Endpoint__c', 'DEMO_URL'),
        fieldReplacement('Enabled__c', 'DEMO_ENABLED'),
        // matches "5AR0055" on its own, but the CLI runs it over the file: it covers the value only
        // if it matches there
        { filename: RECORD, regexToReplace: '^5AR0055$', replaceWithEnv: 'DEMO_MERCHANT' }
      ]);
    });
    assert.deepEqual(
      elsewhere.findings.map((f) => f.line),
      [20]
    );
  });

  it('a justification counts above its own <values> block only', async () => {
    const result = await run(async (p) => {
      await p.write(
        RECORD,
        record(
          URL_VALUE,
          `  <!-- same-in-every-environment: one switch for every org, flipped by a release -->
${SWITCH_AND_MERCHANT}`
        )
      );
      await withReplacements(p, [fieldReplacement('Endpoint__c', 'DEMO_URL')]);
    });
    // Enabled__c passes (justified above its block); the merchant code's block, the next one,
    // has no justification of its own.
    assert.deepEqual(
      result.findings.map((f) => [f.file, f.line]),
      [[RECORD, 16]]
    );
  });

  it('a replacement that only reads no variable or file does not count', () => {
    assert.equal(
      replaces({ filename: RECORD, stringToReplace: 'https://x' }, RECORD, 'https://x'),
      false
    );
    assert.equal(
      replaces(
        { filename: 'other.md-meta.xml', stringToReplace: 'https://x', replaceWithEnv: 'X' },
        RECORD,
        'https://x'
      ),
      false
    );
  });

  it("this repository's per-environment values all have a replacement", async () => {
    const result = await checkPerEnvironment(await loadWorkspace(TOOL_ROOT, TOOL_ROOT));
    assert.deepEqual(result.findings, []);
    assert.match(result.summary ?? '', /^24 per-environment values, 18 replacements/);
  });
});
