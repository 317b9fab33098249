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
 *  * throughput_ratio_vs_naive: the two, round by round.
 *
 * Rounds (bench/rounds.ts): the service and the naive flow take turns in ABBA order for
 * BENCH_ROUNDS rounds after an untimed warm-up of both; each figure is the median of the rounds,
 * with the spread in `detail.spread`. Each burst is fresh accounts, deleted again after its run
 * so that every round reads an org of the same size. The service is started for each of its
 * runs (and first catches up with the naive flow's events, untimed), as after a deployment.
 * Detail of accounts_per_s: what the service's process spent meanwhile (event-loop delay, GC)
 * and the SAP simulator's CPU per account.
 *
 * Environment: BENCH_ACCOUNTS (default 10000), BENCH_BASELINE_ACCOUNTS (default 300),
 * BENCH_SAP_LATENCY_MS (default 20), BENCH_ROUNDS (default 5), and service settings under test
 * (ACCOUNT_SYNC_*, SAP_CONCURRENCY).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../toolkit/src/project.ts';
import { until } from '../toolkit/testing/wait.ts';
import { SapClient } from '../services/src/account-sync/sap-client.ts';
import { eventFromPayload, TOPIC } from '../services/src/account-sync/events.ts';
import { syncBatch } from '../services/src/account-sync/sync-batch.ts';
import {
  DurablePubSubSubscriber,
  pubSubCredentialsFrom
} from '../services/src/platform/salesforce/pubsub-subscriber.ts';
import { PgReplayStore } from '../services/src/platform/salesforce/replay-store.ts';
import { EVENT, startLab, type Lab } from '../services/test/account-sync/harness.ts';
import { progress } from './report.ts';
import { alternateRounds, envInt, machineLoad, median, reportMedian, sig } from './rounds.ts';

const ACCOUNTS = envInt('BENCH_ACCOUNTS', 10_000);
const BASELINE_ACCOUNTS = envInt('BENCH_BASELINE_ACCOUNTS', 300);
const SAP_LATENCY_MS = envInt('BENCH_SAP_LATENCY_MS', 20, 0);
const ROUNDS = envInt('BENCH_ROUNDS', 5);
const WARMUP_ACCOUNTS = Math.min(ACCOUNTS, 2_000);
const WARMUP_BASELINE_ACCOUNTS = Math.min(BASELINE_ACCOUNTS, 20);

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
  /** The SAP simulator's CPU per account (ms), when the platform tells (Linux). */
  sapCpuMsPerAccount?: number;
}

interface ServiceRun extends Run {
  /** This process (service and org emulator) while the burst ran. */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  gcCount: number;
  gcMs: number;
  gcMaxMs: number;
}

interface SapProcess {
  env: Record<string, string>;
  child: ChildProcess;
  stop: () => void;
}

/**
 * SAP lives on another machine in production: the simulator runs in a process of its own so its
 * CPU is not counted against the service (the org emulator stays in the service's process).
 */
async function startSapProcess(latencyMs: number): Promise<SapProcess> {
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
  return { env, child, stop: () => child.kill('SIGTERM') };
}

/** CPU seconds (user + system) of a process so far, from /proc; undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Measures the SAP simulator's CPU across `work`, per account. */
async function withSapCpu<T extends Run>(sap: SapProcess, work: () => Promise<T>): Promise<T> {
  const before = cpuSeconds(sap.child.pid);
  const run = await work();
  const after = cpuSeconds(sap.child.pid);
  if (before !== undefined && after !== undefined)
    run.sapCpuMsPerAccount = sig(((after - before) * 1000) / run.accounts);
  return run;
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

/** Deletes a burst's accounts (the emulator's store, no API call), so each round reads alike. */
/**
 * Removes a round's accounts so the next round starts clean. Their SAP numbers are cleared
 * first: the service's start reconciliation looks for accounts deleted with an SAP number since
 * its checkpoint (to block their customers), and a round's clean-up must not become the next
 * round's work, measured as if it were the burst's.
 */
function deleteAccounts(lab: Lab, ids: readonly string[]): void {
  const { store, integrationUser } = lab.org.emulator.ctx;
  for (const id of ids) {
    store.update('Account', id, { SAP_Customer_Number__c: null }, integrationUser);
    store.delete('Account', id, integrationUser);
  }
}

function publishCreates(lab: Lab, ids: readonly string[]): void {
  for (const id of ids)
    lab.org.emulator.ctx.bus.publish(EVENT, {
      Account_Id__c: id,
      Operation__c: 'Create',
      Changed_At__c: Date.now()
    });
}

/** Waits for `done`, printing what it waits for every 5 s (a burst can take minutes). */
function waitFor(done: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
  return until(done, what, {
    timeoutMs,
    intervalMs: 20,
    onWait: () => progress(`  ... ${what()}`)
  });
}

const outcomes = (lab: Lab) => lab.batches.reduce((n, b) => n + b.outcomes.length, 0);

/** Event-loop delay and GC of this process between start() and stop(). */
function processLoad() {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const gcs: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcs.push(entry.duration);
  });
  delay.enable();
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    delay.disable();
    observer.disconnect();
    return {
      eventLoopDelayP99Ms: sig(delay.percentile(99) / 1e6),
      eventLoopDelayMaxMs: sig(delay.max / 1e6),
      gcCount: gcs.length,
      gcMs: sig(gcs.reduce((a, b) => a + b, 0)),
      gcMaxMs: sig(Math.max(0, ...gcs))
    };
  };
}

