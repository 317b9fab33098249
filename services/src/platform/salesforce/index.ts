// The Salesforce client layer: one import for services and scenarios.
//
//   const sf = createSalesforceClients({ config: config.salesforce, logger, registry });
//   for await (const account of sf.rest.query('SELECT Id, Name FROM Account')) ...
//   const { rows } = await sf.bulkQuery.query('SELECT Id FROM Billing_Account__c');
//   sf.meter.byOperation(); // API calls spent, per operation
//
// (The Pub/Sub subscriber lives in pubsub-subscriber.ts in this folder and takes the same
// TokenProvider.)
import type { Registry } from 'prom-client';
import type { SalesforceConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { createApiCallMeter, type ApiCallMeter } from './api-calls.ts';
import { createBulkIngestWriter, type BulkIngestWriter } from './bulk-ingest-writer.ts';
import {
  createBulkQueryReader,
  type BulkQueryReader,
  type BulkQueryReaderOptions
} from './bulk-query-reader.ts';
import {
  createSalesforceConnection,
  type RetryOptions,
  type SalesforceConnection
} from './connection.ts';
import { createRestClient, type RestClient } from './rest-client.ts';
import {
  createTokenProvider,
  type SalesforceCredentials,
  type TokenProvider
} from './token-provider.ts';

export * from './api-calls.ts';
export * from '../../../../toolkit/src/backoff.ts';
export * from './batching.ts';
export * from './bulk-jobs.ts';
export * from './bulk-ingest-writer.ts';
export * from './bulk-query-reader.ts';
export * from './connection.ts';
export * from './errors.ts';
export * from './rest-client.ts';
export * from './token-provider.ts';

export interface SalesforceClients {
  tokenProvider: TokenProvider;
  connection: SalesforceConnection;
  rest: RestClient;
  bulkQuery: BulkQueryReader;
  bulkIngest: BulkIngestWriter;
  /** API calls spent by every client above. */
  meter: ApiCallMeter;
  /** Closes idle keep-alive sockets (at shutdown). */
  close(): void;
}

export interface CreateSalesforceClientsOptions {
  /** `loadConfig().salesforce`, or explicit credentials (then give `apiVersion`). */
  config: SalesforceConfig | SalesforceCredentials;
  apiVersion?: string;
  logger?: Logger;
  /** Exposes the API-call counters on this prom-client registry. */
  registry?: Registry;
  fetch?: typeof fetch;
  requestTimeoutMs?: number;
  retry?: Partial<RetryOptions>;
  bulkQuery?: BulkQueryReaderOptions;
  /** Proactive token refresh age (see TokenProviderOptions.maxTokenAgeMs). */
  maxTokenAgeMs?: number;
}

export function createSalesforceClients(
  options: CreateSalesforceClientsOptions
): SalesforceClients {
  const meter = createApiCallMeter({ registry: options.registry });
  const tokenProvider = createTokenProvider(options.config, {
    fetch: options.fetch,
    logger: options.logger,
    meter,
    maxTokenAgeMs: options.maxTokenAgeMs
  });
  const apiVersion =
    options.apiVersion ?? ('apiVersion' in options.config ? options.config.apiVersion : undefined);
  const connection = createSalesforceConnection({
    tokenProvider,
    apiVersion,
    meter,
    fetch: options.fetch,
    logger: options.logger,
    requestTimeoutMs: options.requestTimeoutMs,
    retry: options.retry
  });
  return {
    tokenProvider,
    connection,
    rest: createRestClient(connection),
    bulkQuery: createBulkQueryReader(connection, options.bulkQuery),
    bulkIngest: createBulkIngestWriter(connection),
    meter,
    close: () => connection.close()
  };
}
export * from './integration-log.ts';
