/**
 * Scenario 2, card payments through the ESB: what the payments service adds to a charge over
 * calling the SecurePay gateway (simulator) directly, both measured in the same run.
 *
 *  * added_latency_p50_ms / added_latency_p99_ms: percentile of the latency through the service
 *    minus the same percentile of the direct calls, per round; the median of the rounds is the
 *    figure (goal p99 <= 5 ms), `detail.spread` has min, quartiles, max, IQR and every round.
 *    Detail: both sides' percentiles per round and over all rounds pooled, the rate, the request
 *    counts, and what the service spent per charge (CPU, garbage collection; from its /metrics).
 *
 * The simulator (0 ms added latency) and the service (`services/src/payments/main.ts`, the real
 * entry point, logging at info into a file) each run in a process of their own, as they would on
 * separate machines; this process only generates load. The load is open-loop: a fixed schedule of
 * BENCH_PAYMENTS_RPS (default 200) charges per second directly and as many through the service,
 * interleaved request by request (which side goes first alternates), so noise hits both alike.
 * One round is a one-second warm-up (not counted) and BENCH_PAYMENTS_SECONDS (default 10) of
 * load; BENCH_PAYMENTS_ROUNDS (default 7) rounds, one after another, after an untimed round of
 * three seconds that warms up the fresh processes. Every charge has a new card token (tokenized
 * before its round, untimed) and a new idempotency key.
 * BENCH_PAYMENTS_SERVICE_FLAGS: extra node flags for the service process (e.g. `--cpu-prof
 * --cpu-prof-dir=/tmp/prof` to profile it); BENCH_PAYMENTS_LOG_LEVEL: its LOG_LEVEL (default
 * info, as in production; e.g. warn to see what logging costs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from '../toolkit/src/project.ts';
import { createTestDatabase } from '../services/test/helpers/database.ts';
import { TEST_CARD_NUMBERS } from '../simulators/securepay/src/cards.ts';
import { progress } from './report.ts';
import {
  envInt,
  machineLoad,
  median,
  percentile,
  reportMedian,
  repeatRounds,
  sig,
  spread
} from './rounds.ts';

const SECONDS = envInt('BENCH_PAYMENTS_SECONDS', 10);
const RPS = envInt('BENCH_PAYMENTS_RPS', 200);
const ROUNDS = envInt('BENCH_PAYMENTS_ROUNDS', 7);
const LOG_LEVEL = process.env.BENCH_PAYMENTS_LOG_LEVEL ?? 'info';
const SERVICE_FLAGS = (process.env.BENCH_PAYMENTS_SERVICE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const WARMUP_SECONDS = 1;
const INITIAL_WARMUP_SECONDS = 3;
const API_TOKEN = 'bench-payments-token-0123456789abcdef';

// Sockets per host: below the service's cap of connections per client address
// (HTTP_MAX_CONNECTIONS_PER_CLIENT, 100); a request beyond them waits for a free one, and that
// wait counts in its latency, on either side alike.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** One POST over the shared keep-alive agent; `ms` from send to the last byte. */
function post(url: string, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started
          })
        );
        response.on('error', reject);
      }
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function firstLine(child: ChildProcess, match: (line: string) => boolean): Promise<string> {
  if (!child.stdout) throw new Error('no stdout');
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`process exited (${String(code)}) before it was ready`);
  });
  const found = new Promise<string>((resolve) => {
    lines.on('line', (line) => {
      if (match(line)) resolve(line);
    });
  });
  return Promise.race([found, exited]);
}