/**
 * The service: started, caught up with the events the naive flow left on the topic (untimed:
 * their accounts are deleted, so they are skipped), then the burst arrives while it runs; done
 * when every account of the burst was written back.
 */
async function measureService(
  lab: Lab,
  sapEnv: Record<string, string>,
  accounts: number,
  leftoverEvents: number
): Promise<ServiceRun> {
  lab.batches.length = 0;
  lab.reconciles.length = 0;
  await lab.startService({ ...sapEnv, ...BENCH_SERVICE_ENV });
  await waitFor(
    () => lab.reconciles.length > 0 && outcomes(lab) >= leftoverEvents,
    () => `the service catching up (${outcomes(lab)} of ${leftoverEvents} earlier events)`,
    120_000
  );
  const ids = await pendingAccounts(lab, accounts, 'Burst');
  const wanted = new Set(ids);
  let succeeded = 0;
  lab.batches.length = 0;
  const callsBefore = await lab.org.orgApiCalls();
  const load = processLoad();
  const started = performance.now();
  publishCreates(lab, ids);
  await waitFor(
    () => {
      succeeded = lab.batches.reduce(
        (n, b) =>
          n + b.outcomes.filter((o) => o.kind === 'success' && wanted.has(o.accountId)).length,
        0
      );
      return succeeded >= accounts;
    },
    () => `${succeeded} of ${accounts} synced`,
    600_000
  );
  const seconds = (performance.now() - started) / 1000;
  const measured = load();
  const apiCalls = (await lab.org.orgApiCalls()) - callsBefore;
  await lab.stopService();
  deleteAccounts(lab, ids);
  return {
    accounts,
    seconds,
    accountsPerSecond: accounts / seconds,
    apiCalls,
    apiCallsPerAccount: apiCalls / accounts,
    ...measured
  };
}

/**
 * The seed's flow: a subscriber whose handler reads the account (1 API call), calls SAP and
 * writes the outcome back (1 API call), one event at a time. It reuses the service's mapping and
 * SAP client (syncBatch of one change), so only the batching differs. A new subscriber each run
 * (starting at the latest event), stopped after it.
 */
