// Which Salesforce identity the migration runs as: its own API-only user (permission set
// Property_Media_Migration), which may upsert Property_Image__c and read Property__c and nothing
// else. MEDIA_SF_CLIENT_ID / _SECRET name its connected app (client credentials against the
// platform's SF_INSTANCE_URL); unset, the platform's SF_* credentials must be that user's.
import {
  connectedAppClients,
  createSalesforceClients,
  type Logger,
  type SalesforceClients,
  type SalesforceConfig
} from '../../platform/index.ts';
import type { MigrationConfig } from './config.ts';

export class MigrationSalesforceConfigError extends Error {
  override readonly name = 'MigrationSalesforceConfigError';
  constructor() {
    super(
      "MEDIA_SF_CLIENT_ID is set but SF_INSTANCE_URL is not: the migration's connected app logs in with client credentials at the org's own My Domain URL"
    );
  }
}

/** The migration's Salesforce clients (the caller closes them). */
export function migrationSalesforceClients(
  config: Pick<MigrationConfig, 'salesforce'>,
  platform: SalesforceConfig,
  logger?: Logger
): SalesforceClients {
  if (!config.salesforce)
    return createSalesforceClients({ config: platform, ...(logger ? { logger } : {}) });
  return connectedAppClients(
    config.salesforce,
    platform,
    () => new MigrationSalesforceConfigError(),
    logger
  );
}
