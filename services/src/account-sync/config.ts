// Configuration of the account-sync service (Scenario 1): the SAP connection, batching and
// retry settings. Environment variables, validated by one zod schema; invalid input lists every
// bad variable in one error (the SAP password is never echoed).
import { z } from 'zod';
import { parseServiceEnv } from '../platform/env-config.ts';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const empty = (value: unknown) => (value === '' ? undefined : value);

const schema = z.object({
  SAP_BASE_URL: z.preprocess(empty, z.url({ error: 'must be an http(s) URL' })),
  SAP_USERNAME: z.preprocess(empty, z.string().min(1, 'is required')),
  SAP_PASSWORD: z.preprocess(empty, z.string().min(1, 'is required')),
  SAP_TIMEOUT_MS: z.preprocess(empty, int(100, 600_000).default(30_000)),
  SAP_CONCURRENCY: z.preprocess(empty, int(1, 256).default(32)),
  ACCOUNT_SYNC_BATCH_SIZE: z.preprocess(empty, int(1, 10_000).default(1000)),
  ACCOUNT_SYNC_MAX_WAIT_MS: z.preprocess(empty, int(0, 60_000).default(200)),
  ACCOUNT_SYNC_RETRY_LIMIT: z.preprocess(empty, int(0, 50).default(6)),
  ACCOUNT_SYNC_RETRY_DELAY_S: z.preprocess(empty, int(1, 3600).default(5))
});

export interface AccountSyncConfig {
  sap: {
    baseUrl: string;
    username: string;
    password: string;
    timeoutMs: number;
    concurrency: number;
  };
  batchSize: number;
  maxWaitMs: number;
  /** Retries of a transient failure through the queue (exponential backoff with jitter). */
  retry: { limit: number; delaySeconds: number };
}

export function loadAccountSyncConfig(
  env: Record<string, string | undefined> = process.env
): AccountSyncConfig {
  const v = parseServiceEnv('account-sync', schema, env);
  return {
    sap: {
      baseUrl: v.SAP_BASE_URL.replace(/\/+$/, ''),
      username: v.SAP_USERNAME,
      password: v.SAP_PASSWORD,
      timeoutMs: v.SAP_TIMEOUT_MS,
      concurrency: v.SAP_CONCURRENCY
    },
    batchSize: v.ACCOUNT_SYNC_BATCH_SIZE,
    maxWaitMs: v.ACCOUNT_SYNC_MAX_WAIT_MS,
    retry: { limit: v.ACCOUNT_SYNC_RETRY_LIMIT, delaySeconds: v.ACCOUNT_SYNC_RETRY_DELAY_S }
  };
}
