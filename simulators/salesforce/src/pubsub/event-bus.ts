import { randomUUID } from 'node:crypto';
import type { BusEvent, Clock, EventBus } from '../model.ts';

/** 72 hours: how long an org keeps platform events for replay. */
export const DEFAULT_EVENT_RETENTION_MS = 72 * 60 * 60 * 1000;

/**
 * CreatedById of an event whose publisher did not say who it was (the bus is used directly by
 * tests). A syntactically valid 18-character User id; REST and Pub/Sub publishers pass theirs.
 */
export const UNKNOWN_PUBLISHER_ID = '005000000000000AAA';

/** Extra inspection the Pub/Sub server needs beyond the EventBus contract. */
export interface EmulatorEventBus extends EventBus {
  /** The last replay id handed out in this org (0n before the first event). */
  lastAssignedReplayId(): bigint;
  /**
   * The highest replay id of `objectName` that is no longer retained (expired or reset), 0n when
   * nothing was ever dropped. Resuming after an id at or below it would skip events.
   */
  droppedUpTo(objectName: string): bigint;
  /** Events retained per topic; memory is bounded by this. */
  retainedCount(objectName?: string): number;
  /**
   * A replay id that is a valid resume point for `objectName` now: the org's latest id, or a new
   * (unused) one when the latest is no longer valid for the topic (its events aged out or the
   * stream was reset). Keepalives carry it; ids need not be contiguous.
   */
  currentPosition(objectName: string): bigint;
}

/** Retained events of one topic, oldest first; `head` skips expired ones without shifting. */
interface TopicLog {
  events: BusEvent[];
  head: number;
  droppedUpTo: bigint;
  listeners: Set<(event: BusEvent) => void>;
}

function topicNameFor(objectName: string): string {
  return `/event/${objectName}`;
}

/** Canonical key: object names are case-insensitive in the API. */
function keyFor(objectName: string): string {
  return objectName.toLowerCase();
}

