/**
 * The Pub/Sub API of the emulator, driven by the official Node client (salesforce-pubsub-api-client)
 * and, where the client hides protocol details (pending_num_requested, trailers), by a raw gRPC
 * client over the same proto with the server's certificate pinned.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { credentials, loadPackageDefinition, Metadata } from '@grpc/grpc-js';
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import PubSubApiClient from 'salesforce-pubsub-api-client';
import type { SubscriptionInfo } from 'salesforce-pubsub-api-client';
import { parseAvroSchema } from '../src/pubsub/avro-schema.ts';
import { officialProtoPath } from '../src/pubsub/proto.ts';
import type { FetchRequest, FetchResponse } from '../src/pubsub/proto.ts';
import { EVENT_NAME, startPubSubTestOrg, TOPIC } from './pubsub-test-org.ts';
import type { PubSubTestOrg } from './pubsub-test-org.ts';
import { until as waitUntil } from '../../../toolkit/testing/wait.ts';

const HOUR = 60 * 60 * 1000;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

interface Received {
  id: string;
  schemaId: string;
  replayId: number;
  payload: Record<string, unknown>;
}

interface Collector {
  events: Received[];
  errors: Array<ServiceError & { details: string }>;
  types: string[];
  infos: SubscriptionInfo[];
  callback: (info: SubscriptionInfo, type: string, data?: unknown) => void;
  waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

function collector(): Collector {
  const c: Collector = {
    events: [],
    errors: [],
    types: [],
    infos: [],
    callback(info, type, data) {
      c.types.push(type);
      c.infos.push({ ...info });
      if (type === 'event') c.events.push(data as Received);
      if (type === 'error') c.errors.push(data as ServiceError & { details: string });
    },
    async waitFor(predicate, what, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  };
  return c;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Pub/Sub API server with the official client', () => {
  let org: PubSubTestOrg;
  let clients: PubSubApiClient[] = [];

  async function connect(accessToken = org.accessToken): Promise<PubSubApiClient> {
    const client = new PubSubApiClient(
      {
        authType: 'user-supplied',
        accessToken,
        instanceUrl: org.instanceUrl,
        organizationId: org.organizationId,
        pubSubEndpoint: org.endpoint,
        rejectUnauthorizedSsl: false
      },
      silent
    );
    await client.connect();
    clients.push(client);
    return client;
  }

  function publishOnBus(count: number, from = 0): bigint[] {
    const ids: bigint[] = [];
    for (let i = from; i < from + count; i++) {
      ids.push(org.bus.publish(EVENT_NAME, { Account_Name__c: `Account ${i}` }).replayId);
    }
    return ids;
  }

  before(async () => {
    org = await startPubSubTestOrg({ keepaliveMs: 150 });
  });

  afterEach(async () => {
    // Streams end first (the server answers UNAVAILABLE), then the clients close: closing a
    // client with an open stream would leave a call whose later cancel crashes the process.
    await org.stopServer();
    for (const client of clients) client.close();
    clients = [];
    org.bus.reset();
    await org.restartServer();
  });

  after(() => org.close());

  it('publishes with the client (GetTopic, GetSchema, Publish) and delivers decoded events from EARLIEST', async () => {
    const client = await connect();
    const syncedAt = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const result = await client.publish(
      TOPIC,
      {
        CreatedDate: Date.now(),
        CreatedById: '005000000000000AAA',
        Account_Id__c: { string: '001Em0000000001AAA' },
        Annual_Revenue__c: { double: 1234.5 },
        Is_Active__c: { boolean: true },
        Synced_At__c: { long: syncedAt },
        Effective_Date__c: { long: Date.UTC(2026, 0, 2) }
      },
      'my-correlation-key'
    );
    assert.equal(result.correlationKey, 'my-correlation-key');
    assert.equal(typeof result.replayId, 'number');
    const stored = org.bus.retained(EVENT_NAME);
    assert.equal(stored.length, 1);
    assert.equal(BigInt(result.replayId), stored[0]!.replayId);
    // The platform stamps CreatedById with the publisher; the bus keeps REST representations.
    assert.equal(stored[0]!.payload['CreatedById'], org.user.userId);
    assert.equal(stored[0]!.payload['Synced_At__c'], '2026-01-02T03:04:05.678+0000');
    assert.equal(stored[0]!.payload['Effective_Date__c'], '2026-01-02');

    const c = collector();
    client.subscribeFromEarliestEvent(TOPIC, c.callback, 1);
    await c.waitFor(() => c.types.includes('lastEvent'), 'the event');
    const [event] = c.events;
    assert.equal(event!.id, stored[0]!.eventUuid);
    assert.equal(event!.replayId, result.replayId);
    assert.match(event!.schemaId, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(event!.payload['Account_Id__c'], '001Em0000000001AAA');
    assert.equal(event!.payload['Annual_Revenue__c'], 1234.5);
    assert.equal(event!.payload['Is_Active__c'], true);
    assert.equal(event!.payload['Synced_At__c'], syncedAt);
    assert.equal(event!.payload['Account_Name__c'], null);
    assert.equal(event!.payload['CreatedById'], org.user.userId);
  });

  it('publishes a batch over PublishStream', async () => {
    const client = await connect();
    const responses: Array<{ results: Array<{ replayId: number; correlationKey: string }> }> = [];
    await client.publishBatch(
      TOPIC,
      [1, 2, 3].map((i) => ({
        id: `key-${i}`,
        payload: {
          CreatedDate: Date.now(),
          CreatedById: '005000000000000AAA',
          Account_Name__c: { string: `Batch ${i}` }
        }
      })),
      (_info, type, data) => {
        if (type === 'publishResponse') responses.push(data as (typeof responses)[number]);
      }
    );
    const deadline = Date.now() + 5000;
    while (responses.length === 0 && Date.now() < deadline) await sleep(5);
    assert.deepEqual(
      responses[0]!.results.map((r) => r.correlationKey),
      ['key-1', 'key-2', 'key-3']
    );
    assert.deepEqual(
      org.bus.retained(EVENT_NAME).map((e) => e.payload['Account_Name__c']),
      ['Batch 1', 'Batch 2', 'Batch 3']
    );
  });

  it('refuses an event whose value REST would refuse (too long) and publishes nothing', async () => {
    const client = await connect();
    // The client reads the replay id of the first result, which a failed one has none of.
    await assert.rejects(
      client.publish(TOPIC, {
        CreatedDate: Date.now(),
        CreatedById: '005000000000000AAA',
        Account_Id__c: { string: '001Em0000000001AAA-and-more' }
      }),
      /Failed to publish event for topic/
    );
    assert.equal(org.bus.retained(EVENT_NAME).length, 0);
  });

  it('LATEST delivers only events published after subscribing', async () => {
    publishOnBus(3);
    const client = await connect();
    const c = collector();
    client.subscribe(TOPIC, c.callback, 10);
    await c.waitFor(() => c.types.includes('grpcKeepAlive'), 'a keepalive');
    assert.equal(c.events.length, 0);
    const ids = publishOnBus(2, 100);
    await c.waitFor(() => c.events.length === 2, 'two new events');
    assert.deepEqual(
      c.events.map((e) => BigInt(e.replayId)),
      ids
    );
    assert.deepEqual(
      c.events.map((e) => e.payload['Account_Name__c']),
      ['Account 100', 'Account 101']
    );
  });

  it('delivers a platform event inserted through REST (as a flow or Apex would publish it)', async () => {
    const baseUrl = await org.startHttp();
    const client = await connect();
    const c = collector();
    client.subscribe(TOPIC, c.callback, 5);
    await c.waitFor(() => c.types.includes('grpcKeepAlive'), 'the subscription');
    const response = await fetch(`${baseUrl}/services/data/v65.0/sobjects/${EVENT_NAME}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        Account_Id__c: '001Em0000000001AAA',
        Account_Name__c: 'From REST',
        Is_Active__c: true,
        Annual_Revenue__c: 99.5,
        Synced_At__c: '2026-02-03T04:05:06.000+0000',
        Effective_Date__c: '2026-02-03'
      })
    });
    assert.equal(response.status, 201, await response.clone().text());
    const body = (await response.json()) as { id: string; success: boolean };
    assert.equal(body.success, true);
    await c.waitFor(() => c.events.length === 1, 'the event');
    const event = c.events[0]!;
    assert.equal(event.payload['Account_Name__c'], 'From REST');
    assert.equal(event.payload['Is_Active__c'], true);
    assert.equal(event.payload['Annual_Revenue__c'], 99.5);
    assert.equal(event.payload['Synced_At__c'], Date.UTC(2026, 1, 3, 4, 5, 6));
    assert.equal(event.payload['Effective_Date__c'], Date.UTC(2026, 1, 3));
    assert.equal(event.payload['CreatedById'], org.user.userId);
    assert.equal(event.id, org.bus.retained(EVENT_NAME)[0]!.eventUuid);
  });

  it('CUSTOM delivers the events after the given replay id', async () => {
    const ids = publishOnBus(6);
    const client = await connect();
    const c = collector();
    client.subscribeFromReplayId(TOPIC, c.callback, 10, Number(ids[2]));
    await c.waitFor(() => c.events.length === 3, 'three events');
    assert.deepEqual(
      c.events.map((e) => BigInt(e.replayId)),
      ids.slice(3)
    );
  });

  it('flow control: sends exactly what was requested, more after each FetchRequest', async () => {
    const ids = publishOnBus(12);
    const client = await connect();
    const c = collector();
    client.subscribeFromEarliestEvent(TOPIC, c.callback, 5);
    await c.waitFor(() => c.types.includes('lastEvent'), 'the first five');
    await sleep(300);
    assert.equal(c.events.length, 5, 'nothing beyond num_requested');
    client.requestAdditionalEvents(TOPIC, 5);
    await c.waitFor(() => c.events.length === 10, 'five more');
    await sleep(300);
    assert.equal(c.events.length, 10);
    client.requestAdditionalEvents(TOPIC, 5);
    await c.waitFor(() => c.events.length === 12, 'the last two');
    assert.deepEqual(
      c.events.map((e) => BigInt(e.replayId)),
      ids
    );
    // 15 requested, 12 delivered: the 3 still owed go out as soon as they are published.
    const late = publishOnBus(4, 50);
    await c.waitFor(() => c.events.length === 15, 'the three still owed');
    await sleep(200);
    assert.equal(c.events.length, 15);
    assert.deepEqual(
      c.events.slice(12).map((e) => BigInt(e.replayId)),
      late.slice(0, 3)
    );
  });

  it('sends keepalives with the latest replay id while idle', async () => {
    const ids = publishOnBus(2);
    const client = await connect();
    const c = collector();
    client.subscribeFromEarliestEvent(TOPIC, c.callback, 10);
    await c.waitFor(() => c.events.length === 2, 'the events');
    const before = c.types.filter((t) => t === 'grpcKeepAlive').length;
    await c.waitFor(
      () => c.types.filter((t) => t === 'grpcKeepAlive').length >= before + 2,
      'two keepalives',
      3000
    );
    assert.equal(BigInt(c.infos.at(-1)!.lastReplayId), ids[1]);
  });

  it("keepalives carry a replay id that stays valid after the topic's events aged out", async () => {
    publishOnBus(2);
    const client = await connect();
    const c = collector();
    client.subscribeFromEarliestEvent(TOPIC, c.callback, 10);
    await c.waitFor(() => c.events.length === 2, 'the events');
    org.ctx.clock.advance(73 * HOUR);
    org.renewToken();
    const keepalives = c.types.filter((t) => t === 'grpcKeepAlive').length;
    await c.waitFor(
      () => c.types.filter((t) => t === 'grpcKeepAlive').length > keepalives,
      'a keepalive after the expiry'
    );
    const position = c.infos.at(-1)!.lastReplayId;
    assert.ok(position > c.events[1]!.replayId, 'a fresh position');
    const client2 = await connect();
    const c2 = collector();
    client2.subscribeFromReplayId(TOPIC, c2.callback, 10, position);
    await c2.waitFor(() => c2.types.includes('grpcKeepAlive'), 'the resubscription');
    assert.equal(c2.errors.length, 0);
    const [next] = publishOnBus(1, 9);
    await c2.waitFor(() => c2.events.length === 1, 'the next event');
    assert.equal(BigInt(c2.events[0]!.replayId), next);
  });

  it('rejects a bad token with UNAUTHENTICATED and the auth error code', async () => {
    const client = await connect('00D000000000001!AQbogus');
    const c = collector();
    client.subscribe(TOPIC, c.callback, 1);
    await c.waitFor(() => c.errors.length > 0, 'the error');
    const error = c.errors[0]!;
    assert.equal(error.code, 16);
    assert.match(
      error.details,
      /^An authentication exception occurred\. Provide valid authentication via metadata headers\. rpcId: [0-9a-f-]{36}$/
    );
    assert.deepEqual(error.metadata.get('error-code'), [
      'sfdc.platform.eventbus.grpc.service.auth.error'
    ]);
    await assert.rejects(client.publish(TOPIC, {}), (e: Error & { cause?: { code?: number } }) => {
      assert.equal(e.cause?.code, 16);
      return true;
    });
    await c.waitFor(() => c.types.includes('end'), 'the stream to end');
  });

  it('rejects a replay id that aged out of the 72-hour retention window', async () => {
    const [old] = publishOnBus(1);
    org.ctx.clock.advance(73 * HOUR);
    // Sessions age with the clock too.
    org.renewToken();
    assert.equal(org.bus.retainedCount(EVENT_NAME), 0);
    const fresh = publishOnBus(1, 1);
    const client = await connect();
    const c = collector();
    client.subscribeFromReplayId(TOPIC, c.callback, 10, Number(old));
    await c.waitFor(() => c.errors.length > 0, 'the rejection');
    const error = c.errors[0]!;
    assert.equal(error.code, 3, 'INVALID_ARGUMENT');
    assert.match(
      error.details,
      /^The Replay ID validation failed\. Ensure that the replay_id field value in FetchRequest is valid and refers to an event that is within the retention window\. rpcId: [0-9a-f-]{36}$/
    );
    assert.deepEqual(error.metadata.get('error-code'), [
      'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted'
    ]);
    assert.match(String(error.metadata.get('rpc-id')[0]), /^[0-9a-f-]{36}$/);
    assert.equal(c.events.length, 0);

    // EARLIEST now starts with what is still retained.
    const client2 = await connect();
    const c2 = collector();
    client2.subscribeFromEarliestEvent(TOPIC, c2.callback, 10);
    await c2.waitFor(() => c2.events.length === 1, 'the retained event');
    assert.deepEqual(
      c2.events.map((e) => BigInt(e.replayId)),
      fresh
    );
  });

  it('rejects a replay id the org never handed out', async () => {
    publishOnBus(2);
    const client = await connect();
    const c = collector();
    client.subscribeFromReplayId(TOPIC, c.callback, 10, 999_999);
    await c.waitFor(() => c.errors.length > 0, 'the rejection');
    assert.deepEqual(c.errors[0]!.metadata.get('error-code'), [
      'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.corrupted'
    ]);
  });

  it('answers NOT_FOUND for an unknown topic', async () => {
    const client = await connect();
    const c = collector();
    client.subscribe('/event/Unknown_Event__e', c.callback, 1);
    await c.waitFor(() => c.errors.length > 0, 'the error');
    assert.equal(c.errors[0]!.code, 5);
    assert.match(
      c.errors[0]!.details,
      /^The topic information for org CORE\/prod\/00D000000000001\w{3} and topic \/event\/Unknown_Event__e not found\. Ensure the topic name is correct and that the topic exists\. rpcId: /
    );
    assert.deepEqual(c.errors[0]!.metadata.get('error-code'), [
      'sfdc.platform.eventbus.grpc.topic.not.found'
    ]);
  });

  it('counts one API call per RPC', async () => {
    const before = org.ctx.apiCalls.byKind()['pubsub'] ?? 0;
    const client = await connect();
    await client.publish(TOPIC, { CreatedDate: 0, CreatedById: '' });
    // publish = GetTopic + GetSchema + Publish.
    assert.equal((org.ctx.apiCalls.byKind()['pubsub'] ?? 0) - before, 3);
  });

  it('streams 20,000 events to one subscriber in order (throughput sanity)', async () => {
    const total = 20_000;
    publishOnBus(total);
    const client = await connect();
    const c = collector();
    const started = Date.now();
    // Without num_requested the client keeps asking for 100 more after each 100.
    client.subscribeFromEarliestEvent(TOPIC, c.callback);
    await c.waitFor(() => c.events.length === total, `${total} events`, 60_000);
    const seconds = (Date.now() - started) / 1000;
    let previous = 0;
    for (const event of c.events) {
      assert.ok(event.replayId > previous, 'ascending replay ids');
      previous = event.replayId;
    }
    assert.equal(new Set(c.events.map((e) => e.id)).size, total);
    console.log(
      `# pubsub throughput: ${total} events in ${seconds.toFixed(2)} s (${Math.round(total / seconds)}/s)`
    );
  });
});

describe('Pub/Sub API protocol details (raw gRPC client, certificate pinned)', () => {
  let org: PubSubTestOrg;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let stub: any;

  function metadata(accessToken = org.accessToken): Metadata {
    const m = new Metadata();
    m.set('accesstoken', accessToken);
    m.set('instanceurl', org.instanceUrl);
    m.set('tenantid', org.organizationId);
    return m;
  }

  function unary<T>(method: string, request: object): Promise<T> {
    return new Promise((resolve, reject) => {
      stub[method](request, metadata(), (error: ServiceError | null, response: T) =>
        error ? reject(error) : resolve(response)
      );
    });
  }

  before(async () => {
    org = await startPubSubTestOrg({ keepaliveMs: 100 });
    const grpcObject = loadPackageDefinition(loadSync(officialProtoPath(), {})) as unknown as {
      eventbus: { v1: { PubSub: new (address: string, creds: unknown) => unknown } };
    };
    // Verifying against the self-signed certificate: valid for 127.0.0.1.
    stub = new grpcObject.eventbus.v1.PubSub(
      org.endpoint,
      credentials.createSsl(Buffer.from(org.server.certificatePem))
    );
  });

  after(async () => {
    stub.close();
    await org.close();
  });

  it('GetTopic and GetSchema describe the platform event', async () => {
    const topic = await unary<Record<string, unknown>>('GetTopic', { topicName: TOPIC });
    assert.equal(topic['topicName'], TOPIC);
    assert.equal(topic['tenantGuid'], org.organizationId);
    assert.equal(topic['canPublish'], true);
    assert.equal(topic['canSubscribe'], true);
    assert.match(String(topic['rpcId']), /^[0-9a-f-]{36}$/);
    const info = await unary<Record<string, string>>('GetSchema', { schemaId: topic['schemaId'] });
    assert.equal(info['schemaId'], topic['schemaId']);
    const schema = JSON.parse(info['schemaJson']!) as { name: string; uuid: string };
    assert.equal(schema.name, EVENT_NAME);
    assert.equal(schema.uuid, topic['schemaId']);
    await assert.rejects(
      unary('GetSchema', { schemaId: 'nope' }),
      (e: ServiceError) => e.code === 5
    );
    await assert.rejects(unary('GetSchema', { schemaId: '' }), (e: ServiceError) => e.code === 3);
  });

  function subscribe(): {
    call: ClientDuplexStream<FetchRequest, FetchResponse>;
    responses: FetchResponse[];
    status: Promise<ServiceError | undefined>;
  } {
    const call = stub.Subscribe(metadata()) as ClientDuplexStream<FetchRequest, FetchResponse>;
    const responses: FetchResponse[] = [];
    call.on('data', (r: FetchResponse) => responses.push(r));
    const status = new Promise<ServiceError | undefined>((resolve) => {
      call.on('error', (e: ServiceError) => resolve(e));
      call.on('end', () => resolve(undefined));
    });
    return { call, responses, status };
  }

  const until = (predicate: () => boolean) =>
    waitUntil(predicate, 'the stream', { timeoutMs: 5000, intervalMs: 5 });

  it('reports pending_num_requested and 8-byte big-endian replay ids', async () => {
    const ids = [1, 2, 3].map(
      (i) => org.bus.publish(EVENT_NAME, { Account_Name__c: `n${i}` }).replayId
    );
    const { call, responses } = subscribe();
    call.write({ topicName: TOPIC, replayPreset: 1, numRequested: 5 });
    // Empty repeated fields are absent with the client's proto-loader options.
    const withEvents = () => responses.filter((r) => (r.events ?? []).length > 0);
    await until(() => withEvents().length > 0);
    const first = withEvents()[0]!;
    assert.equal(first.events.length, 3);
    assert.equal(first.pendingNumRequested, 2);
    assert.deepEqual(
      first.events.map((e) => e.replayId.length),
      [8, 8, 8]
    );
    assert.deepEqual(
      first.events.map((e) => e.replayId.readBigUInt64BE()),
      ids
    );
    assert.equal(first.latestReplayId.readBigUInt64BE(), ids[2]);
    // Idle: keepalives carry the same pending count and the latest id.
    await until(() => responses.length > 1);
    const keepalive = responses.at(-1)!;
    assert.equal((keepalive.events ?? []).length, 0);
    assert.equal(keepalive.pendingNumRequested, 2);
    assert.equal(keepalive.latestReplayId.readBigUInt64BE(), ids[2]);
    // A later FetchRequest's replay preset is ignored (it only adds capacity).
    call.write({ topicName: TOPIC, replayPreset: 1, numRequested: 1 });
    await until(() => responses.at(-1)!.pendingNumRequested === 3);
    org.bus.publish(EVENT_NAME, {});
    await until(() => withEvents().length === 2);
    const second = withEvents()[1]!;
    assert.equal(second.events.length, 1);
    assert.equal(second.pendingNumRequested, 2);
    call.cancel();
  });

  it('rejects CUSTOM without a replay id, a zero num_requested and a topic change', async () => {
    const noId = subscribe();
    noId.call.write({ topicName: TOPIC, replayPreset: 2, numRequested: 1 });
    const e1 = await noId.status;
    assert.equal(e1?.code, 3);
    assert.deepEqual(e1?.metadata.get('error-code'), [
      'sfdc.platform.eventbus.grpc.subscription.fetch.replayid.validation.failed'
    ]);

    const zero = subscribe();
    zero.call.write({ topicName: TOPIC, numRequested: 0 });
    assert.deepEqual((await zero.status)?.metadata.get('error-code'), [
      'sfdc.platform.eventbus.grpc.subscription.fetch.requested.events.invalid'
    ]);

    const mismatch = subscribe();
    mismatch.call.write({ topicName: TOPIC, numRequested: 1 });
    mismatch.call.write({ topicName: '/event/Other__e', numRequested: 1 });
    assert.deepEqual((await mismatch.status)?.metadata.get('error-code'), [
      'sfdc.platform.eventbus.grpc.subscription.fetch.topic.mismatch'
    ]);
  });

  it('checks values as REST does: per-event errors, the valid events published', async () => {
    const topic = await unary<{ schemaId: string }>('GetTopic', { topicName: TOPIC });
    const info = await unary<{ schemaJson: string }>('GetSchema', { schemaId: topic.schemaId });
    const type = parseAvroSchema(info.schemaJson);
    const before = org.bus.latestReplayId(EVENT_NAME);
    const event = (fields: Record<string, unknown>) => ({
      schemaId: topic.schemaId,
      payload: type.toBuffer({
        CreatedDate: Date.now(),
        CreatedById: '005000000000000AAA',
        Account_Id__c: null,
        Account_Name__c: null,
        Annual_Revenue__c: null,
        Is_Active__c: null,
        Synced_At__c: null,
        Effective_Date__c: null,
        ...fields
      })
    });
    const response = await unary<{
      results: Array<{
        replayId?: Buffer;
        correlationKey: string;
        error?: { code: string | number; msg: string };
      }>;
    }>('Publish', {
      topicName: TOPIC,
      events: [
        event({ Account_Name__c: { string: 'valid, no id' } }),
        { id: 'too-long', ...event({ Account_Id__c: { string: 'x'.repeat(19) } }) },
        { id: 'too-big', ...event({ Annual_Revenue__c: { double: 1e15 } }) }
      ]
    });
    const [valid, tooLong, tooBig] = response.results;
    assert.equal(valid?.replayId?.length, 8);
    assert.match(String(valid?.correlationKey), /^[0-9a-f-]{36}$/, 'a generated correlation key');
    assert.equal(tooLong?.correlationKey, 'too-long');
    assert.ok([1, 'PUBLISH'].includes(tooLong?.error?.code ?? ''));
    assert.equal(
      tooLong?.error?.msg,
      `STRING_TOO_LONG: Account Id: data value too large: ${'x'.repeat(19)} (max length=18)`
    );
    assert.match(String(tooBig?.error?.msg), /^NUMBER_OUTSIDE_VALID_RANGE: /);
    assert.deepEqual(
      org.bus.retained(EVENT_NAME, before).map((e) => e.payload['Account_Name__c']),
      ['valid, no id']
    );
  });

  it('reports a per-event error for a payload that does not match the schema', async () => {
    const topic = await unary<{ schemaId: string }>('GetTopic', { topicName: TOPIC });
    const response = await unary<{
      results: Array<{ error?: { code: string | number; msg: string } }>;
    }>('Publish', {
      topicName: TOPIC,
      events: [
        { id: 'bad-bytes', schemaId: topic.schemaId, payload: Buffer.from([0xff, 0xff, 0xff]) },
        { id: 'bad-schema', schemaId: 'not-the-schema', payload: Buffer.alloc(0) }
      ]
    });
    assert.equal(response.results.length, 2);
    for (const result of response.results) assert.ok(result.error, 'each event failed');
    await assert.rejects(
      unary('Publish', { topicName: TOPIC, events: [] }),
      (e: ServiceError) => e.code === 3
    );
  });
});
