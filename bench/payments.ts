/**
 * Scenario 2, card payments through the ESB: what the payments service adds to a charge over
 * calling the SecurePay gateway (simulator) directly, both measured in the same run.
 *
 *  * added_latency_p50_ms / added_latency_p99_ms: percentile of the latency through the service
 *    minus the same percentile of the direct calls (goal p99 <= 5 ms). Detail: both sides' p50
 *    and p99, the rate and the request counts.
 *
 * The simulator (0 ms added latency) and the service (`services/src/payments/main.ts`, the real
 * entry point, logging at info) each run in a process of their own, as they would on separate
 * machines; this process only generates load. The load is open-loop: a fixed schedule of
 * BENCH_PAYMENTS_RPS (default 200) charges per second directly and as many through the service,
 * interleaved, for BENCH_PAYMENTS_SECONDS (default 10), after a one-second warm-up. Every charge
 * has a new card token (tokenized beforehand, untimed) and a new idempotency key.
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
import { progress, report } from './report.ts';

const SECONDS = Number(process.env.BENCH_PAYMENTS_SECONDS ?? 10);
const RPS = Number(process.env.BENCH_PAYMENTS_RPS ?? 200);
const WARMUP_SECONDS = 1;
const API_TOKEN = 'bench-payments-token-0123456789abcdef';
const VISA = '4111111111111111';

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

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

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

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
  stderr: 'inherit' | 'ignore'
): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], {
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
  // Logs at info, as in production, into a file (a pipe read by this busy process would stall
  // the service's synchronous log writes and measure this process instead).
  const child = node(
    [path.join(projectRoot(), 'services/src/payments/main.ts')],
    {
      ...process.env,
      ...simulatorEnv,
      DATABASE_URL: databaseUrl,
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      SERVICE_API_TOKENS: API_TOKEN,
      LOG_LEVEL: 'info',
      NODE_ENV: 'production'
    },
    logFile,
    'inherit'
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
    cardNumber: VISA,
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

export async function run(): Promise<void> {
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
    const gateway = simulator.env.SECUREPAY_BASE_URL ?? '';
    const merchantCode = simulator.env.SECUREPAY_MERCHANT_CODE ?? '';
    const bearer = await accessToken(simulator.env);

    const total = Math.round(RPS * (SECONDS + WARMUP_SECONDS));
    progress(`payments: tokenizing ${2 * total} cards (untimed)`);
    const directTokens = await tokenize(gateway, merchantCode, total);
    const serviceTokens = await tokenize(gateway, merchantCode, total);

    const runId = Date.now().toString(36);
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
        `${service.url}/payments`,
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

    progress(
      `payments: ${RPS} charges/s directly and ${RPS}/s through the service, open loop, ` +
        `${WARMUP_SECONDS} s warm-up + ${SECONDS} s`
    );
    const warmup = Math.round(RPS * WARMUP_SECONDS);
    const directMs: number[] = [];
    const serviceMs: number[] = [];
    let errors = 0;
    const inFlight: Promise<void>[] = [];
    const intervalMs = 1000 / RPS;
    const start = performance.now();
    for (let i = 0; i < total; i++) {
      const due = start + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const measured = i >= warmup;
      // Alternate which goes first, so neither side is systematically favoured.
      const pair: Array<[() => Promise<Answer>, number[], number]> = [
        [() => direct(i), directMs, 201],
        [() => through(i), serviceMs, 200]
      ];
      if (i % 2 === 1) pair.reverse();
      for (const [send, into, expected] of pair) {
        inFlight.push(
          send().then(
            (answer) => {
              if (answer.status !== expected) errors++;
              else if (measured) into.push(answer.ms);
            },
            () => {
              errors++;
            }
          )
        );
      }
    }
    await Promise.all(inFlight);
    const elapsed = (performance.now() - start) / 1000;

    directMs.sort((a, b) => a - b);
    serviceMs.sort((a, b) => a - b);
    const d50 = percentile(directMs, 50);
    const d99 = percentile(directMs, 99);
    const s50 = percentile(serviceMs, 50);
    const s99 = percentile(serviceMs, 99);
    const detail = {
      direct_p50_ms: round(d50),
      direct_p99_ms: round(d99),
      service_p50_ms: round(s50),
      service_p99_ms: round(s99),
      rps: RPS,
      achieved_rps_per_side: round(total / elapsed),
      seconds: SECONDS,
      requests: { direct: directMs.length, service: serviceMs.length, errors },
      gateway_latency_ms: 0
    };
    report({
      bench: 'payments',
      metric: 'added_latency_p50_ms',
      value: s50 - d50,
      unit: 'ms',
      detail
    });
    report({
      bench: 'payments',
      metric: 'added_latency_p99_ms',
      value: s99 - d99,
      unit: 'ms',
      detail: { ...detail, goal_ms: 5 }
    });
    if (errors > 0) progress(`payments: ${errors} requests failed`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
    agent.destroy();
    closeSync(logFile);
    rmSync(logDir, { recursive: true, force: true });
    await database.drop();
  }
}
