/**
 * What the org emulator's permission checks cost: the same REST and Bulk API 2.0 work done by the
 * System Administrator (the baseline: "Modify All Data" runs unchecked, i.e. as the emulator ran
 * before permissions) and by the integration user holding Integration_Service_User (the subject:
 * its schema view, field-level security on every field, sharing and CRUD checks on every write).
 *
 * - REST query: `SELECT Id, Name, BillingCity, Sync_Status__c FROM Account` over a generated
 *   dataset, every page followed (rows/s).
 * - REST writes: PATCH of the sync fields on stored Accounts, 8 in flight (requests/s).
 * - Bulk API 2.0 query: the same SOQL as a query job, every result set read (rows/s).
 *
 * One emulator in this process serves both users; BENCH_PERMISSIONS_ROUNDS (default 15) rounds in
 * ABBA order (bench/rounds.ts); each figure is the median of the rounds' overheads
 * (baseline rate / subject rate - 1, in %) with both rates and the spread. Target: < 10 %.
 */
import { startSalesforceEmulator } from '../simulators/salesforce/src/emulator.ts';
import { projectRoot } from '../toolkit/src/project.ts';
import { progress } from './report.ts';
import { alternateRounds, envInt, machineLoad, median, reportMedian, sig } from './rounds.ts';

// Many short rounds rather than a few long ones: on a shared 2-core machine the median of many
// rounds is steadier than any single long measurement.
const ROUNDS = envInt('BENCH_PERMISSIONS_ROUNDS', 15);
const QUERY_ROWS = envInt('BENCH_PERMISSIONS_ROWS', 30_000);
const WRITES = envInt('BENCH_PERMISSIONS_WRITES', 600);
const IN_FLIGHT = 8;
const SOQL = 'SELECT Id, Name, BillingCity, Sync_Status__c FROM Account';
const API = '/services/data/v65.0';

interface Rate {
  units: number;
  seconds: number;
  perSecond: number;
}

function rate(units: number, started: number): Rate {
  const seconds = (performance.now() - started) / 1000;
  return { units, seconds, perSecond: units / seconds };
}

export async function run(): Promise<void> {
  const machine = machineLoad();
  const emulator = await startSalesforceEmulator({
    projectDir: projectRoot(),
    httpPort: 0,
    grpcPort: 0
  });
  try {
    const { ctx, instanceUrl } = emulator;
    ctx.store.addGeneratedDataset('Account', QUERY_ROWS, (i) => ({
      Name: `Account ${i}`,
      BillingCity: 'Springfield',
      Sync_Status__c: 'Pending'
    }));
    const ids: string[] = [];
    for (let i = 0; i < WRITES; i++) {
      ids.push(ctx.store.insert('Account', { Name: `Stored ${i}` }, ctx.adminUser).Id);
    }
    const tokens = {
      baseline: emulator.adminAccessToken,
      subject: emulator.accessToken
    };

    async function call(token: string, method: string, path: string, body?: unknown) {
      const response = await fetch(`${instanceUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' })
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) })
      });
      if (!response.ok)
        throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      return response;
    }

    async function restQuery(token: string): Promise<Rate> {
      const started = performance.now();
      let rows = 0;
      let next: string | undefined = `${API}/query?q=${encodeURIComponent(SOQL)}`;
      while (next) {
        const page = (await (await call(token, 'GET', next)).json()) as {
          records: unknown[];
          nextRecordsUrl?: string;
        };
        rows += page.records.length;
        next = page.nextRecordsUrl;
      }
      if (rows !== QUERY_ROWS + WRITES) throw new Error(`REST query read ${rows} rows`);
      return rate(rows, started);
    }

    async function restWrites(token: string, round: number): Promise<Rate> {
      const started = performance.now();
      let index = 0;
      const worker = async () => {
        while (index < ids.length) {
          const id = ids[index++];
          await call(token, 'PATCH', `${API}/sobjects/Account/${id}`, {
            Sync_Status__c: round % 2 === 0 ? 'Success' : 'Pending',
            Last_Synced_At__c: new Date().toISOString()
          });
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      return rate(ids.length, started);
    }

    async function bulkQuery(token: string): Promise<Rate> {
      const started = performance.now();
      const job = (await (
        await call(token, 'POST', `${API}/jobs/query`, { operation: 'query', query: SOQL })
      ).json()) as { id: string };
      for (;;) {
        const info = (await (await call(token, 'GET', `${API}/jobs/query/${job.id}`)).json()) as {
          state: string;
        };
        if (info.state === 'JobComplete') break;
        if (info.state === 'Failed' || info.state === 'Aborted') throw new Error(info.state);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      let rows = 0;
      let locator: string | null = '';
      while (locator !== null) {
        const query: string = locator === '' ? '' : `?locator=${locator}`;
        const response = await call(token, 'GET', `${API}/jobs/query/${job.id}/results${query}`);
        const text = await response.text();
        // Every set repeats the header row.
        rows += text.split('\n').filter((line) => line !== '').length - 1;
        const next = response.headers.get('sforce-locator');
        locator = next === null || next === 'null' || next === '' ? null : next;
      }
      await call(token, 'DELETE', `${API}/jobs/query/${job.id}`);
      if (rows !== QUERY_ROWS + WRITES) throw new Error(`Bulk query read ${rows} rows`);
      return rate(rows, started);
    }

    const kinds = [
      { metric: 'rest_query_overhead_pct', unit: 'rows/s', measure: restQuery },
      { metric: 'rest_write_overhead_pct', unit: 'requests/s', measure: restWrites },
      { metric: 'bulk_query_overhead_pct', unit: 'rows/s', measure: bulkQuery }
    ] as const;
    for (const kind of kinds) {
      // One warm-up each, so neither side pays for JIT and first-use compilation.
      await kind.measure(tokens.baseline, 0);
      await kind.measure(tokens.subject, 0);
      const rounds = await alternateRounds({
        rounds: ROUNDS,
        baseline: (round) => kind.measure(tokens.baseline, round),
        subject: (round) => kind.measure(tokens.subject, round),
        onRound: (r) =>
          progress(
            `salesforce-permissions ${kind.metric} round ${r.round + 1}/${ROUNDS}: ` +
              `admin ${r.baseline.perSecond.toFixed(0)} ${kind.unit}, ` +
              `integration user ${r.subject.perSecond.toFixed(0)} ${kind.unit}`
          )
      });
      reportMedian(
        { bench: 'salesforce-permissions', metric: kind.metric, unit: '%' },
        rounds.map((r) => (r.baseline.perSecond / r.subject.perSecond - 1) * 100),
        {
          target: '< 10 %',
          adminPerSecond: sig(median(rounds.map((r) => r.baseline.perSecond))),
          integrationUserPerSecond: sig(median(rounds.map((r) => r.subject.perSecond))),
          unit: kind.unit,
          units: rounds[0]?.subject.units,
          machine: machine()
        }
      );
    }
  } finally {
    await emulator.close();
  }
}
