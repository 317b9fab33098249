/**
 * Scenario 3, BackCheck's callbacks to Salesforce: the background-check service against the
 * naive receiver (one REST update per callback), both fed signed callbacks for pending checks
 * and writing to the org emulator as the integration user, measured in the same run.
 *
 *  * callbacks_per_s: callbacks verified (HMAC), recorded in PostgreSQL and written to the
 *    applications in Salesforce, per second, from the first callback sent to the last result in
 *    Salesforce (goal >= 500). The callbacks arrive in a burst, 50 at a time, over HTTP.
 *  * api_calls_per_callback: Salesforce API calls the service spent per result (the clients'
 *    own meter; goal <= 0.02).
 *  * baseline_callbacks_per_s: the naive receiver: the same verification and recording, then
 *    `PATCH sobjects/Passport_Application__c/{id}` before answering, 50 at a time. It runs in
 *    process, without the HTTP hop the service pays, so the comparison favours the baseline.
 *  * throughput_ratio_vs_naive: the two, round by round.
 *
 * Rounds (bench/rounds.ts): service and baseline in ABBA order for BENCH_ROUNDS rounds after an
 * untimed warm-up of both; each figure is the median with `detail.spread`. Every run gets fresh
 * pending checks (fixtures through the emulator's driver: no API calls).
 *
 * Environment: BENCH_CALLBACKS (default 10000), BENCH_BASELINE_CALLBACKS (default 1000),
 * BENCH_ROUNDS (default 3), BENCH_CONCURRENCY (default 50), BACKGROUND_CHECK_BATCH_WAIT_MS.
 */
import { APPLICATION, applicationUpdate } from '../services/src/background-check/outbox.ts';
import { Checks } from '../services/src/background-check/checks.ts';
import { verifyBackCheckSignature } from '../services/src/background-check/signature.ts';
import type { JobQueue } from '../services/src/platform/index.ts';
import { signedCallback, startLab, type Lab } from '../services/test/background-check/harness.ts';
import { progress } from './report.ts';
import { alternateRounds, envInt, machineLoad, reportMedian, sig } from './rounds.ts';

const CALLBACKS = envInt('BENCH_CALLBACKS', 10_000);
const BASELINE_CALLBACKS = envInt('BENCH_BASELINE_CALLBACKS', 1_000);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 50);
const BENCH = 'background-check';

interface Run {
  callbacks: number;
  seconds: number;
  callbacksPerSecond: number;
  apiCalls: number;
  apiCallsPerCallback: number;
}

let runs = 0;

async function inLanes<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++] as T);
    })
  );
}

async function deliveredCount(lab: Lab, tag: string): Promise<number> {
  const { rows } = await lab.db.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM background_checks WHERE reference LIKE $1 AND state = 'delivered'",
    [`bck_${tag}\\_%`]
  );
  return rows[0]?.n ?? 0;
}

/** The service: callbacks over HTTP, results through its outbox. */
async function serviceRun(lab: Lab, count: number): Promise<Run> {
  const tag = `s${runs++}`;
  const checks = await lab.seedPending(count, tag);
  const callbacks = checks.map((check) => signedCallback(lab.backCheck.webhookSecret, check));
  const url = `${lab.service?.url}/backcheck/callbacks`;
  const calls = lab.salesforce.meter.total();
  const started = performance.now();
  await inLanes(callbacks, async (callback) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'BackCheck-Signature': callback.signature },
      body: callback.raw
    });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`callback answered ${response.status}`);
  });
  await lab.until(async () => (await deliveredCount(lab, tag)) === count, 'delivered', 600_000);
  const seconds = (performance.now() - started) / 1000;
  const apiCalls = lab.salesforce.meter.total() - calls;
  return {
    callbacks: count,
    seconds: sig(seconds),
    callbacksPerSecond: count / seconds,
    apiCalls,
    apiCallsPerCallback: apiCalls / count
  };
}

