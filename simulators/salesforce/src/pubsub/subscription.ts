import { randomUUID } from 'node:crypto';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { BusEvent, EmulatorContext, Session } from '../model.ts';
import type { EventSchema, EventSchemaRegistry } from './avro-schema.ts';
import type { EmulatorEventBus } from './event-bus.ts';
import {
  fetchTopicMismatch,
  replayIdCorrupted,
  replayIdMissing,
  requestedEventsInvalid,
  topicEmpty,
  topicNotFound,
  topicPermissionDenied
} from './errors.ts';
import type { PubSubError } from './errors.ts';
import { decodeReplayId, encodeReplayId, REPLAY_PRESET } from './proto.ts';
import type { ConsumerEvent, FetchRequest, FetchResponse } from './proto.ts';

export interface SubscriptionSettings {
  /** Send an empty FetchResponse (keepalive) after this long without sending anything. */
  keepaliveMs: number;
  /** The most events one FetchResponse carries. */
  maxEventsPerResponse: number;
  /** Avro bytes of an event, cached across subscribers. */
  encode(schema: EventSchema, event: BusEvent): Buffer;
}

function presetOf(request: FetchRequest): number {
  const preset = request.replayPreset;
  if (preset === undefined || preset === null) return REPLAY_PRESET.LATEST;
  if (typeof preset === 'number') return preset;
  return REPLAY_PRESET[preset as keyof typeof REPLAY_PRESET] ?? REPLAY_PRESET.LATEST;
}

/**
 * One Subscribe stream: pull-based delivery with flow control. The server sends at most as many
 * events as the client asked for (each FetchRequest adds its num_requested to what is still
 * owed), in replay order, starting where the first FetchRequest's replay preset says; the preset
 * of later FetchRequests is ignored, as the proto specifies. When there is nothing to send it
 * answers with periodic keepalives carrying the latest replay id.
 */
