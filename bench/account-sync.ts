/**
 * Scenario 1, Accounts from Salesforce to SAP: the account-sync service against the naive flow
 * the seed describes (for every event: read the account, call SAP, write the result back, one
 * event at a time), both fed by the org emulator's Pub/Sub API and calling the SAP simulator
 * with the same latency, measured in the same run.
 *
 *  * api_calls_per_account: Salesforce API calls the service spends for a burst of 10,000
 *    accounts (the emulator's own count; goal <= 0.05). The naive flow's figure is in detail.
 *  * accounts_per_s: accounts created in SAP and written back per second, SAP answering in
 *    20 ms (goal >= 1,000).
 *  * baseline_accounts_per_s: the naive flow, same latency (a smaller burst: it is slow).
 *
 * Environment: BENCH_ACCOUNTS (default 10000), BENCH_BASELINE_ACCOUNTS (default 300),
 * BENCH_SAP_LATENCY_MS (default 20).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../toolkit/src/project.ts';
import { SapClient } from '../services/src/account-sync/sap-client.ts';
import { eventFromPayload, TOPIC } from '../services/src/account-sync/events.ts';
import { syncBatch } from '../services/src/account-sync/sync-batch.ts';
import {
  DurablePubSubSubscriber,
  pubSubCredentialsFrom
} from '../services/src/platform/salesforce/pubsub-subscriber.ts';
import { PgReplayStore } from '../services/src/platform/salesforce/replay-store.ts';
import { EVENT, startLab, type Lab } from '../services/test/account-sync/harness.ts';
import { progress, report } from './report.ts';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 10_000);
const BASELINE_ACCOUNTS = Number(process.env.BENCH_BASELINE_ACCOUNTS ?? 300);
const SAP_LATENCY_MS = Number(process.env.BENCH_SAP_LATENCY_MS ?? 20);

// Service settings under test (defaults unless given), e.g. ACCOUNT_SYNC_BATCH_SIZE=500.
const BENCH_SERVICE_ENV = Object.fromEntries(
  Object.entries(process.env).filter(
    (e): e is [string, string] =>
      /^(ACCOUNT_SYNC_|SAP_CONCURRENCY)/.test(e[0]) && e[1] !== undefined
  )
);

interface Run {
  accounts: number;
  seconds: number;
  accountsPerSecond: number;
  apiCalls: number;
  apiCallsPerAccount: number;
}

/**
 * SAP lives on another machine in production: the simulator runs in a process of its own so its
 * CPU is not counted against the service (the org emulator stays in the service's process).
 */
async function startSapProcess(
  latencyMs: number
): Promise<{ env: Record<string, string>; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(projectRoot(), 'simulators/sap/src/cli.ts'),
      '--port',
      '0',
      '--latency-ms',
      String(latencyMs)
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] }
  );
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const env = Object.fromEntries(
    line.split(' ').map((pair) => pair.split('=') as [string, string])
  );
  if (!env.SAP_BASE_URL) throw new Error(`unexpected output of the SAP simulator: ${line}`);
  return { env, stop: () => child.kill('SIGTERM') };
}

async function pendingAccounts(lab: Lab, count: number, label: string): Promise<string[]> {
  return lab.org.fixtures(
    'Account',
    Array.from({ length: count }, (_, i) => ({
      Name: `${label} Customer ${i}`,
      BillingCountry: i % 2 ? 'Germany' : 'US',
      BillingCity: 'Walldorf',
      BillingPostalCode: '69190',
      Sync_Status__c: 'Pending'
    }))
  );
}

function publishCreates(lab: Lab, ids: readonly string[]): void {
  for (const id of ids)
    lab.org.emulator.ctx.bus.publish(EVENT, {
      Account_Id__c: id,
      Operation__c: 'Create',
      Changed_At__c: Date.now()
    });
}

async function waitFor(done: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    if (Date.now() - lastReport > 5000) {
      progress(`  ... ${what()}`);
      lastReport = Date.now();
    }
    await sleep(20);
  }
}

