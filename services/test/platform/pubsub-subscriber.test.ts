/**
 * DurablePubSubSubscriber against the org emulator's Pub/Sub server (real official client, real
 * TLS gRPC) and a real PostgreSQL (services/test/helpers/database.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  EVENT_NAME,
  startPubSubTestOrg,
  TOPIC
} from '../../../simulators/salesforce/test/pubsub-test-org.ts';
import type { PubSubTestOrg } from '../../../simulators/salesforce/test/pubsub-test-org.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import {
  DurablePubSubSubscriber,
  isReplayIdRejection,
  pubSubCredentialsFrom
} from '../../src/platform/salesforce/pubsub-subscriber.ts';
import type {
  DurablePubSubSubscriberOptions,
  PubSubEvent,
  ReplayGap
} from '../../src/platform/salesforce/pubsub-subscriber.ts';
import { PgReplayStore } from '../../src/platform/salesforce/replay-store.ts';
import { createTokenProvider } from '../../src/platform/salesforce/token-provider.ts';
import { createTestDatabase } from '../helpers/database.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { sleep, until } from '../../../toolkit/testing/wait.ts';
import { pubSubOrgEnv } from './fixtures/pubsub-env.ts';

const HOUR = 60 * 60 * 1000;
describe('DurablePubSubSubscriber', () => {
  let org: PubSubTestOrg;
  let db: TestDatabase;
  let store: PgReplayStore;
  let subscribers: DurablePubSubSubscriber[] = [];
  let subscriberName: string;
  let counter = 0;

  before(async () => {
    org = await startPubSubTestOrg({ keepaliveMs: 100 });
    db = await createTestDatabase();
    await migrate(db.pool);
    store = new PgReplayStore(db.pool);
  });

  beforeEach(() => {
    subscriberName = `sub-${++counter}`;
    // Each test starts on an empty stream (ids keep growing, so stored ones stay distinct).
    org.bus.reset();
  });

  afterEach(async () => {
    await Promise.all(subscribers.map((s) => s.stop()));
    subscribers = [];
  });

  after(async () => {
    await org.close();
    await db.drop();
  });

  function publish(count: number, label = 'e'): PubSubEvent['eventUuid'][] {
    const uuids: string[] = [];
    for (let i = 0; i < count; i++) {
      uuids.push(org.bus.publish(EVENT_NAME, { Account_Name__c: `${label}${i}` }).eventUuid);
    }
    return uuids;
  }

  function create(
    handler: DurablePubSubSubscriberOptions['handler'],
    overrides: Partial<DurablePubSubSubscriberOptions> = {}
  ): DurablePubSubSubscriber {
    const subscriber = new DurablePubSubSubscriber({
      subscriber: subscriberName,
      topic: TOPIC,
      pubSubEndpoint: org.endpoint,
      credentials: async () => ({
        accessToken: org.accessToken,
        instanceUrl: org.instanceUrl,
        organizationId: org.organizationId
      }),
      rejectUnauthorizedSsl: false,
      replayStore: store,
      ...(handler ? { handler } : {}),
      initialReplay: 'EARLIEST',
      batchSize: 50,
      commitIntervalMs: 50,
      backoff: { initialMs: 20, maxMs: 200 },
      idleTimeoutMs: 5000,
      ...overrides
    });
    subscribers.push(subscriber);
    return subscriber;
  }

  it('processes every retained event in order and commits the last replay id after the handler', async () => {
    const uuids = publish(230);
    const seen: PubSubEvent[] = [];
    const subscriber = create(async (event) => {
      seen.push(event);
    });
    subscriber.start();
    await until(() => seen.length === 230, '230 events');
    assert.deepEqual(
      seen.map((e) => e.eventUuid),
      uuids
    );
    assert.equal(typeof seen[0]!.replayId, 'bigint');
    assert.equal(seen[0]!.payload['Account_Name__c'], 'e0');
    assert.equal(seen[0]!.topic, TOPIC);
    const last = seen.at(-1)!.replayId;
    await until(async () => (await store.load(subscriberName, TOPIC)) === last, 'the commit');
    const { rows } = await db.pool.query(
      'SELECT replay_id::text, updated_at FROM pubsub_replay WHERE subscriber = $1',
      [subscriberName]
    );
    assert.equal(rows[0].replay_id, last.toString());
  });

  it('resumes after stop/start from the stored replay id: nothing skipped', async () => {
    const first = publish(120, 'a');
    const seen: string[] = [];
    let stopping: Promise<void> | undefined;
    const one = create(async (event) => {
      seen.push(event.eventUuid);
      if (seen.length === 70) stopping = one.stop();
    });
    one.start();
    await until(() => stopping !== undefined, 'the stop');
    await stopping;
    const committed = await store.load(subscriberName, TOPIC);
    assert.ok(committed !== undefined, 'stop committed the processed events');
    const second = publish(40, 'b');
    const two = create(async (event) => {
      seen.push(event.eventUuid);
    });
    two.start();
    const all = [...first, ...second];
    await until(() => all.every((uuid) => seen.includes(uuid)), 'every event');
    // Resumed right after the committed position: at most the in-flight event is seen twice.
    assert.ok(seen.length - all.length <= 1, `duplicates: ${seen.length - all.length}`);
  });

  it('reconnects (new client, backoff) when the server goes away and comes back', async () => {
    const seen: string[] = [];
    const errors: Error[] = [];
    const subscriber = create(async (event) => {
      seen.push(event.eventUuid);
    });
    subscriber.on('connection-error', (error: Error) => errors.push(error));
    subscriber.start();
    const before = publish(10);
    await until(() => seen.length === 10, 'the first events');
    await org.stopServer();
    const during = publish(15, 'down');
    await sleep(150);
    await org.restartServer();
    await until(
      () => [...before, ...during].every((u) => seen.includes(u)),
      'the events published while down'
    );
    assert.ok(errors.length >= 1, 'the drop was reported');
    const after = publish(5, 'after');
    await until(() => after.every((u) => seen.includes(u)), 'events after the restart');
  });

  it('reports a replay gap when the stored replay id aged out, then resumes from EARLIEST', async () => {
    publish(10, 'old');
    const seen: string[] = [];
    const one = create(async (event) => {
      seen.push(event.eventUuid);
    });
    one.start();
    await until(() => seen.length === 10, 'the first events');
    await one.stop();
    const stored = await store.load(subscriberName, TOPIC);
    assert.ok(stored !== undefined);

    publish(5, 'missed');
    org.ctx.clock.advance(73 * HOUR);
    org.renewToken();
    const fresh = publish(3, 'fresh');

    const gaps: ReplayGap[] = [];
    const order: string[] = [];
    const two = create(
      async (event) => {
        order.push(`event:${event.eventUuid}`);
        seen.push(event.eventUuid);
      },
      {
        async onReplayGap(gap) {
          order.push('gap');
          gaps.push(gap);
        }
      }
    );
    two.start();
    await until(() => fresh.every((u) => seen.includes(u)), 'the retained events');
    assert.equal(gaps.length, 1);
    assert.equal(gaps[0]!.lastReplayId, stored);
    assert.equal(gaps[0]!.topic, TOPIC);
    assert.equal(gaps[0]!.resumeFrom, 'EARLIEST');
    assert.ok(isReplayIdRejection(gaps[0]!.error));
    assert.equal(order[0], 'gap', 'reported before anything after the gap is processed');
    await until(
      async () => (await store.load(subscriberName, TOPIC))! > stored,
      'a new stored position'
    );
  });

  it('redelivers an event whose handler failed; nothing after it is committed before it', async () => {
    const uuids = publish(30);
    const seen: string[] = [];
    let failures = 0;
    const subscriber = create(async (event) => {
      if (event.eventUuid === uuids[12] && failures === 0) {
        failures++;
        throw new Error('downstream unavailable');
      }
      seen.push(event.eventUuid);
    });
    const handlerErrors: Error[] = [];
    subscriber.on('handler-error', (error: Error) => handlerErrors.push(error));
    subscriber.start();
    await until(() => uuids.every((u) => seen.includes(u)), 'every event');
    assert.equal(handlerErrors.length, 1);
    assert.equal(seen.filter((u) => u === uuids[12]).length, 1);
  });

  it('batchHandler: takes queued events together, in order; a failed batch is delivered again whole', async () => {
    const uuids = publish(230);
    const calls: string[][] = [];
    let failed = false;
    const subscriber = create(undefined, {
      async batchHandler(events) {
        const ids = events.map((e) => e.eventUuid);
        if (!failed && ids.includes(uuids[100]!)) {
          failed = true;
          throw new Error('database unavailable');
        }
        calls.push(ids);
      }
    });
    subscriber.start();
    await until(() => calls.flat().includes(uuids[229]!), 'the last event');
    const seen = calls.flat();
    // Everything after the last commit may come again (at least once), never out of order.
    assert.deepEqual([...new Set(seen)], uuids);
    assert.ok(
      calls.some((c) => c.length > 1),
      'events are handed over together'
    );
    assert.ok(calls.some((c) => c.includes(uuids[100]!)));
    const last = await store.load(subscriberName, TOPIC);
    assert.ok(last !== undefined);
    assert.throws(
      () => create(async () => undefined, { batchHandler: async () => undefined }),
      /exactly one of handler and batchHandler/
    );
  });

  it('commits the keepalive position on a quiet topic so it does not age out', async () => {
    publish(3);
    const seen: bigint[] = [];
    const subscriber = create(async (event) => {
      seen.push(event.replayId);
    });
    subscriber.start();
    await until(() => seen.length === 3, 'the events');
    // Another topic moves the org's replay ids; this topic stays quiet.
    const other = org.bus.publish('Other_Topic__e', {}).replayId;
    await until(
      async () => (await store.load(subscriberName, TOPIC)) === other,
      'the keepalive checkpoint',
      5000
    );
  });

  it('keeps a valid position on a topic that stays quiet longer than the retention window', async () => {
    publish(3);
    const seen: string[] = [];
    const gaps: ReplayGap[] = [];
    const one = create(async (e) => void seen.push(e.eventUuid), {
      onReplayGap: (gap) => void gaps.push(gap)
    });
    one.start();
    await until(() => seen.length === 3, 'the events');
    const last = org.bus.latestReplayId(EVENT_NAME)!;
    await until(async () => (await store.load(subscriberName, TOPIC)) === last, 'the commit');
    const processed = last;
    org.ctx.clock.advance(73 * HOUR);
    org.renewToken();
    // Keepalives now carry a fresh position, which the idle subscriber stores.
    await until(
      async () => (await store.load(subscriberName, TOPIC))! > processed,
      'a fresher stored position'
    );
    await one.stop();
    const two = create(async (e) => void seen.push(e.eventUuid), {
      onReplayGap: (gap) => void gaps.push(gap)
    });
    two.start();
    await until(() => two.state === 'subscribed', 'the resubscription');
    const fresh = publish(2, 'fresh');
    await until(() => fresh.every((u) => seen.includes(u)), 'new events');
    assert.equal(gaps.length, 0, 'no replay gap: nothing was missed');
    assert.equal(seen.length, 5);
  });

  it('takes its credentials from the platform TokenProvider (org id from the token)', async () => {
    const tokenProvider = createTokenProvider({
      flow: 'access_token',
      instanceUrl: 'http://127.0.0.1:8780',
      accessToken: org.accessToken
    });
    const seen: string[] = [];
    const subscriber = create(async (e) => void seen.push(e.eventUuid), {
      credentials: pubSubCredentialsFrom(tokenProvider)
    });
    subscriber.start();
    const uuids = publish(3);
    await until(() => uuids.every((u) => seen.includes(u)), 'the events');
  });

  it('runs as a single consumer: a second instance takes over when the lease holder stops', async () => {
    const uuids = publish(40);
    const seenA: string[] = [];
    const seenB: string[] = [];
    const lease = { db: db.url, retryMs: 50, heartbeatMs: 200 };
    const a = create(async (e) => void seenA.push(e.eventUuid), { lease });
    a.start();
    await until(() => seenA.length === 40, 'A to process');
    const b = create(async (e) => void seenB.push(e.eventUuid), { lease });
    b.start();
    publish(5, 'more');
    await sleep(500);
    assert.equal(seenB.length, 0, 'B waits for the lease');
    assert.equal(b.state, 'waiting-for-lease');
    await a.stop();
    const later = publish(7, 'later');
    await until(() => later.every((u) => seenB.includes(u)), 'B to take over');
    // B resumed from A's stored position: the 40 A processed are not replayed.
    assert.ok(!seenB.includes(uuids[0]!));
  });

  it('loses the lease when its session dies and another instance takes over', async () => {
    const lease = { db: db.url, retryMs: 50, heartbeatMs: 100 };
    const seenA: string[] = [];
    const seenB: string[] = [];
    // A, once it has lost the lease, waits longer before trying again than B does: like a
    // crashed instance, it must not win the race to take the lease back (on a loaded machine
    // it sometimes did, and the test then waited for B in vain).
    const a = create(async (e) => void seenA.push(e.eventUuid), {
      lease: { ...lease, retryMs: 5000 }
    });
    a.start();
    await until(() => a.state === 'subscribed', 'A subscribed');
    const b = create(async (e) => void seenB.push(e.eventUuid), { lease });
    b.start();
    await sleep(200);
    // The database kills A's lease session (a crashed instance looks the same from B's side).
    const { rows } = await db.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'lease:pubsub:%'`
    );
    assert.equal(rows.length, 1, 'one lease session');
    await db.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await until(() => b.state === 'subscribed', 'B subscribed');
    const uuids = publish(5);
    await until(() => uuids.every((u) => seenB.includes(u)), 'B to process');
  });
});

describe('the official client close() gotcha, in child processes', () => {
  let org: PubSubTestOrg;
  const script = fileURLToPath(new URL('./fixtures/pubsub-close-gotcha.ts', import.meta.url));

  before(async () => {
    org = await startPubSubTestOrg({ keepaliveMs: 100 });
  });
  after(() => org.close());

  async function run(mode: 'raw' | 'durable'): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: {
        ...process.env,
        ...pubSubOrgEnv(org),
        TOPIC,
        MODE: mode
      },
      stdio: ['pipe', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code))
    );
    await until(() => stdout.includes('closed'), `${mode} child to close its client`, 20_000);
    // The server goes away: the call the client left open gets its final status now.
    await org.stopServer();
    await sleep(500);
    child.stdin.write('exit\n');
    const code = await exited;
    await org.restartServer();
    return { code, stderr };
  }

  it('crashes a process that closed the raw client, but not one that stopped the durable subscriber', async () => {
    const raw = await run('raw');
    assert.notEqual(raw.code, 0, 'the raw client crashes the process');
    assert.match(raw.stderr, /UNAVAILABLE|CANCELLED|Unhandled 'error' event/);
    const durable = await run('durable');
    assert.equal(durable.code, 0, durable.stderr);
  });
});