function node(
  args: string[],
  env: NodeJS.ProcessEnv,
  stdout: 'pipe' | number,
  stderr: 'inherit' | 'ignore',
  flags: readonly string[] = []
): ChildProcess {
  return spawn(process.execPath, [...flags, '--import', 'tsx', ...args], {
    cwd: projectRoot(),
    env,
    stdio: ['ignore', stdout, stderr]
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startSimulator(): Promise<{ env: Record<string, string>; child: ChildProcess }> {
  const child = node(
    [
      path.join(projectRoot(), 'simulators/securepay/src/cli.ts'),
      '--port',
      '0',
      '--latency-ms',
      '0'
    ],
    { ...process.env },
    'pipe',
    'ignore'
  );
  const line = await firstLine(child, () => true);
  child.stdout?.resume();
  const env = Object.fromEntries(
    line
      .trim()
      .split(/\s+/)
      .map((pair) => {
        const at = pair.indexOf('=');
        return [pair.slice(0, at), pair.slice(at + 1)] as [string, string];
      })
  );
  if (!env.SECUREPAY_BASE_URL) throw new Error(`unexpected output of the simulator: ${line}`);
  return { env, child };
}

async function startService(
  simulatorEnv: Record<string, string>,
  databaseUrl: string,
  logFile: number
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  // Logs at info (BENCH_PAYMENTS_LOG_LEVEL), as in production, into a file (a pipe read by this
  // busy process would stall the service's synchronous log writes and measure this process
  // instead). Measured: writing a line takes ~0.02 ms, rarely more than a few ms.
  const child = node(
    [path.join(projectRoot(), 'services/src/payments/main.ts')],
    {
      ...process.env,
      ...simulatorEnv,
      DATABASE_URL: databaseUrl,
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      SERVICE_API_TOKENS: API_TOKEN,
      LOG_LEVEL,
      NODE_ENV: 'production',
      // The simulator and the database speak plain TCP on loopback (in production TLS would be
      // terminated in between).
      ALLOW_PLAINTEXT: 'true'
    },
    logFile,
    'inherit',
    SERVICE_FLAGS
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the payments service exited (${child.exitCode})`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false
    );
    if (ready) return { url, child };
    if (Date.now() > deadline) throw new Error('the payments service did not become ready');
    await sleep(100);
  }
}

async function tokenize(
  simulatorUrl: string,
  merchantCode: string,
  count: number
): Promise<string[]> {
  const tokens: string[] = [];
  const body = JSON.stringify({
    cardNumber: TEST_CARD_NUMBERS.visa,
    expiryMonth: 12,
    expiryYear: new Date().getFullYear() + 2,
    cvv: '123'
  });
  for (let done = 0; done < count;) {
    const batch = Math.min(100, count - done);
    const answers = await Promise.all(
      Array.from({ length: batch }, () =>
        post(
          `${simulatorUrl}/v2/tokens`,
          { 'content-type': 'application/json', 'x-merchant-code': merchantCode },
          body
        )
      )
    );
    for (const a of answers) {
      if (a.status !== 201) throw new Error(`tokenization failed: ${a.status} ${a.body}`);
      tokens.push((JSON.parse(a.body) as { token: string }).token);
    }
    done += batch;
  }
  return tokens;
}

async function accessToken(env: Record<string, string>): Promise<string> {
  const basic = Buffer.from(`${env.SECUREPAY_CLIENT_ID}:${env.SECUREPAY_CLIENT_SECRET}`).toString(
    'base64'
  );
  const answer = await post(
    `${env.SECUREPAY_BASE_URL}/oauth/token`,
    { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    'grant_type=client_credentials'
  );
  if (answer.status !== 200) throw new Error(`token request failed: ${answer.status}`);
  return (JSON.parse(answer.body) as { access_token: string }).access_token;
}

/** What the service process reports about itself on /metrics (prom-client default metrics). */
interface ServiceCounters {
  cpuSeconds: number;
  gcSeconds: number;
  gcCount: number;
}

async function serviceCounters(url: string): Promise<ServiceCounters> {
  const text = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${API_TOKEN}` }
  }).then((r) => r.text());
  const sum = (pattern: RegExp) =>
    text
      .split('\n')
      .filter((line) => pattern.test(line))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return {
    cpuSeconds: sum(/^process_cpu_seconds_total /),
    gcSeconds: sum(/^nodejs_gc_duration_seconds_sum\{/),
    gcCount: sum(/^nodejs_gc_duration_seconds_count\{/)
  };
}

interface RoundResult {
  directMs: number[];
  serviceMs: number[];
  errors: number;
  /** Failed requests by side and HTTP status or error code. */
  errorKinds: Record<string, number>;
  achievedRps: number;
  /** The service process's CPU per charge through it and its GC, the round's warm-up included. */
  serviceCpuMsPerCharge: number;
  serviceGcMsPerSecond: number;
  serviceGcCount: number;
}

interface Endpoints {
  gateway: string;
  merchantCode: string;
  bearer: string;
  service: string;
}

/** One round: tokens (untimed), then the interleaved open-loop schedule. */
async function measureRound(
  endpoints: Endpoints,
  round: number | 'warmup',
  seconds = SECONDS
): Promise<RoundResult> {
  const { gateway, merchantCode, bearer, service } = endpoints;
  const total = Math.round(RPS * (seconds + WARMUP_SECONDS));
  const directTokens = await tokenize(gateway, merchantCode, total);
  const serviceTokens = await tokenize(gateway, merchantCode, total);

  const runId = `${Date.now().toString(36)}-${round}`;
  const direct = (i: number) => {
    const key = `bench-direct-${runId}-${i}`;
    return post(
      `${gateway}/v2/payments`,
      {
        authorization: `Bearer ${bearer}`,
        'content-type': 'application/json',
        'idempotency-key': key
      },
      JSON.stringify({
        merchantCode,
        token: directTokens[i],
        amount: 12550,
        currency: 'AUD',
        orderId: key
      })
    );
  };
  const through = (i: number) =>
    post(
      `${service}/payments`,
      {
        authorization: `Bearer ${API_TOKEN}`,
        'content-type': 'application/json',
        'idempotency-key': `bench-service-${runId}-${i}`,
        'x-sf-user-id': '005000000000001AAA',
        'x-sf-org-id': '00D000000000001EAA'
      },
      JSON.stringify({
        amountMinor: 12550,
        currency: 'AUD',
        paymentToken: serviceTokens[i],
        reference: `INV-${i}`,
        recordId: 'a01000000000001AAA'
      })
    );

  const warmup = Math.round(RPS * WARMUP_SECONDS);
  const directMs: number[] = [];
  const serviceMs: number[] = [];
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  const failed = (kind: string) => {
    errors++;
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };
  const inFlight: Promise<void>[] = [];
  const intervalMs = 1000 / RPS;
  const before = await serviceCounters(service);
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const measured = i >= warmup;
    // Alternate which goes first, so neither side is systematically favoured.
    const pair: Array<[string, () => Promise<Answer>, number[], number]> = [
      ['direct', () => direct(i), directMs, 201],
      ['service', () => through(i), serviceMs, 200]
    ];
    if (i % 2 === 1) pair.reverse();
    for (const [side, send, into, expected] of pair) {
      inFlight.push(
        send().then(
          (answer) => {
            if (answer.status !== expected) failed(`${side} ${answer.status}`);
            else if (measured) into.push(answer.ms);
          },
          (error: unknown) => {
            failed(`${side} ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}`);
          }
        )
      );
    }
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1000;
  const after = await serviceCounters(service);
  directMs.sort((a, b) => a - b);
  serviceMs.sort((a, b) => a - b);
  return {
    directMs,
    serviceMs,
    errors,
    errorKinds,
    achievedRps: total / elapsed,
    serviceCpuMsPerCharge: ((after.cpuSeconds - before.cpuSeconds) * 1000) / total,
    serviceGcMsPerSecond: ((after.gcSeconds - before.gcSeconds) * 1000) / elapsed,
    serviceGcCount: after.gcCount - before.gcCount
  };
}

export async function run(): Promise<void> {
  const machine = machineLoad();
  const database = await createTestDatabase();
  const children: ChildProcess[] = [];
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'bench-payments-'));
  const logFile = openSync(path.join(logDir, 'payments.log'), 'w');
  try {
    progress('payments: starting the SecurePay simulator and the payments service');
    const simulator = await startSimulator();
    children.push(simulator.child);
    const service = await startService(simulator.env, database.url, logFile);
    children.push(service.child);
    const endpoints: Endpoints = {
      gateway: simulator.env.SECUREPAY_BASE_URL ?? '',
      merchantCode: simulator.env.SECUREPAY_MERCHANT_CODE ?? '',
      bearer: await accessToken(simulator.env),
      service: service.url
    };

    // The first seconds of a fresh process run colder code (JIT): an untimed round first.
    progress(`payments: warm-up (untimed), ${INITIAL_WARMUP_SECONDS} s at ${RPS}/s each side`);
    await measureRound(endpoints, 'warmup', INITIAL_WARMUP_SECONDS);
    progress(
      `payments: ${ROUNDS} rounds of ${RPS} charges/s directly and ${RPS}/s through the ` +
        `service, interleaved, open loop, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s each ` +
        `(cards tokenized before each round, untimed)`
    );
    const results = await repeatRounds(
      ROUNDS,
      (round) => measureRound(endpoints, round),
      (r, round) =>
        progress(
          `  round ${round + 1}/${ROUNDS}: added p50 ` +
            `${(percentile(r.serviceMs, 50) - percentile(r.directMs, 50)).toFixed(2)} ms, ` +
            `added p99 ${(percentile(r.serviceMs, 99) - percentile(r.directMs, 99)).toFixed(2)} ms ` +
            `(direct p99 ${percentile(r.directMs, 99).toFixed(2)}, service p99 ` +
            `${percentile(r.serviceMs, 99).toFixed(2)}); service ` +
            `${r.serviceCpuMsPerCharge.toFixed(2)} ms CPU/charge, ${r.serviceGcCount} GCs` +
            `${r.errors ? `, ${r.errors} errors` : ''}`
        )
    );

    const side = (pick: (r: RoundResult) => number[], p: number) =>
      results.map((r) => percentile(pick(r), p));
    const added = (p: number) =>
      results.map((r) => percentile(r.serviceMs, p) - percentile(r.directMs, p));
    const pooled = (pick: (r: RoundResult) => number[], p: number) =>
      sig(
        percentile(
          results.flatMap(pick).sort((a, b) => a - b),
          p
        )
      );
    const errors = results.reduce((n, r) => n + r.errors, 0);
    const errorKinds: Record<string, number> = {};
    for (const r of results)
      for (const [kind, n] of Object.entries(r.errorKinds))
        errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
    const common = {
      rps: RPS,
      seconds_per_round: SECONDS,
      achieved_rps_per_side: sig(median(results.map((r) => r.achievedRps))),
      requests: {
        direct: results.reduce((n, r) => n + r.directMs.length, 0),
        service: results.reduce((n, r) => n + r.serviceMs.length, 0),
        errors,
        ...(errors > 0 ? { errorKinds } : {})
      },
      machine: machine(),
      gateway_latency_ms: 0,
      service_cpu_ms_per_charge: sig(median(results.map((r) => r.serviceCpuMsPerCharge))),
      service_gc_ms_per_s: sig(median(results.map((r) => r.serviceGcMsPerSecond))),
      service_gc_per_round: sig(median(results.map((r) => r.serviceGcCount)))
    };
    for (const p of [50, 99]) {
      reportMedian({ bench: 'payments', metric: `added_latency_p${p}_ms`, unit: 'ms' }, added(p), {
        ...(p === 99 ? { goal_ms: 5 } : {}),
        [`direct_p${p}_ms`]: spread(side((r) => r.directMs, p)),
        [`service_p${p}_ms`]: spread(side((r) => r.serviceMs, p)),
        pooled: {
          [`direct_p${p}_ms`]: pooled((r) => r.directMs, p),
          [`service_p${p}_ms`]: pooled((r) => r.serviceMs, p),
          [`added_p${p}_ms`]: sig(pooled((r) => r.serviceMs, p) - pooled((r) => r.directMs, p))
        },
        ...common
      });
    }
    if (errors > 0) progress(`payments: ${errors} requests failed: ${JSON.stringify(errorKinds)}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
    agent.destroy();
    closeSync(logFile);
    rmSync(logDir, { recursive: true, force: true });
    await database.drop();
  }
}
