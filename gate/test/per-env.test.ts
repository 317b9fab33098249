/**
 * The per-env rule (checks/per-env.ts) beyond the defects it catches (defects.test.ts): custom
 * metadata URL values, what it must let through (a matching replacement by filename, glob or
 * regex; an inline justification; a commented-out value; a non-URL custom metadata value), and
 * that this repository's own per-environment values all have a replacement.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPerEnvironment, replaces } from '../src/checks/per-env.ts';
import { loadWorkspace } from '../src/workspace.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

const RECORD = `${DEMO}/customMetadata/Demo_Setting.Default.md-meta.xml`;

function record(valueLines: string): string {
  return `<?xml version="1.0" encoding="UTF-8" ?>
<CustomMetadata xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <label>Default</label>
  <protected>false</protected>
  <values>
    <field>Endpoint__c</field>
${valueLines}
  </values>
  <values>
    <field>Mode__c</field>
    <value xsi:type="xsd:string">strict</value>
  </values>
</CustomMetadata>
`;
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
    assert.match(result.findings[0]?.message ?? '', /custom metadata URL value https:\/\/gateway/);
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
    assert.match(result.summary ?? '', /^3 per-environment values/);
  });
});
