import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createApiCallCounter } from '../src/api-calls.ts';
import { createClock } from '../src/clock.ts';
import {
  type CoreEmulatorContext,
  createEmulatorContext,
  INTEGRATION_USERNAME,
  ORGANIZATION_NAME
} from '../src/context.ts';
import { DEFAULT_ORGANIZATION_ID } from '../src/ids.ts';
import type { BusEvent, EmulatorConfig } from '../src/model.ts';
import { SalesforceApiError } from '../src/model.ts';
import { createSessionStore } from '../src/sessions.ts';
import { REPO_ROOT } from './helpers/emulator.ts';

const HOUR = 60 * 60 * 1000;

function config(overrides: Partial<EmulatorConfig> = {}): EmulatorConfig {
  return {
    projectDir: REPO_ROOT,
    apiVersion: '65.0',
    organizationId: DEFAULT_ORGANIZATION_ID,
    eventRetentionMs: 72 * HOUR,
    accessTokenLifetimeMs: 2 * HOUR,
    dailyApiMax: 1000,
    clientId: 'client',
    clientSecret: 'secret',
    ...overrides
  };
}

describe('clock', () => {
  it('follows real time from its start, jumps on advance and tells listeners', async () => {
    const clock = createClock(new Date('2030-01-01T00:00:00.000Z'));
    let advances = 0;
    clock.onAdvance(() => (advances += 1));
    const start = clock.now().getTime();
    assert.ok(Math.abs(start - Date.parse('2030-01-01T00:00:00.000Z')) < 1000);
    await sleep(20);
    assert.ok(clock.now().getTime() >= start + 15, 'time flows');
    clock.advance(HOUR);
    assert.ok(clock.now().getTime() >= start + HOUR);
    assert.equal(advances, 1);
    assert.throws(() => clock.advance(-1), RangeError);
    clock.reset();
    assert.ok(clock.now().getTime() < start + HOUR);
  });
});

describe('sessions and API calls', () => {
  const principal = {
    userId: '005000000000001AAA',
    username: 'a@b.c',
    organizationId: DEFAULT_ORGANIZATION_ID
  };

  it('issues org-prefixed tokens that expire with emulated time', () => {
    const clock = createClock();
    const sessions = createSessionStore(clock, HOUR, (u) =>
      u === 'a@b.c' ? principal : undefined
    );
    const session = sessions.issue('a@b.c');
    assert.match(session.accessToken, /^00D000000000001!AQ[A-Za-z0-9._]{96}$/);
    assert.equal(session.expiresAt.getTime() - session.issuedAt.getTime(), HOUR);
    assert.deepEqual(sessions.validate(session.accessToken)?.principal, principal);
    assert.notEqual(sessions.issue('a@b.c').accessToken, session.accessToken);
    clock.advance(HOUR);
    assert.equal(sessions.validate(session.accessToken), undefined);

    const second = sessions.issue('a@b.c');
    const third = sessions.issue('a@b.c');
    sessions.revoke(second.accessToken);
    assert.equal(sessions.validate(second.accessToken), undefined);
    assert.ok(sessions.validate(third.accessToken));
    sessions.expireAll();
    assert.equal(sessions.validate(third.accessToken), undefined);
    assert.equal(sessions.validate('00D000000000001!AQnope'), undefined);
    assert.throws(
      () => sessions.issue('nobody@b.c'),
      (error: unknown) => {
        assert.ok(error instanceof SalesforceApiError);
        assert.equal(error.errorCode, 'invalid_grant');
        return true;
      }
    );
  });

  it('counts API calls by kind', () => {
    const calls = createApiCallCounter(15_000);
    calls.increment('rest');
    calls.increment('rest');
    calls.increment('bulk');
    calls.increment('pubsub');
    assert.equal(calls.total(), 4);
    assert.deepEqual(calls.byKind(), { rest: 2, bulk: 1, pubsub: 1 });
    assert.equal(calls.dailyMax, 15_000);
    calls.reset();
    assert.equal(calls.total(), 0);
    assert.throws(() => createApiCallCounter(0), RangeError);
  });
});

