import { randomUUID } from 'node:crypto';
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import type {
  sendUnaryData,
  ServerDuplexStream,
  ServerUnaryCall,
  UntypedServiceImplementation
} from '@grpc/grpc-js';
import type { BusEvent, EmulatorContext, Session } from '../model.ts';
import { authenticate } from './auth.ts';
import {
  createEventSchemaRegistry,
  decodeEventPayload,
  encodeEventPayload
} from './avro-schema.ts';
import type { EventSchema, EventSchemaRegistry } from './avro-schema.ts';
import {
  pubSubError,
  publishEventCountInvalid,
  publishTopicEmpty,
  publishTopicMismatch,
  schemaIdEmpty,
  schemaNotFound,
  topicEmpty,
  topicNotFound,
  topicPermissionDenied
} from './errors.ts';
import type { PubSubError } from './errors.ts';
import { isEmulatorEventBus } from './event-bus.ts';
import { invalidEventValue } from './event-values.ts';
import type { EmulatorEventBus } from './event-bus.ts';
import { encodeReplayId, loadPubSubService, PUBLISH_ERROR_CODE } from './proto.ts';
import type {
  FetchRequest,
  FetchResponse,
  PublishRequest,
  PublishResponse,
  PublishResult,
  SchemaInfo,
  SchemaRequest,
  TopicInfo,
  TopicRequest
} from './proto.ts';
import { serveSubscription } from './subscription.ts';
import { createSelfSignedCertificate, type SelfSignedCertificate } from '../tls.ts';

export interface PubSubServerOptions {
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /**
   * Keepalive period of idle subscriptions. The real service sends one within 270 s; the
   * default here is 30 s, tests use a few ms.
   */
  keepaliveMs?: number;
  /** Most events in one FetchResponse (default 100). */
  maxEventsPerResponse?: number;
  /** The emulator's certificate (shared with HTTPS); one is made when absent. */
  certificate?: SelfSignedCertificate;
}

export interface RunningPubSubServer {
  /** `host:port`, what the client's `pubSubEndpoint` takes. */
  endpoint: string;
  port: number;
  /** PEM of the self-signed certificate (clients that verify can pin it). */
  certificatePem: string;
  close(): Promise<void>;
}

/** What a unary RPC answers: its response, or the error that ends the call. */
type Answer<Res> = { response: Res } | { error: PubSubError };

const DEFAULT_KEEPALIVE_MS = 30_000;
const DEFAULT_MAX_EVENTS_PER_RESPONSE = 100;
/** How long close() lets calls finish before cancelling them. */
const GRACEFUL_SHUTDOWN_MS = 1_000;

/**
 * The Pub/Sub API (`eventbus.v1.PubSub`) of the emulated org: a gRPC server over TLS with a
 * certificate made at start, serving the official client's proto. GetTopic and GetSchema describe
 * the org's platform events with Avro schemas derived from their metadata; Subscribe streams the
 * event bus with flow control and replay; Publish and PublishStream put events on the bus.
 */
