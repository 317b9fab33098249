// Salesforce clients of a connected app of a slice's own (client credentials against the
// platform's org), for a slice whose user must not be the shared integration user: the Finance
// export, the image migration. The platform's own clients keep the metrics registry
// (salesforce_api_calls_total on /metrics); these count their calls but register nothing.
import { createSalesforceClients, type SalesforceClients } from './index.ts';
import type { SalesforceConfig } from '../config.ts';
import type { Logger } from '../logger.ts';

export interface ConnectedApp {
  clientId: string;
  clientSecret: string;
}

/**
 * Clients logged in as the connected app's Run As user at the platform's SF_INSTANCE_URL.
 * @param missingInstance the error to throw when the platform names no org (the app's variables
 *   are set, SF_INSTANCE_URL is not)
 */
export function connectedAppClients(
  app: ConnectedApp,
  platform: SalesforceConfig,
  missingInstance: () => Error,
  logger?: Logger
): SalesforceClients {
  if (!platform.instanceUrl) throw missingInstance();
  return createSalesforceClients({
    config: {
      flow: 'client_credentials',
      instanceUrl: platform.instanceUrl,
      clientId: app.clientId,
      clientSecret: app.clientSecret
    },
    apiVersion: platform.apiVersion,
    ...(logger ? { logger } : {})
  });
}
