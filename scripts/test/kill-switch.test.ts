import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { projectRoot } from '../../toolkit/src/project.ts';
import { deployedSwitches, readOrgSwitches, switchesReenabled } from '../lib/kill-switch.ts';
import { readReplacements } from '../lib/per-env.ts';
import { Sf } from '../lib/sf.ts';
import { FakeRunner, ok } from './fixtures/fake-runner.ts';

const orgSwitches = (entries: Array<[string, boolean]>) => new Map(entries);

describe('the deploy kill-switch guard', () => {
  it("reads which variable writes which record's Enabled__c from the project's replacements", async () => {
    const switches = deployedSwitches(await readReplacements(projectRoot()));
    assert.deepEqual(
      switches.sort((a, b) => a.record.localeCompare(b.record)),
      [
        { record: 'Activity', variable: 'ACTIVITY_ENABLED' },
        { record: 'BackgroundCheck', variable: 'BACKGROUND_CHECK_ENABLED' },
        { record: 'Default', variable: 'INTEGRATION_ENABLED' },
        { record: 'FinanceExport', variable: 'FINANCE_EXPORT_ENABLED' },
        { record: 'Payments', variable: 'PAYMENTS_ENABLED' },
        { record: 'PropertyMedia', variable: 'PROPERTY_MEDIA_ENABLED' }
      ]
    );
  });

  it('stops a deploy that would switch on what an admin switched off in the org', () => {
    const switches = [
      { record: 'Default', variable: 'INTEGRATION_ENABLED' },
      { record: 'Payments', variable: 'PAYMENTS_ENABLED' }
    ];
    const problems = switchesReenabled(
      switches,
      orgSwitches([
        ['Default', true],
        ['Payments', false]
      ]),
      { INTEGRATION_ENABLED: 'true', PAYMENTS_ENABLED: 'true' },
      'prod'
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /Integration_Setting\.Payments is switched off in 'prod'/);
    assert.match(problems[0]!, /PAYMENTS_ENABLED=false/);
    assert.match(problems[0]!, /--enable-integrations/);
  });

  it('lets a deploy keep a switch off, switch one off, or deploy to an org without the records', () => {
    const switches = [{ record: 'Payments', variable: 'PAYMENTS_ENABLED' }];
    const off = orgSwitches([['Payments', false]]);
    assert.deepEqual(switchesReenabled(switches, off, { PAYMENTS_ENABLED: 'false' }, 'o'), []);
    const on = orgSwitches([['Payments', true]]);
    assert.deepEqual(switchesReenabled(switches, on, { PAYMENTS_ENABLED: 'false' }, 'o'), []);
    assert.deepEqual(switchesReenabled(switches, new Map(), { PAYMENTS_ENABLED: 'true' }, 'o'), []);
  });

  it("queries the org's switches with sf data query", async () => {
    const runner = new FakeRunner([
      [
        'data query',
        ok({
          records: [
            {
              attributes: { type: 'Integration_Setting__mdt' },
              DeveloperName: 'Default',
              Enabled__c: true
            },
            {
              attributes: { type: 'Integration_Setting__mdt' },
              DeveloperName: 'Payments',
              Enabled__c: false
            }
          ],
          totalSize: 2,
          done: true
        })
      ]
    ]);
    const switches = await readOrgSwitches(new Sf(runner), 'prod');
    assert.deepEqual(
      [...switches],
      [
        ['Default', true],
        ['Payments', false]
      ]
    );
    assert.equal(
      runner.commandLines[0],
      'sf data query --query SELECT DeveloperName, Enabled__c FROM Integration_Setting__mdt --target-org prod'
    );
  });

  it('treats an org without the type (first deploy) as having no switch, and fails on other errors', async () => {
    const sfError = (name: string, message: string) => ({
      exitCode: 1,
      stdout: JSON.stringify({ name, message, status: 1, exitCode: 1, warnings: [] }),
      stderr: ''
    });
    const firstDeploy = new FakeRunner([
      [
        'data query',
        sfError(
          'INVALID_TYPE',
          "\nSELECT DeveloperName, Enabled__c FROM Integration_Setting__mdt\n                                       ^\nERROR at Row:1:Column:40\nsObject type 'Integration_Setting__mdt' is not supported."
        )
      ]
    ]);
    assert.equal((await readOrgSwitches(new Sf(firstDeploy), 'new')).size, 0);

    const expired = new FakeRunner([
      ['data query', sfError('INVALID_SESSION_ID', 'Session expired or invalid')]
    ]);
    await assert.rejects(readOrgSwitches(new Sf(expired), 'prod'), /Session expired/);
  });
});