async function measureNaive(lab: Lab, accounts: number, run: string): Promise<Run> {
  const deps = {
    rest: lab.salesforce.rest,
    sap: new SapClient(lab.config.sap),
    pool: lab.db.pool,
    concurrency: 1
  };
  const wanted = new Set<string>();
  let done = 0;
  const subscriber = new DurablePubSubSubscriber({
    subscriber: `naive-account-sync-${run}`,
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
  const ids = await pendingAccounts(lab, accounts, 'Naive');
  for (const id of ids) wanted.add(id);
  const callsBefore = await lab.org.orgApiCalls();
  const started = performance.now();
  publishCreates(lab, ids);
  await waitFor(
    () => done >= ids.length,
    () => `naive: ${done} of ${ids.length}`,
    600_000
  );
  const seconds = (performance.now() - started) / 1000;
  const apiCalls = (await lab.org.orgApiCalls()) - callsBefore;
  await subscriber.stop();
  deleteAccounts(lab, ids);
  return {
    accounts: ids.length,
    seconds,
    accountsPerSecond: ids.length / seconds,
    apiCalls,
    apiCallsPerAccount: apiCalls / ids.length
  };
}

export async function run(): Promise<void> {
  const machine = machineLoad();
  const lab = await startLab();
  const sap = await startSapProcess(SAP_LATENCY_MS);
  // Naive-flow events the service has not seen yet (it catches up on them, untimed).
  let leftoverEvents = 0;
  try {
    const service = async (accounts: number) => {
      const result = await withSapCpu(sap, () =>
        measureService(lab, sap.env, accounts, leftoverEvents)
      );
      leftoverEvents = 0;
      return result;
    };
    const naive = async (accounts: number, name: string) => {
      const result = await withSapCpu(sap, () => measureNaive(lab, accounts, name));
      leftoverEvents += result.accounts;
      return result;
    };

    progress(
      `account-sync: warm-up (untimed): service ${WARMUP_ACCOUNTS.toLocaleString()} accounts, ` +
        `naive flow ${WARMUP_BASELINE_ACCOUNTS}, SAP ${SAP_LATENCY_MS} ms`
    );
    await service(WARMUP_ACCOUNTS);
    await naive(WARMUP_BASELINE_ACCOUNTS, 'warmup');

    progress(
      `account-sync: ${ROUNDS} rounds (ABBA) of the service (${ACCOUNTS.toLocaleString()} ` +
        `accounts) and the naive flow (${BASELINE_ACCOUNTS}), SAP ${SAP_LATENCY_MS} ms`
    );
    const rounds = await alternateRounds({
      rounds: ROUNDS,
      baseline: (round) => naive(BASELINE_ACCOUNTS, `r${round}`),
      subject: () => service(ACCOUNTS),
      onRound: (r) =>
        progress(
          `  round ${r.round + 1}/${ROUNDS} (${r.order.join(' first, ')} second): service ` +
            `${r.subject.accountsPerSecond.toFixed(0)} accounts/s ` +
            `(${r.subject.apiCallsPerAccount.toFixed(4)} calls/account, event-loop delay p99 ` +
            `${r.subject.eventLoopDelayP99Ms} ms, GC ${r.subject.gcMs} ms), naive ` +
            `${r.baseline.accountsPerSecond.toFixed(1)} accounts/s`
        )
    });

    const services = rounds.map((r) => r.subject);
    const naives = rounds.map((r) => r.baseline);
    const med = (values: Array<number | undefined>) => {
      const known = values.filter((v): v is number => v !== undefined);
      return known.length > 0 ? sig(median(known)) : undefined;
    };
    reportMedian(
      { bench: 'account-sync', metric: 'api_calls_per_account', unit: 'calls' },
      services.map((s) => s.apiCallsPerAccount),
      {
        goal: '<= 0.05',
        accounts: ACCOUNTS,
        apiCalls: services.map((s) => s.apiCalls),
        naivePerAccount: med(naives.map((n) => n.apiCallsPerAccount))
      }
    );
    reportMedian(
      { bench: 'account-sync', metric: 'accounts_per_s', unit: 'accounts/s' },
      services.map((s) => s.accountsPerSecond),
      {
        goal: '>= 1000',
        sapLatencyMs: SAP_LATENCY_MS,
        accounts: ACCOUNTS,
        seconds: services.map((s) => sig(s.seconds)),
        serviceProcess: {
          eventLoopDelayP99Ms: med(services.map((s) => s.eventLoopDelayP99Ms)),
          eventLoopDelayMaxMs: med(services.map((s) => s.eventLoopDelayMaxMs)),
          gcMs: med(services.map((s) => s.gcMs)),
          gcMaxMs: med(services.map((s) => s.gcMaxMs)),
          gcCount: med(services.map((s) => s.gcCount))
        },
        sapCpuMsPerAccount: med(services.map((s) => s.sapCpuMsPerAccount)),
        machine: machine()
      }
    );
    reportMedian(
      { bench: 'account-sync', metric: 'baseline_accounts_per_s', unit: 'accounts/s' },
      naives.map((n) => n.accountsPerSecond),
      {
        sapLatencyMs: SAP_LATENCY_MS,
        accounts: BASELINE_ACCOUNTS,
        seconds: naives.map((n) => sig(n.seconds)),
        apiCallsPerAccount: med(naives.map((n) => n.apiCallsPerAccount))
      }
    );
    reportMedian(
      { bench: 'account-sync', metric: 'throughput_ratio_vs_naive', unit: 'x' },
      rounds.map((r) => r.subject.accountsPerSecond / r.baseline.accountsPerSecond)
    );
  } finally {
    sap.stop();
    await lab.close();
  }
}