export function serveSubscription(
  ctx: EmulatorContext,
  bus: EmulatorEventBus,
  schemas: EventSchemaRegistry,
  call: ServerDuplexStream<FetchRequest, FetchResponse>,
  settings: SubscriptionSettings,
  session: Session
): void {
  let schema: EventSchema | undefined;
  let topicName = '';
  /** Replay id of the last event delivered (or the position the preset started after). */
  let cursor = 0n;
  /** Events requested and not yet delivered (the proto's pending_num_requested). */
  let pending = 0;
  let closed = false;
  let delivering = false;
  let waitingForDrain = false;
  let deliveryScheduled = false;
  let lastSentAt = Date.now();
  let unsubscribe: (() => void) | undefined;

  const keepalive = setInterval(
    () => {
      if (closed || delivering || waitingForDrain) return;
      if (Date.now() - lastSentAt < settings.keepaliveMs) return;
      sendKeepalive();
    },
    Math.max(10, Math.floor(settings.keepaliveMs / 4))
  );

  function close(): void {
    if (closed) return;
    closed = true;
    clearInterval(keepalive);
    unsubscribe?.();
  }

  function fail(error: PubSubError): void {
    if (closed) return;
    close();
    // The duplex's own 'error' listener turns this into the call's status and trailers.
    call.emit('error', error);
  }

  function write(response: FetchResponse): boolean {
    lastSentAt = Date.now();
    return call.write(response);
  }

  /**
   * The latest replay id of the subscription. When the subscriber has seen everything retained
   * for the topic, the org's current position is as good a resume point (no event of this topic
   * lies between) and keeps a stored position valid on a quiet topic.
   */
  function latestReplayId(): bigint {
    if (schema === undefined) return cursor;
    const latestOfTopic = bus.latestReplayId(schema.objectName);
    const caughtUp = latestOfTopic === undefined || latestOfTopic <= cursor;
    if (!caughtUp) return cursor;
    const position = bus.currentPosition(schema.objectName);
    return position > cursor ? position : cursor;
  }

  function sendKeepalive(): void {
    write({
      events: [],
      latestReplayId: encodeReplayId(latestReplayId()),
      rpcId: randomUUID(),
      pendingNumRequested: pending
    });
  }

  function scheduleDelivery(): void {
    if (deliveryScheduled || closed) return;
    deliveryScheduled = true;
    // Coalesces a burst of publishes into one FetchResponse.
    setImmediate(() => {
      deliveryScheduled = false;
      deliver();
    });
  }

  function deliver(): void {
    if (closed || delivering || waitingForDrain || schema === undefined) return;
    delivering = true;
    try {
      while (!closed && pending > 0) {
        const available = bus.retained(schema.objectName, cursor);
        if (available.length === 0) break;
        const batch = available.slice(0, Math.min(pending, settings.maxEventsPerResponse));
        const events: ConsumerEvent[] = batch.map((event) => ({
          event: {
            id: event.eventUuid,
            schemaId: schema!.schemaId,
            payload: settings.encode(schema!, event),
            headers: []
          },
          replayId: encodeReplayId(event.replayId)
        }));
        const last = batch[batch.length - 1]!;
        cursor = last.replayId;
        pending -= batch.length;
        const flowing = write({
          events,
          latestReplayId: encodeReplayId(last.replayId),
          rpcId: randomUUID(),
          pendingNumRequested: pending
        });
        if (!flowing) {
          // The transport is full: continue once it drains.
          waitingForDrain = true;
          call.once('drain', () => {
            waitingForDrain = false;
            deliver();
          });
          break;
        }
      }
    } finally {
      delivering = false;
    }
  }

  function start(request: FetchRequest): PubSubError | undefined {
    topicName = request.topicName?.trim() ?? '';
    if (topicName === '') return topicEmpty();
    schema = schemas.forTopic(topicName);
    if (schema === undefined) return topicNotFound(ctx.config.organizationId, topicName);
    if (!ctx.permissions.objectRights(session.principal, schema.objectName).read) {
      return topicPermissionDenied('subscribe', topicName, schema.objectName);
    }
    const numRequested = request.numRequested ?? 0;
    if (!(numRequested > 0)) return requestedEventsInvalid(numRequested);

    const objectName = schema.objectName;
    const preset = presetOf(request);
    if (preset === REPLAY_PRESET.EARLIEST) {
      cursor = bus.droppedUpTo(objectName);
    } else if (preset === REPLAY_PRESET.CUSTOM) {
      if (request.replayId === undefined || request.replayId.length === 0) return replayIdMissing();
      const replayId = decodeReplayId(request.replayId);
      // Valid positions: ids the org handed out whose successors on this topic are all still
      // retained. Older (aged out, or before a stream reset) or never-issued ids are rejected.
      if (
        replayId === undefined ||
        replayId <= bus.droppedUpTo(objectName) ||
        replayId > bus.lastAssignedReplayId()
      ) {
        return replayIdCorrupted();
      }
      cursor = replayId;
    } else {
      cursor = bus.lastAssignedReplayId();
    }
    pending = numRequested;
    unsubscribe = bus.subscribe(objectName, () => scheduleDelivery());
    return undefined;
  }

  call.on('data', (request: FetchRequest) => {
    if (closed) return;
    if (schema === undefined) {
      const error = start(request);
      if (error !== undefined) {
        fail(error);
        return;
      }
      deliver();
      return;
    }
    const requestedTopic = request.topicName?.trim() ?? '';
    if (requestedTopic !== '' && requestedTopic !== topicName) {
      fail(fetchTopicMismatch(topicName, requestedTopic));
      return;
    }
    const numRequested = request.numRequested ?? 0;
    if (!(numRequested > 0)) {
      fail(requestedEventsInvalid(numRequested));
      return;
    }
    pending += numRequested;
    deliver();
  });
  // The client half-closed: nothing more will be requested, so the stream is done.
  call.on('end', () => {
    if (closed) return;
    close();
    call.end();
  });
  call.on('cancelled', close);
  call.on('close', close);
  call.on('error', close);
}
