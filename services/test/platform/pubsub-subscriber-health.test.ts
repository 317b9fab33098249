/**
 * DurablePubSubSubscriber.health() against the org emulator's Pub/Sub server (real official
 * client, real TLS gRPC): healthy once subscribed, unhealthy for as long as connections keep
 * failing (whatever state it passes through on the way), healthy again once one is accepted.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  EVENT_NAME,
  startPubSubTestOrg,
  TOPIC
} from '../../../simulators/salesforce/test/pubsub-test-org.ts';
import type { PubSubTestOrg } from '../../../simulators/salesforce/test/pubsub-test-org.ts';
import { migrate } from '../../src/platform/db/migrate.ts';
import { DurablePubSubSubscriber } from '../../src/platform/salesforce/pubsub-subscriber.ts';
import type {
  DurablePubSubSubscriberOptions,
  PubSubCredentials,
  SubscriberHealth,
  SubscriberState
} from '../../src/platform/salesforce/pubsub-subscriber.ts';
import { InMemoryReplayStore, PgReplayStore } from '../../src/platform/salesforce/replay-store.ts';
import { createTestDatabase } from '../helpers/database.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { sleep, until } from '../../../toolkit/testing/wait.ts';

/** A port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

describe('DurablePubSubSubscriber.health()', () => {
  let org: PubSubTestOrg;
  let subscribers: DurablePubSubSubscriber[] = [];
  let counter = 0;

  before(async () => {
    org = await startPubSubTestOrg({ keepaliveMs: 100 });
  });

  afterEach(async () => {
    await Promise.all(subscribers.map((s) => s.stop()));
    subscribers = [];
  });

  after(() => org.close());

  function credentials(): PubSubCredentials {
    return {
      accessToken: org.accessToken,
      instanceUrl: org.instanceUrl,
      organizationId: org.organizationId
    };
  }

  function create(
    overrides: Partial<DurablePubSubSubscriberOptions> = {}
  ): DurablePubSubSubscriber {
    const subscriber = new DurablePubSubSubscriber({
      subscriber: `health-${++counter}`,
      topic: TOPIC,
      pubSubEndpoint: org.endpoint,
      credentials: async () => credentials(),
      rejectUnauthorizedSsl: false,
      replayStore: new InMemoryReplayStore(),
      handler: async () => undefined,
      initialReplay: 'LATEST',
      commitIntervalMs: 50,
      backoff: { initialMs: 20, maxMs: 100 },
      idleTimeoutMs: 5000,
      ...overrides
    });
    subscribers.push(subscriber);
    return subscriber;
  }

  /** Every health() reported at a state change, from the first failed connection on. */
  function healthAfterFirstFailure(subscriber: DurablePubSubSubscriber): SubscriberHealth[] {
    const reports: SubscriberHealth[] = [];
    let failed = false;
    subscriber.on('connection-error', () => (failed = true));
    subscriber.on('state', () => {
      if (failed) reports.push(subscriber.health());
    });
    return reports;
  }

  it('is ok before start, while subscribed and once stopped', async () => {
    const subscriber = create();
    assert.deepEqual(subscriber.health(), { ok: true, state: 'idle' });
    const processed = new Promise<void>((resolve) => subscriber.on('event-processed', resolve));
    subscriber.start();
    await until(() => subscriber.state === 'subscribed', 'the subscription');
    // Keepalives come every 100 ms: the server has accepted the subscription by now.
    await sleep(300);
    org.bus.publish(EVENT_NAME, { Account_Name__c: 'healthy' });
    await processed;
    assert.deepEqual(subscriber.health(), { ok: true, state: 'subscribed' });
    await subscriber.stop();
    assert.deepEqual(subscriber.health(), { ok: true, state: 'stopped' });
  });

  it('is not ok while the endpoint refuses every connection, in every state it passes through', async () => {
    const subscriber = create({ pubSubEndpoint: `127.0.0.1:${await closedPort()}` });
    const reports = healthAfterFirstFailure(subscriber);
    subscriber.start();
    await until(() => reports.length >= 12, 'a few failed attempts');
    const states = new Set<SubscriberState>(reports.map((r) => r.state));
    // 'subscribed' too: the Subscribe call is made before the server (not) answers it.
    assert.deepEqual([...states].sort(), ['backoff', 'connecting', 'subscribed']);
    for (const report of reports) {
      assert.equal(report.ok, false, JSON.stringify(report));
      assert.match(report.reason ?? '', /UNAVAILABLE|ECONNREFUSED|connect/i);
    }
    assert.equal(subscriber.health().ok, false);
  });

  it('is not ok while the server rejects the token, never shows it, and recovers with a fresh one', async () => {
    const rejected = `${org.organizationId.slice(0, 15)}!AQ4AQRevokedTokenValue.abcdefghijklmnop`;
    const refreshes: boolean[] = [];
    const subscriber = create({
      credentials: async ({ forceRefresh }) => {
        refreshes.push(forceRefresh);
        // Bad until the subscriber asked for a fresh token three times.
        const bad = refreshes.filter(Boolean).length < 3;
        return { ...credentials(), accessToken: bad ? rejected : org.accessToken };
      }
    });
    const reports = healthAfterFirstFailure(subscriber);
    subscriber.start();
    await until(() => subscriber.health().ok === false, 'unhealthy');
    const unhealthy = subscriber.health();
    assert.match(unhealthy.reason ?? '', /UNAUTHENTICATED/);
    assert.ok(!(unhealthy.reason ?? '').includes(rejected), 'the token stays out of health');
    await until(() => refreshes.filter(Boolean).length >= 3, 'fresh tokens');
    await until(() => subscriber.health().ok, 'healthy again');
    assert.deepEqual(subscriber.health(), { ok: true, state: 'subscribed' });
    // Three failed attempts and the good one, each through backoff, connecting, subscribed: not
    // ok at any of them (the good one turns ok only once the server delivers something).
    assert.ok(reports.length >= 8, `${reports.length} reports`);
    assert.ok(reports.every((r) => !r.ok && !(r.reason ?? '').includes(rejected)));
  });

  it('masks a token quoted in the message of a failure', async () => {
    const token = `${org.organizationId.slice(0, 15)}!AQ4AQSecretInAMessage.0123456789`;
    const subscriber = create({
      credentials: async () => {
        throw new Error(`token ${token} was revoked`);
      }
    });
    subscriber.start();
    await until(() => subscriber.health().ok === false, 'unhealthy');
    const reason = subscriber.health().reason ?? '';
    assert.match(reason, /^token \S+ was revoked$/);
    assert.ok(!reason.includes(token), reason);
    assert.ok(!reason.includes('AQ4AQSecretInAMessage'), reason);
  });

  it('is not ok while the server is down and ok again once it is back', async () => {
    const subscriber = create();
    subscriber.start();
    await until(() => subscriber.state === 'subscribed', 'the subscription');
    await sleep(300);
    assert.equal(subscriber.health().ok, true);
    await org.stopServer();
    try {
      await until(() => subscriber.health().ok === false, 'unhealthy while down');
      assert.ok(subscriber.health().reason);
      await sleep(300);
      assert.equal(subscriber.health().ok, false, 'still not ok: every retry fails');
    } finally {
      await org.restartServer();
    }
    await until(() => subscriber.health().ok, 'healthy after the restart');
    assert.equal(subscriber.state, 'subscribed');
  });

  describe('with a lease', () => {
    let db: TestDatabase;

    before(async () => {
      db = await createTestDatabase();
      await migrate(db.pool);
    });
    after(() => db.drop());

    it('a standby waiting for the lease is ok', async () => {
      const store = new PgReplayStore(db.pool);
      const lease = { db: db.url, retryMs: 50, heartbeatMs: 200 };
      const a = create({ subscriber: 'health-lease', replayStore: store, lease });
      a.start();
      await until(() => a.state === 'subscribed', 'A subscribed');
      const b = create({ subscriber: 'health-lease', replayStore: store, lease });
      assert.deepEqual(b.health(), { ok: true, state: 'idle' });
      b.start();
      await sleep(300);
      assert.deepEqual(b.health(), { ok: true, state: 'waiting-for-lease' });
      assert.deepEqual(a.health(), { ok: true, state: 'subscribed' });
    });
  });
});