describe('emulator context', () => {
  let ctx: CoreEmulatorContext;
  before(async () => {
    ctx = await createEmulatorContext(config());
  });
  after(() => ctx.close());

  it('seeds the Organization, the integration user and the deployed custom metadata', () => {
    const [org] = ctx.soql.prepare('SELECT Id, Name FROM Organization').run();
    assert.equal(org?.Id, DEFAULT_ORGANIZATION_ID);
    assert.equal(org?.Name, ORGANIZATION_NAME);
    const user = ctx.store.get('User', ctx.integrationUser.userId);
    assert.equal(user?.Username, INTEGRATION_USERNAME);
    assert.equal(ctx.integrationUser.username, INTEGRATION_USERNAME);
    assert.equal(ctx.integrationUser.organizationId, DEFAULT_ORGANIZATION_ID);
    const [setting] = ctx.soql
      .prepare(
        "SELECT DeveloperName, Timeout_Ms__c, Enabled__c FROM Integration_Setting__mdt WHERE DeveloperName = 'Default'"
      )
      .run();
    // Rows are rendered for JSON: a number field's value is a JavaDouble (java-json.ts).
    assert.equal(Number(setting?.Timeout_Ms__c), 10000);
    assert.equal(setting?.Enabled__c, true);
  });

  it('issues sessions for users found by username', () => {
    const session = ctx.sessions.issue(INTEGRATION_USERNAME);
    assert.equal(session.principal.userId, ctx.integrationUser.userId);
    assert.ok(session.accessToken.startsWith('00D000000000001!'));
    assert.throws(() => ctx.sessions.issue('someone@else.test'));
  });

  it('publishes platform events inserted through the store on the bus', () => {
    const received: BusEvent[] = [];
    const unsubscribe = ctx.bus.subscribe('Integration_Log_Event__e', (event) =>
      received.push(event)
    );
    try {
      ctx.store.insert(
        'Integration_Log_Event__e',
        { Message__c: 'hello', Severity__c: 'INFO', Source__c: 'Test' },
        ctx.integrationUser
      );
    } finally {
      unsubscribe();
    }
    assert.equal(received.length, 1);
    assert.equal(received[0]?.payload.Message__c, 'hello');
    assert.equal(received[0]?.payload.CreatedById, ctx.integrationUser.userId);
    assert.equal(received[0]?.payload.Id, undefined);
  });

  it('answers SOQL over stored records and keeps seeds across reset', () => {
    ctx.store.insert('Account', { Name: 'Acme' }, ctx.integrationUser);
    const [row] = ctx.soql
      .prepare("SELECT Name, Owner.Username FROM Account WHERE Name = 'Acme'")
      .run();
    assert.equal(row?.Name, 'Acme');
    assert.deepEqual((row?.Owner as Record<string, unknown>)?.Username, INTEGRATION_USERNAME);
    ctx.store.reset();
    assert.equal(ctx.store.count('Account'), 0);
    assert.equal(ctx.store.count('Organization'), 1);
    assert.equal(ctx.store.count('Integration_Setting__mdt'), 6); // Default, Payments, BackgroundCheck, Activity, FinanceExport, PropertyMedia
    assert.ok(ctx.store.get('User', ctx.integrationUser.userId));
  });

  it('rejects an organization id that is not one', async () => {
    await assert.rejects(
      createEmulatorContext(config({ organizationId: '001D000000IqhSLIAZ' })),
      /00D/
    );
  });
});

describe('emulator context persistence', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sf-emulator-persist-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('saves stored records after changes and restores them at the next start', async () => {
    const persistPath = path.join(dir, 'nested', 'org.json');
    const first = await createEmulatorContext(config({ persistPath }));
    const account = first.store.insert('Account', { Name: 'Persisted' }, first.integrationUser);
    const gone = first.store.insert('Account', { Name: 'Gone' }, first.integrationUser);
    first.store.delete('Account', gone.Id, first.integrationUser);
    const log = first.store.insert(
      'Integration_Log__c',
      { Source__c: 'Test', Reference__c: 'R-1' },
      first.integrationUser
    );
    // Saved on its own, shortly after the changes.
    for (let i = 0; i < 50; i++) {
      const files: string[] = await readdir(path.dirname(persistPath)).catch(() => []);
      if (files.includes('org.json')) break;
      await sleep(20);
    }
    const saved = JSON.parse(await readFile(persistPath, 'utf8')) as {
      records: Record<string, unknown[]>;
    };
    assert.equal(saved.records.Account?.length, 2);
    await first.close();
    assert.deepEqual(
      await readdir(path.dirname(persistPath)),
      ['org.json'],
      'no temporary file left'
    );

    const second = await createEmulatorContext(config({ persistPath }));
    try {
      assert.equal(second.store.get('Account', account.Id)?.Name, 'Persisted');
      assert.equal(second.store.count('Account', { includeDeleted: true }), 2);
      assert.equal(second.store.get('Integration_Log__c', log.Id)?.Name, 'LOG-0000001');
      const next = second.store.insert(
        'Integration_Log__c',
        { Source__c: 'Test' },
        second.integrationUser
      );
      assert.equal(next.Name, 'LOG-0000002');
      // The seeded users: the integration user, the administrator, the portal user, the
      // Finance export's user and the property image migration's user.
      assert.equal(second.store.count('User'), 5, 'seeds are not duplicated');
      await second.flush();
      const resaved = JSON.parse(await readFile(persistPath, 'utf8')) as {
        records: Record<string, unknown[]>;
      };
      assert.equal(resaved.records.Integration_Log__c?.length, 2);
    } finally {
      await second.close();
    }
  });

  it('refuses a file that is not an emulator records file', async () => {
    const persistPath = path.join(dir, 'broken.json');
    await writeFile(persistPath, '{"not": "records"');
    await assert.rejects(createEmulatorContext(config({ persistPath })), /not valid JSON/);
    await writeFile(persistPath, '{"hello": 1}');
    await assert.rejects(
      createEmulatorContext(config({ persistPath })),
      /not an emulator records file/
    );
  });
});