/** Datetimes as the REST API writes them: `2026-11-29T03:00:00.000+0000`. */
function restDateTime(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

/**
 * The org's event bus: replay ids monotonic per org (never reused, not even after reset, as a
 * stream that was reset must not hand out an id a subscriber already stored for another event),
 * retention by emulated time, and in-process subscribers. Only retained events are held, so memory
 * follows the retention window and the publish rate.
 */
export function createEventBus(clock: Clock, retentionMs: number): EmulatorEventBus {
  if (!Number.isFinite(retentionMs) || retentionMs <= 0) {
    throw new RangeError(`Event retention must be positive, got ${retentionMs}`);
  }
  const topics = new Map<string, TopicLog>();
  let lastReplayId = 0n;
  /** Every id up to this one was invalidated by a reset, on every topic. */
  let resetUpTo = 0n;

  function log(objectName: string): TopicLog {
    const key = keyFor(objectName);
    let topic = topics.get(key);
    if (topic === undefined) {
      topic = { events: [], head: 0, droppedUpTo: 0n, listeners: new Set() };
      topics.set(key, topic);
    }
    return topic;
  }

  /** Drops the `count` oldest retained events; compacts the array once half of it is dead. */
  function dropOldest(topic: TopicLog, count: number): void {
    if (count <= 0) return;
    const lastDropped = topic.events[topic.head + count - 1];
    if (lastDropped !== undefined && lastDropped.replayId > topic.droppedUpTo) {
      topic.droppedUpTo = lastDropped.replayId;
    }
    topic.head += count;
    if (topic.head >= topic.events.length) {
      topic.events = [];
      topic.head = 0;
    } else if (topic.head > 1024 && topic.head * 2 > topic.events.length) {
      topic.events = topic.events.slice(topic.head);
      topic.head = 0;
    }
  }

  /** Drops what has aged out of the window (time also flows between clock advances). */
  function expireTopic(topic: TopicLog, cutoff: number): void {
    let count = 0;
    for (let i = topic.head; i < topic.events.length; i++) {
      const event = topic.events[i];
      if (event === undefined || event.publishedAt.getTime() >= cutoff) break;
      count += 1;
    }
    dropOldest(topic, count);
  }

  function cutoffNow(): number {
    return clock.now().getTime() - retentionMs;
  }

  /** A topic's log with expired events already dropped, or undefined if it never existed. */
  function current(objectName: string): TopicLog | undefined {
    const topic = topics.get(keyFor(objectName));
    if (topic !== undefined) expireTopic(topic, cutoffNow());
    return topic;
  }

  /** Index of the first retained event with replayId > after (binary search: ids ascend). */
  function firstAfter(topic: TopicLog, after: bigint): number {
    let lo = topic.head;
    let hi = topic.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const event = topic.events[mid];
      if (event !== undefined && event.replayId <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  const bus: EmulatorEventBus = {
    publish(objectName: string, payload: Record<string, unknown>): BusEvent {
      const publishedAt = clock.now();
      lastReplayId += 1n;
      // Events published through the record API already have theirs (answered to the publisher).
      const eventUuid =
        typeof payload['EventUuid'] === 'string' ? payload['EventUuid'] : randomUUID();
      const createdById =
        typeof payload['CreatedById'] === 'string' && payload['CreatedById'] !== ''
          ? payload['CreatedById']
          : UNKNOWN_PUBLISHER_ID;
      const event: BusEvent = {
        replayId: lastReplayId,
        topic: topicNameFor(objectName),
        objectName,
        // The platform stamps these; whatever the publisher sent for them is replaced.
        payload: {
          ...payload,
          CreatedDate: restDateTime(publishedAt),
          CreatedById: createdById,
          EventUuid: eventUuid
        },
        eventUuid,
        publishedAt
      };
      const topic = log(objectName);
      expireTopic(topic, publishedAt.getTime() - retentionMs);
      topic.events.push(event);
      for (const listener of [...topic.listeners]) {
        try {
          listener(event);
        } catch {
          // A failing subscriber must not fail the publisher (nor the other subscribers).
        }
      }
      return event;
    },

    retained(objectName: string, afterReplayId?: bigint): BusEvent[] {
      const topic = current(objectName);
      if (topic === undefined) return [];
      const start = afterReplayId === undefined ? topic.head : firstAfter(topic, afterReplayId);
      return topic.events.slice(start);
    },

    earliestReplayId(objectName: string): bigint | undefined {
      const topic = current(objectName);
      return topic?.events[topic.head]?.replayId;
    },

    latestReplayId(objectName: string): bigint | undefined {
      const topic = current(objectName);
      if (topic === undefined || topic.head >= topic.events.length) return undefined;
      return topic.events[topic.events.length - 1]?.replayId;
    },

    subscribe(objectName: string, listener: (event: BusEvent) => void): () => void {
      const topic = log(objectName);
      topic.listeners.add(listener);
      return () => {
        topic.listeners.delete(listener);
      };
    },

    expire(): void {
      const cutoff = cutoffNow();
      for (const topic of topics.values()) expireTopic(topic, cutoff);
    },

    reset(): void {
      // Like a stream reset on an org migration: every stored replay id becomes invalid, and the
      // counter keeps going so no id is ever handed out twice. Subscribers stay registered.
      for (const topic of topics.values()) {
        topic.events = [];
        topic.head = 0;
      }
      resetUpTo = lastReplayId;
    },

    lastAssignedReplayId: () => lastReplayId,

    droppedUpTo(objectName: string): bigint {
      const dropped = current(objectName)?.droppedUpTo ?? 0n;
      return dropped > resetUpTo ? dropped : resetUpTo;
    },

    currentPosition(objectName: string): bigint {
      if (lastReplayId <= bus.droppedUpTo(objectName)) lastReplayId += 1n;
      return lastReplayId;
    },

    retainedCount(objectName?: string): number {
      if (objectName !== undefined) {
        const topic = current(objectName);
        return topic === undefined ? 0 : topic.events.length - topic.head;
      }
      let total = 0;
      for (const topic of topics.values()) total += topic.events.length - topic.head;
      return total;
    }
  };

  clock.onAdvance(() => bus.expire());
  return bus;
}

/** True when the context's bus is this implementation (the Pub/Sub server relies on its extras). */
export function isEmulatorEventBus(bus: EventBus): bus is EmulatorEventBus {
  return (
    typeof (bus as Partial<EmulatorEventBus>).lastAssignedReplayId === 'function' &&
    typeof (bus as Partial<EmulatorEventBus>).droppedUpTo === 'function'
  );
}
