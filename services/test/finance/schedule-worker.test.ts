// The nightly schedule against the org emulator and a real database: a new installation waits for
// its next slot, a due night runs once, nights missed while the service was down are caught up
// by one run, and two instances do not run one night twice.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { until } from '../../../toolkit/testing/wait.ts';
import type { FinanceConfig } from '../../src/finance/config.ts';
import { readLastSlot, recordSlot } from '../../src/finance/schedule.ts';
import { scheduleWorker } from '../../src/finance/service.ts';
import { createLogger, type ServiceContext } from '../../src/platform/index.ts';
import { MAPPING_FILE, startFinanceLab, TEST_SETTINGS, type FinanceLab } from './harness.ts';

const TARGET = 'finance.billing_account';

describe('Finance export schedule', () => {
  let lab: FinanceLab;
  let clock: Date;

  const config: FinanceConfig = {
    mappingFile: MAPPING_FILE,
    schedule: {
      enabled: true,
      time: { hour: 2, minute: 0 },
      timeZone: 'Europe/London',
      retryMs: 60_000
    },
    export: TEST_SETTINGS,
    production: false
  };
  const worker = () =>
    scheduleWorker(
      {
        config,
        logger: createLogger({ level: 'silent' }),
        pool: lab.db.pool,
        salesforce: lab.salesforce
      } as unknown as ServiceContext<FinanceConfig>,
      { mapping: lab.mapping, query: lab.query },
      { tickMs: 20, now: () => clock }
    );
  const runs = async () =>
    (
      await lab.db.pool.query<{ trigger: string; schedule_slot: Date; state: string }>(
        'SELECT trigger, schedule_slot, state FROM finance.export_runs ORDER BY id'
      )
    ).rows;

  before(async () => {
    lab = await startFinanceLab();
  });
  after(async () => {
    await lab?.close();
  });
  beforeEach(async () => {
    await lab.reset();
    const accounts = await lab.accounts(1);
    await lab.billingAccounts(50, accounts);
  });

  test('a new schedule waits for its next slot, then runs that night once', async () => {
    clock = new Date('2026-12-07T10:00:00Z');
    const schedule = worker();
    schedule.start?.();
    try {
      await until(
        async () => (await readLastSlot(lab.db.pool, TARGET)) !== undefined,
        'schedule started'
      );
      assert.deepEqual(await readLastSlot(lab.db.pool, TARGET), new Date('2026-12-07T02:00:00Z'));
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await runs()).length, 0, 'no run at installation');

      clock = new Date('2026-12-08T02:00:30Z');
      await until(async () => (await runs()).some((r) => r.state === 'succeeded'), 'the night ran');
      await until(
        async () =>
          (await readLastSlot(lab.db.pool, TARGET))?.getTime() ===
          Date.parse('2026-12-08T02:00:00Z'),
        'the night recorded'
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      const all = await runs();
      assert.equal(all.length, 1, 'one run for the night');
      assert.equal(all[0]?.trigger, 'schedule');
      assert.deepEqual(all[0]?.schedule_slot, new Date('2026-12-08T02:00:00Z'));
      assert.equal((await lab.financeRows()).length, 50);
    } finally {
      await schedule.stop();
    }
  });

  test('three nights missed while down are caught up by one run; two instances run it once', async () => {
    await recordSlot(lab.db.pool, TARGET, new Date('2026-12-04T02:00:00Z'));
    clock = new Date('2026-12-07T09:00:00Z');
    const a = worker();
    const b = worker();
    a.start?.();
    b.start?.();
    try {
      await until(
        async () =>
          (await readLastSlot(lab.db.pool, TARGET))?.getTime() ===
          Date.parse('2026-12-07T02:00:00Z'),
        'caught up to last night'
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const all = await runs();
      assert.equal(
        all.length,
        1,
        `one catch-up run, not one per night or per instance: ${JSON.stringify(all)}`
      );
      assert.equal(all[0]?.state, 'succeeded');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  test('run as a user without the Finance permission set, the schedule is not ready, and says why', async () => {
    clock = new Date('2026-12-07T10:00:00Z');
    // The shared integration user (Integration_Service_User): no access to billing accounts.
    const shared = lab.org.clients();
    const schedule = scheduleWorker(
      {
        config,
        logger: createLogger({ level: 'silent' }),
        pool: lab.db.pool,
        salesforce: shared
      } as unknown as ServiceContext<FinanceConfig>,
      { mapping: lab.mapping, query: lab.query },
      { tickMs: 20, now: () => clock }
    );
    schedule.start?.();
    try {
      await until(() => schedule.health?.().ok === false, 'readiness fails');
      assert.match(
        schedule.health?.().reason ?? '',
        /cannot read Billing_Account__c.*Finance_Export_Integration.*FINANCE_SF_CLIENT_ID/
      );
      assert.equal(worker().health?.().ok, true, 'the Finance user is ready');
    } finally {
      await schedule.stop();
      shared.close();
    }
  });

  test('a night that fails is not recorded, so it is tried again later', async () => {
    await recordSlot(lab.db.pool, TARGET, new Date('2026-12-06T02:00:00Z'));
    clock = new Date('2026-12-07T03:00:00Z');
    lab.setSwitch(false);
    const schedule = worker();
    schedule.start?.();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(await readLastSlot(lab.db.pool, TARGET), new Date('2026-12-06T02:00:00Z'));
      assert.equal(schedule.health?.().ok, true);
      assert.match(schedule.health?.().reason ?? '', /switched off/);
    } finally {
      await schedule.stop();
    }
  });
});