/** The naive receiver: verify, record, one REST update, answer; 50 callbacks at a time. */
async function baselineRun(lab: Lab, checksStore: Checks, count: number): Promise<Run> {
  const tag = `b${runs++}`;
  const checks = await lab.seedPending(count, tag);
  const callbacks = checks.map((check) => signedCallback(lab.backCheck.webhookSecret, check));
  const secret = lab.backCheck.webhookSecret;
  const calls = lab.salesforce.meter.total();
  const started = performance.now();
  await inLanes(callbacks, async (callback) => {
    const raw = Buffer.from(callback.raw);
    if (!verifyBackCheckSignature(secret, raw, callback.signature).ok)
      throw new Error('signature refused');
    const body = JSON.parse(callback.raw) as Parameters<Checks['applyCallback']>[0];
    const applied = await checksStore.applyCallback(body);
    const { Id, ...fields } = applicationUpdate({
      application_id: String(applied.applicationId),
      attempts: 1,
      state: 'completed',
      reference: body.reference,
      result: body.result,
      notes: body.notes,
      completed_at: new Date(body.completedAt),
      error: null,
      delivery_attempts: 0
    });
    await lab.salesforce.connection.requestJson({
      operation: 'rest.sobject.update',
      method: 'PATCH',
      path: `sobjects/${APPLICATION}/${String(Id)}`,
      json: fields
    });
    // What a per-callback receiver does after its write (kept out of the service's outbox).
    await lab.db.pool.query(
      "UPDATE background_checks SET state = 'delivered', next_delivery_at = NULL, delivered_at = now() WHERE reference = $1",
      [body.reference]
    );
  });
  const seconds = (performance.now() - started) / 1000;
  const apiCalls = lab.salesforce.meter.total() - calls;
  return {
    callbacks: count,
    seconds: sig(seconds),
    callbacksPerSecond: count / seconds,
    apiCalls,
    apiCallsPerCallback: apiCalls / count
  };
}

export async function run(): Promise<void> {
  const load = machineLoad();
  progress(
    `${BENCH}: starting the org emulator, the BackCheck simulator, PostgreSQL and the service`
  );
  const lab = await startLab();
  try {
    await lab.startService();
    // The baseline records through the same table, but never through the service's outbox: its
    // rows are delivered by itself, before the outbox could see them.
    const checksStore = new Checks({
      pool: lab.db.pool,
      queue: lab.service?.queue as unknown as JobQueue<never>,
      deadlineMs: 3 * 86_400_000,
      expireMs: 5 * 86_400_000
    });
    progress(`${BENCH}: warm-up`);
    await serviceRun(lab, Math.min(CALLBACKS, 1_000));
    await baselineRun(lab, checksStore, Math.min(BASELINE_CALLBACKS, 100));
    const rounds = await alternateRounds({
      rounds: ROUNDS,
      baseline: () => baselineRun(lab, checksStore, BASELINE_CALLBACKS),
      subject: () => serviceRun(lab, CALLBACKS),
      onRound: ({ round, baseline, subject }) =>
        progress(
          `${BENCH}: round ${round + 1}/${ROUNDS}: service ${sig(subject.callbacksPerSecond)}/s (${subject.apiCalls} API calls), baseline ${sig(baseline.callbacksPerSecond)}/s (${baseline.apiCalls} API calls)`
        )
    });
    const machine = load();
    const subjects = rounds.map((r) => r.subject);
    const baselines = rounds.map((r) => r.baseline);
    reportMedian(
      { bench: BENCH, metric: 'callbacks_per_s', unit: 'callbacks/s' },
      subjects.map((r) => r.callbacksPerSecond),
      { callbacks: CALLBACKS, concurrency: CONCURRENCY, goal: '>= 500', runs: subjects, machine }
    );
    reportMedian(
      { bench: BENCH, metric: 'api_calls_per_callback', unit: 'calls/callback' },
      subjects.map((r) => r.apiCallsPerCallback),
      {
        goal: '<= 0.02',
        baselineApiCallsPerCallback: sig(baselines[0]?.apiCallsPerCallback ?? Number.NaN)
      }
    );
    reportMedian(
      { bench: BENCH, metric: 'baseline_callbacks_per_s', unit: 'callbacks/s' },
      baselines.map((r) => r.callbacksPerSecond),
      { callbacks: BASELINE_CALLBACKS, concurrency: CONCURRENCY, runs: baselines, machine }
    );
    reportMedian(
      { bench: BENCH, metric: 'throughput_ratio_vs_naive', unit: 'x' },
      rounds.map((r) => r.subject.callbacksPerSecond / r.baseline.callbacksPerSecond)
    );
  } finally {
    await lab.close();
  }
}