export async function startPubSubServer(
  ctx: EmulatorContext,
  opts: PubSubServerOptions = {}
): Promise<RunningPubSubServer> {
  const bus = ctx.bus;
  if (!isEmulatorEventBus(bus)) {
    throw new Error('The Pub/Sub server needs the emulator event bus (pubsub/event-bus.ts)');
  }
  const host = opts.host ?? '127.0.0.1';
  const schemas = createEventSchemaRegistry(ctx.schema);
  const encode = createEncodingCache();
  const settings = {
    keepaliveMs: opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
    maxEventsPerResponse: opts.maxEventsPerResponse ?? DEFAULT_MAX_EVENTS_PER_RESPONSE,
    encode
  };

  /** Open streaming calls: ended with UNAVAILABLE when the server closes. */
  const streams = new Set<ServerDuplexStream<unknown, unknown>>();
  function track(call: ServerDuplexStream<unknown, unknown>): void {
    streams.add(call);
    const forget = () => streams.delete(call);
    call.on('close', forget);
    call.on('cancelled', forget);
    call.on('finish', forget);
  }

  // Every RPC authenticates from its metadata before anything else, as the service does.
  function unary<Req, Res>(answer: (request: Req, session: Session) => Answer<Res>) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      const auth = authenticate(ctx, call.metadata);
      const outcome = 'error' in auth ? auth : answer(call.request, auth.session);
      if ('error' in outcome) callback(outcome.error);
      else callback(null, outcome.response);
    };
  }

  function streaming<Req, Res>(
    serve: (call: ServerDuplexStream<Req, Res>, session: Session) => void
  ) {
    return (call: ServerDuplexStream<Req, Res>) => {
      track(call as ServerDuplexStream<unknown, unknown>);
      const auth = authenticate(ctx, call.metadata);
      if ('error' in auth) {
        call.emit('error', auth.error);
        return;
      }
      serve(call, auth.session);
    };
  }

  const implementation: UntypedServiceImplementation = {
    GetTopic: unary<TopicRequest, TopicInfo>((request, session) => {
      const topicName = request.topicName?.trim() ?? '';
      if (topicName === '') return { error: topicEmpty() };
      const schema = schemas.forTopic(topicName);
      if (schema === undefined)
        return { error: topicNotFound(ctx.config.organizationId, topicName) };
      const rights = ctx.permissions.objectRights(session.principal, schema.objectName);
      return {
        response: {
          topicName,
          tenantGuid: ctx.config.organizationId,
          canPublish: rights.create,
          canSubscribe: rights.read,
          schemaId: schema.schemaId,
          rpcId: randomUUID()
        }
      };
    }),

    GetSchema: unary<SchemaRequest, SchemaInfo>((request) => {
      const schemaId = request.schemaId?.trim() ?? '';
      if (schemaId === '') return { error: schemaIdEmpty() };
      const schema = schemas.forId(schemaId);
      if (schema === undefined)
        return { error: schemaNotFound(ctx.config.organizationId, schemaId) };
      return { response: { schemaJson: schema.schemaJson, schemaId, rpcId: randomUUID() } };
    }),

    Publish: unary<PublishRequest, PublishResponse>((request, session) =>
      publish(ctx, bus, schemas, session, request)
    ),

    PublishStream: streaming<PublishRequest, PublishResponse>((call, session) => {
      let streamTopic: string | undefined;
      let failed = false;
      call.on('data', (request: PublishRequest) => {
        if (failed) return;
        const topic = request.topicName?.trim() ?? '';
        if (streamTopic === undefined) streamTopic = topic;
        else if (topic !== '' && topic !== streamTopic) {
          failed = true;
          call.emit('error', publishTopicMismatch(streamTopic, topic));
          return;
        }
        const outcome = publish(ctx, bus, schemas, session, {
          ...request,
          topicName: topic === '' ? streamTopic : topic
        });
        if ('error' in outcome) {
          failed = true;
          call.emit('error', outcome.error);
          return;
        }
        call.write(outcome.response);
      });
      call.on('end', () => {
        if (!failed) call.end();
      });
    }),

    Subscribe: streaming<FetchRequest, FetchResponse>((call, session) =>
      serveSubscription(ctx, bus, schemas, call, settings, session)
    ),

    ManagedSubscribe: (call: ServerDuplexStream<unknown, unknown>) => {
      call.emit(
        'error',
        pubSubError(
          status.UNIMPLEMENTED,
          'sfdc.platform.eventbus.grpc.service.unavailable',
          'Managed subscriptions are not available in this emulated org.'
        )
      );
    }
  };

  const server = new Server();
  server.addService(loadPubSubService(), implementation);
  const tls = opts.certificate ?? (await createSelfSignedCertificate(host));
  const credentials = ServerCredentials.createSsl(
    null,
    [{ private_key: Buffer.from(tls.keyPem), cert_chain: Buffer.from(tls.certPem) }],
    false
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${opts.port ?? 0}`, credentials, (error, boundPort) => {
      if (error) reject(error);
      else resolve(boundPort);
    });
  });

  let closing: Promise<void> | undefined;
  return {
    endpoint: `${host}:${port}`,
    port,
    certificatePem: tls.certPem,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        // Long-lived streams never finish on their own: end them as the service does when it goes
        // away, then give unary calls a moment before cancelling what is left.
        for (const call of streams) {
          call.emit(
            'error',
            pubSubError(
              status.UNAVAILABLE,
              'sfdc.platform.eventbus.grpc.service.unavailable',
              'The Pub/Sub API service is unavailable.'
            )
          );
        }
        streams.clear();
        const force = setTimeout(() => server.forceShutdown(), GRACEFUL_SHUTDOWN_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    }
  };
}

/** Encodes each event once per schema, however many subscribers receive it. */
function createEncodingCache(): (schema: EventSchema, event: BusEvent) => Buffer {
  const cache = new WeakMap<BusEvent, { schemaId: string; bytes: Buffer }>();
  return (schema, event) => {
    const hit = cache.get(event);
    if (hit !== undefined && hit.schemaId === schema.schemaId) return hit.bytes;
    const bytes = encodeEventPayload(schema, event.payload);
    cache.set(event, { schemaId: schema.schemaId, bytes });
    return bytes;
  };
}

/**
 * Publishes a batch. Request-level problems fail the call; an event that is not valid for the
 * topic's schema, or whose values the record API would refuse, gets its own error result and is
 * not published; the others are (as the service does). A result's correlation key is the
 * event's id, or a new UUID for a published event without one (the PublishStream RPC
 * reference: "If the publish call fails, PublishResult.correlationKey is empty").
 */
function publish(
  ctx: EmulatorContext,
  bus: EmulatorEventBus,
  schemas: EventSchemaRegistry,
  session: Session,
  request: PublishRequest
): Answer<PublishResponse> {
  const topicName = request.topicName?.trim() ?? '';
  if (topicName === '') return { error: publishTopicEmpty() };
  const schema = schemas.forTopic(topicName);
  if (schema === undefined) return { error: topicNotFound(ctx.config.organizationId, topicName) };
  if (!ctx.permissions.objectRights(session.principal, schema.objectName).create) {
    return { error: topicPermissionDenied('publish', topicName, schema.objectName) };
  }
  const events = request.events ?? [];
  if (events.length === 0) return { error: publishEventCountInvalid() };

  const object = ctx.schema.getObject(schema.objectName);
  const results: PublishResult[] = events.map((event) => {
    const correlationKey = event.id ?? '';
    if (event.schemaId !== schema.schemaId) {
      return {
        correlationKey,
        error: {
          code: PUBLISH_ERROR_CODE.PUBLISH,
          msg: `The schema ID ${event.schemaId ?? ''} doesn't match the current schema ${schema.schemaId} of topic ${topicName}.`
        }
      };
    }
    let payload: Record<string, unknown>;
    try {
      payload = decodeEventPayload(schema, event.payload ?? Buffer.alloc(0));
    } catch (error) {
      return {
        correlationKey,
        error: {
          code: PUBLISH_ERROR_CODE.PUBLISH,
          msg: `The event payload could not be deserialized with schema ${schema.schemaId}: ${(error as Error).message}`
        }
      };
    }
    const invalid = object === undefined ? undefined : invalidEventValue(object, payload);
    if (invalid !== undefined) {
      // The service's wording for these is not documented: the record API's code and message.
      return {
        correlationKey,
        error: { code: PUBLISH_ERROR_CODE.PUBLISH, msg: `${invalid.errorCode}: ${invalid.message}` }
      };
    }
    const published = bus.publish(schema.objectName, {
      ...payload,
      CreatedById: session.principal.userId
    });
    return {
      correlationKey: correlationKey === '' ? randomUUID() : correlationKey,
      replayId: encodeReplayId(published.replayId)
    };
  });
  return { response: { results, schemaId: schema.schemaId, rpcId: randomUUID() } };
}