/** The service: the burst arrives while it runs; done when every account was written back. */
async function measureService(lab: Lab, sapEnv: Record<string, string>): Promise<Run> {
  progress(
    `account-sync: service, ${ACCOUNTS.toLocaleString()} accounts, SAP ${SAP_LATENCY_MS} ms`
  );
  await lab.startService({ ...sapEnv, ...BENCH_SERVICE_ENV });
  const ids = await pendingAccounts(lab, ACCOUNTS, 'Burst');
  let succeeded = 0;
  lab.batches.length = 0;
  const callsBefore = await lab.org.orgApiCalls();
  const started = Date.now();
  publishCreates(lab, ids);
  await waitFor(
    () => {
      succeeded = lab.batches.reduce(
        (n, b) => n + b.outcomes.filter((o) => o.kind === 'success').length,
        0
      );
      return succeeded >= ACCOUNTS;
    },
    () => `${succeeded} of ${ACCOUNTS} synced`,
    600_000
  );
  const seconds = (Date.now() - started) / 1000;
  const apiCalls = (await lab.org.orgApiCalls()) - callsBefore;
  await lab.stopService();
  return {
    accounts: ACCOUNTS,
    seconds,
    accountsPerSecond: ACCOUNTS / seconds,
    apiCalls,
    apiCallsPerAccount: apiCalls / ACCOUNTS
  };
}

/**
 * The seed's flow: a subscriber whose handler reads the account (1 API call), calls SAP and
 * writes the outcome back (1 API call), one event at a time. It reuses the service's mapping and
 * SAP client (syncBatch of one change), so only the batching differs.
 */
async function measureNaive(lab: Lab): Promise<Run> {
  progress(`account-sync: naive flow, ${BASELINE_ACCOUNTS} accounts, SAP ${SAP_LATENCY_MS} ms`);
  const deps = {
    rest: lab.salesforce.rest,
    sap: new SapClient(lab.config.sap),
    pool: lab.db.pool,
    concurrency: 1
  };
  const wanted = new Set<string>();
  let done = 0;
  const subscriber = new DurablePubSubSubscriber({
    subscriber: 'naive-account-sync',
    topic: TOPIC,
    pubSubEndpoint: lab.org.emulator.pubsubEndpoint,
    credentials: pubSubCredentialsFrom(lab.salesforce.tokenProvider),
    rejectUnauthorizedSsl: false,
    replayStore: new PgReplayStore(lab.db.pool),
    initialReplay: 'LATEST',
    async handler(event) {
      const change = eventFromPayload(event.payload);
      if (change === undefined || !wanted.has(change.accountId)) return;
      await syncBatch([{ accountId: change.accountId, action: 'upsert', events: 1 }], deps);
      done++;
    }
  });
  subscriber.start();
  await waitFor(
    () => subscriber.state === 'subscribed',
    () => 'the naive subscriber',
    30_000
  );
  await sleep(300);
  const ids = await pendingAccounts(lab, BASELINE_ACCOUNTS, 'Naive');
  for (const id of ids) wanted.add(id);
  const callsBefore = await lab.org.orgApiCalls();
  const started = Date.now();
  publishCreates(lab, ids);
  await waitFor(
    () => done >= ids.length,
    () => `naive: ${done} of ${ids.length}`,
    600_000
  );
  const seconds = (Date.now() - started) / 1000;
  const apiCalls = (await lab.org.orgApiCalls()) - callsBefore;
  await subscriber.stop();
  return {
    accounts: ids.length,
    seconds,
    accountsPerSecond: ids.length / seconds,
    apiCalls,
    apiCallsPerAccount: apiCalls / ids.length
  };
}

export async function run(): Promise<void> {
  const lab = await startLab();
  const sap = await startSapProcess(SAP_LATENCY_MS);
  try {
    const service = await measureService(lab, sap.env);
    const naive = await measureNaive(lab);
    report({
      bench: 'account-sync',
      metric: 'api_calls_per_account',
      value: service.apiCallsPerAccount,
      unit: 'calls',
      detail: { goal: '<= 0.05', service, naivePerAccount: naive.apiCallsPerAccount }
    });
    report({
      bench: 'account-sync',
      metric: 'accounts_per_s',
      value: service.accountsPerSecond,
      unit: 'accounts/s',
      detail: { goal: '>= 1000', sapLatencyMs: SAP_LATENCY_MS, accounts: ACCOUNTS }
    });
    report({
      bench: 'account-sync',
      metric: 'baseline_accounts_per_s',
      value: naive.accountsPerSecond,
      unit: 'accounts/s',
      detail: { sapLatencyMs: SAP_LATENCY_MS, naive }
    });
    report({
      bench: 'account-sync',
      metric: 'throughput_ratio_vs_naive',
      value: service.accountsPerSecond / naive.accountsPerSecond,
      unit: 'x'
    });
  } finally {
    sap.stop();
    await lab.close();
  }
}
