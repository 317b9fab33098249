// Which Salesforce identity the Finance export runs as.
//
// The export reads every billing account, Tax_Id__c included, so it has a user of its own
// (permission set Finance_Export_Integration) instead of the shared integration user: a leaked
// Finance credential then reaches only that set, and no other service's credential reads billing
// accounts. Two ways to give it that user:
//  - FINANCE_SF_CLIENT_ID / FINANCE_SF_CLIENT_SECRET, the Finance connected app: the export makes
//    its own clients with client credentials against the platform's SF_INSTANCE_URL, so it runs as
//    its user even in a process whose platform clients run as another (`npm start`);
//  - unset: the platform's clients, for a dedicated `npm run service:finance` (or
//    `npm run finance:export`) whose SF_* credentials are the Finance user's.
import {
  connectedAppClients,
  type Logger,
  type SalesforceClients,
  type SalesforceConfig
} from '../platform/index.ts';
import type { FinanceConfig } from './config.ts';

/** FINANCE_SF_CLIENT_* is set but the platform names no org to log in to. */
export class FinanceSalesforceConfigError extends Error {
  constructor() {
    super(
      "FINANCE_SF_CLIENT_ID is set but SF_INSTANCE_URL is not: the Finance connected app logs in with client credentials at the org's own My Domain URL"
    );
    this.name = 'FinanceSalesforceConfigError';
  }
}

/**
 * The export's own clients when the Finance connected app is configured (the caller closes
 * them), else undefined: use the platform's.
 */
export function ownSalesforceClients(
  config: Pick<FinanceConfig, 'salesforce'>,
  platform: SalesforceConfig,
  logger?: Logger
): SalesforceClients | undefined {
  if (!config.salesforce) return undefined;
  return connectedAppClients(
    config.salesforce,
    platform,
    () => new FinanceSalesforceConfigError(),
    logger
  );
}
