// Which user the Finance export runs as (services/src/finance/salesforce.ts): with the Finance
// connected app configured, clients of its own logged in as finance@emulator.local against the
// platform's SF_INSTANCE_URL, whatever the platform's credentials are; unset, none (the
// platform's clients serve); set without an instance URL, a configuration error. Real emulator.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  FINANCE_CLIENT_ID,
  FINANCE_CLIENT_SECRET
} from '../../../simulators/salesforce/src/emulator.ts';
import { financeConfig } from '../../src/finance/config.ts';
import {
  FinanceSalesforceConfigError,
  ownSalesforceClients
} from '../../src/finance/salesforce.ts';
import { platformConfig } from '../../src/platform/index.ts';
import { startTestOrg, type TestOrg } from '../platform/salesforce-test-org.ts';

describe('the Finance export’s Salesforce identity', () => {
  let org: TestOrg;
  before(async () => {
    org = await startTestOrg();
  });
  after(async () => {
    await org.close();
  });

  const load = (env: Record<string, string>) => ({
    finance: financeConfig.load(env),
    platform: platformConfig.load(env).salesforce
  });

  test('FINANCE_SF_CLIENT_* set: own clients, running as finance@emulator.local', async () => {
    const { finance, platform } = load({
      SF_INSTANCE_URL: org.emulator.instanceUrl,
      SF_CLIENT_ID: 'emulator-client-id',
      SF_CLIENT_SECRET: 'emulator-client-secret',
      FINANCE_SF_CLIENT_ID: FINANCE_CLIENT_ID,
      FINANCE_SF_CLIENT_SECRET: FINANCE_CLIENT_SECRET
    });
    const clients = ownSalesforceClients(finance, platform);
    assert.ok(clients, 'own clients');
    try {
      const { accessToken, instanceUrl } = await clients.tokenProvider.getToken();
      assert.equal(instanceUrl, org.emulator.instanceUrl);
      const info = await fetch(`${instanceUrl}/services/oauth2/userinfo`, {
        headers: { authorization: `Bearer ${accessToken}` }
      });
      assert.equal(
        ((await info.json()) as { preferred_username: string }).preferred_username,
        'finance@emulator.local'
      );
    } finally {
      clients.close();
    }
  });

  test('unset: no clients of its own (the platform’s serve)', () => {
    const { finance, platform } = load({ SF_INSTANCE_URL: org.emulator.instanceUrl });
    assert.equal(finance.salesforce, undefined);
    assert.equal(ownSalesforceClients(finance, platform), undefined);
  });

  test('set without SF_INSTANCE_URL: refused with the reason', () => {
    const { finance, platform } = load({
      FINANCE_SF_CLIENT_ID: FINANCE_CLIENT_ID,
      FINANCE_SF_CLIENT_SECRET: FINANCE_CLIENT_SECRET
    });
    assert.throws(() => ownSalesforceClients(finance, platform), FinanceSalesforceConfigError);
  });

  test('an id without its secret is a configuration error naming the variable', () => {
    assert.throws(
      () => financeConfig.load({ FINANCE_SF_CLIENT_ID: FINANCE_CLIENT_ID }),
      /FINANCE_SF_CLIENT_SECRET/
    );
  });
});
