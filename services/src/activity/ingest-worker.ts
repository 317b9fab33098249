// One ingest worker: an MQTT subscriber that validates readings, writes them in batches
// (rollup-writer.ts) and acknowledges each QoS 1 message only after its batch COMMITTED.
//
// Why the acknowledgement is held back: with a persistent session (clean: false, a fixed client
// id), a message not acknowledged when the worker dies is redelivered by the broker to the next
// connection of that client id, and the primary key of activity_readings ignores what had been
// stored already. So a crash loses nothing and counts nothing twice.
//
// mqtt.js acknowledges a QoS 1 message when handleMessage calls back without an error, and
// handles the next packet only then. Calling back at once keeps packets flowing into the batch;
// calling back with SKIP_ACK makes mqtt.js send no PUBACK, which this worker sends itself after
// the commit (in arrival order, as MQTT requires) - on the same connection only: after a
// reconnect the broker redelivers instead. When too many messages wait for a commit, the call
// back is held, which stops reading from the socket (backpressure up to the broker).
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type pg from 'pg';
import { ALL_DEVICES_FILTER, partitionFilters } from '../../../toolkit/src/device-topic.ts';
import type { Logger, WorkerHealth } from '../platform/index.ts';
import type { Subscription } from './config.ts';
import type { ActivityMetrics } from './metrics.ts';
import { checkMessage, type Reading, type ReadingLimits, type RejectReason } from './readings.ts';
import { classifyWriteError, writeIsolating, type RefusedReading } from './poison.ts';
import { writeBatch, type BatchResult } from './rollup-writer.ts';

export const SHARE_GROUP = 'activity-ingest';

/** The topic filters a worker subscribes to. */
export function subscriptionFilters(subscription: Subscription, group = SHARE_GROUP): string[] {
  return subscription.mode === 'shared'
    ? [`$share/${group}/${ALL_DEVICES_FILTER}`]
    : partitionFilters(subscription.index, subscription.count);
}

export interface IngestWorkerOptions {
  url: string;
  username?: string;
  password?: string;
  /** Fixed per worker: the broker keeps its session and unacknowledged messages under it. */
  clientId: string;
  subscription: Subscription;
  /** The $share group of shared mode (default activity-ingest; tests: their own). */
  shareGroup?: string;
  pool: pg.Pool;
  limits: ReadingLimits;
  batchSize: number;
  batchWaitMs: number;
  metrics?: ActivityMetrics;
  logger?: Logger;
  /** Broker reconnect delay (mqtt.js reconnectPeriod; default 1000 ms). */
  reconnectMs?: number;
  /** How long the broker keeps the session of a disconnected worker (MQTT 5; default 48 h). */
  sessionExpirySeconds?: number;
  /** Before each batch's statement runs (tests: a crash before the commit). */
  beforeWrite?: (readings: readonly Reading[]) => Promise<void> | void;
  /** Makes missing partitions (first statement that finds none). */
  ensurePartitions?: () => Promise<void>;
  onBatch?: (report: BatchReport) => void;
}

/** One committed batch: what the statement did, and the messages the check dropped before it. */
export interface BatchReport extends BatchResult {
  /** Messages of the batch dropped by the check, by reason (oversized, malformed, too_late...). */
  rejected: Partial<Record<RejectReason, number>>;
  /** Readings the database refused alone (db_refused): dropped and acknowledged. */
  refused: number;
}

/** A server error other than a data error is bisected once it failed this many times. */
export const REPEATS_BEFORE_ISOLATING = 3;

interface Pending {
  messageId: number | undefined;
  rejected?: RejectReason;
  /** The connection the message came on: its PUBACK is only valid there. */
  stream: unknown;
  reading?: Reading;
}

class SubscriptionRefused extends Error {
  constructor(topic: string) {
    super(`the broker refused the subscription ${topic}`);
  }
}

/** The error that tells mqtt.js not to acknowledge (this worker does, after the commit). */
const SKIP_ACK = new Error('acknowledged after the batch commits');

export class IngestWorker {
  private client: MqttClient | undefined;
  private pending: Pending[] = [];
  private held: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private writeError: string | undefined;
  private subscribed = false;
  private everSubscribed = false;
  private stopped = false;
  private readonly options: IngestWorkerOptions;

  constructor(options: IngestWorkerOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    const o = this.options;
    const shared = o.subscription.mode === 'shared';
    const client = mqtt.connect(o.url, {
      clientId: o.clientId,
      clean: false,
      // $share needs MQTT 5; partitioned mode works on any 3.1.1 broker (aedes).
      protocolVersion: shared ? 5 : 4,
      ...(shared
        ? {
            properties: {
              sessionExpiryInterval: o.sessionExpirySeconds ?? 48 * 3600,
              // At most this many unacknowledged messages in flight to this worker.
              receiveMaximum: Math.min(65_535, o.batchSize * 2)
            }
          }
        : {}),
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      reconnectPeriod: o.reconnectMs ?? 1000,
      connectTimeout: 10_000,
      // This worker subscribes on every connect that found no session (below).
      resubscribe: false
    });
    this.client = client;
    client.handleMessage = (packet, callback) => this.receive(packet, callback);
    client.on('close', () => {
      if (!this.stopped) this.subscribed = false;
    });
    // Resolved by the first subscription; rejected only by what retrying cannot fix (a refused
    // login or subscription). An unreachable broker is retried every reconnectMs meanwhile.
    let ready!: { resolve: () => void; reject: (error: Error) => void };
    const subscribedOnce = new Promise<void>((resolve, reject) => (ready = { resolve, reject }));
    client.on('error', (error) => {
      o.logger?.warn({ err: error }, 'mqtt error');
      const code = (error as { code?: unknown }).code;
      // CONNACK 4/5 (3.1.1), 134/135 (5): bad login, not authorized.
      if (code === 4 || code === 5 || code === 134 || code === 135) ready.reject(error);
    });
    client.on('connect', (connack) => {
      o.logger?.info({ sessionPresent: connack.sessionPresent }, 'mqtt connected');
      // A session the broker kept still holds the subscriptions.
      if (connack.sessionPresent && this.everSubscribed) {
        this.subscribed = true;
        return;
      }
      void this.subscribe(client).then(ready.resolve, (error: Error) => {
        o.logger?.error({ err: error }, 'activity ingest subscription failed');
        if (error instanceof SubscriptionRefused) ready.reject(error);
      });
    });
    await subscribedOnce.catch(async (error: unknown) => {
      // No retry loop left behind: the worker failed to start.
      this.stopped = true;
      await client.endAsync(true);
      throw error;
    });
  }

  private async subscribe(client: MqttClient): Promise<void> {
    const o = this.options;
    const filters = subscriptionFilters(o.subscription, o.shareGroup);
    // mqtt.js rejects with the SUBACK when the broker refused a filter (0x80 and up).
    const granted = await client.subscribeAsync(filters, { qos: 1 }).catch((error: unknown) => {
      if ((error as { packet?: { cmd?: string } }).packet?.cmd === 'suback')
        throw new SubscriptionRefused(filters.join(', '));
      throw error;
    });
    const refused = granted.filter((grant) => grant.qos > 2);
    if (refused.length > 0) throw new SubscriptionRefused(refused[0]!.topic);
    this.subscribed = true;
    this.everSubscribed = true;
    o.logger?.info({ filters: granted.length, clientId: o.clientId }, 'activity ingest subscribed');
  }

  private receive(packet: IPublishPacket, callback: (error?: Error) => void): void {
    const o = this.options;
    const entry: Pending = {
      messageId: packet.qos > 0 ? packet.messageId : undefined,
      stream: this.client?.stream
    };
    try {
      const payload = Buffer.isBuffer(packet.payload)
        ? packet.payload
        : Buffer.from(packet.payload);
      const check = checkMessage(packet.topic, payload, o.limits);
      if (check.ok) entry.reading = check.reading;
      else {
        entry.rejected = check.reason;
        o.metrics?.dropped(check.reason);
      }
    } catch (error) {
      // Never out of the handler: a bug in a check must not stop the stream.
      o.logger?.error({ err: error }, 'activity reading check failed');
      entry.rejected = 'invalid';
      o.metrics?.dropped('invalid');
    }
    this.pending.push(entry);
    const reply = () => callback(packet.qos > 0 ? SKIP_ACK : undefined);
    if (this.pending.length >= o.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), o.batchWaitMs);
    if (this.pending.length >= o.batchSize * 2) this.held.push(reply);
    else reply();
  }

  /** Writes the waiting messages in batches of batchSize until none wait. */
  private flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // Set before the loop runs: a loop that ends at once must not leave a finished promise here.
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
      if (this.pending.length > 0 && !this.stopped)
        this.timer ??= setTimeout(() => void this.flush(), this.options.batchWaitMs);
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    // Lets flush() store the promise before the first batch starts.
    await Promise.resolve();
    while (this.pending.length > 0 && !this.stopped) {
      const batch = this.pending.slice(0, this.options.batchSize);
      await this.commit(batch);
      this.pending.splice(0, batch.length);
      this.acknowledge(batch);
      if (this.pending.length < this.options.batchSize * 2) this.release();
    }
  }

  /**
   * Runs the statement until it commits. A database outage (transient) holds the batch,
   * unacknowledged, and retries it whole; a data error (or another server error that repeats)
   * isolates the readings the database refuses (poison.ts), which are dropped as db_refused.
   */
  private async commit(batch: Pending[]): Promise<void> {
    const o = this.options;
    const readings = batch.flatMap((entry) => (entry.reading ? [entry.reading] : []));
    const write = (part: readonly Reading[]) =>
      writeBatch(o.pool, part, {
        ...(o.ensurePartitions ? { onMissingPartition: o.ensurePartitions } : {})
      });
    let repeats = 0;
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await o.beforeWrite?.(readings);
        if (this.stopped) return;
        const started = process.hrtime.bigint();
        let result: BatchResult;
        let refused: RefusedReading[] = [];
        try {
          result = await write(readings);
        } catch (error) {
          const kind = classifyWriteError(error);
          if (kind === 'transient' || (kind === 'other' && ++repeats < REPEATS_BEFORE_ISOLATING))
            throw error;
          o.logger?.warn(
            { code: (error as { code?: string }).code, readings: readings.length },
            'activity batch refused by the database: isolating the readings it refuses'
          );
          ({ result, refused } = await writeIsolating(write, readings));
        }
        o.metrics?.batch(Number(process.hrtime.bigint() - started) / 1e9);
        o.metrics?.stored(result.stored);
        o.metrics?.dropped('duplicate', result.duplicates);
        o.metrics?.dropped('unknown_device', result.unknownDevices);
        o.metrics?.dropped('db_refused', refused.length);
        o.metrics?.capped(result.capped);
        for (const { reading, code, message } of refused)
          // Which reading and why; never its values (a device's health data).
          o.logger?.error(
            { deviceId: reading.deviceId, ts: new Date(reading.ts).toISOString(), code, message },
            'activity reading refused by the database: dropped (db_refused)'
          );
        this.writeError = undefined;
        const rejected: Partial<Record<RejectReason, number>> = {};
        for (const entry of batch)
          if (entry.rejected) rejected[entry.rejected] = (rejected[entry.rejected] ?? 0) + 1;
        o.onBatch?.({ ...result, rejected, refused: refused.length });
        return;
      } catch (error) {
        this.writeError = error instanceof Error ? error.message : String(error);
        o.logger?.error({ err: error, readings: readings.length }, 'activity batch write failed');
        await sleep(Math.min(30_000, 200 * 2 ** Math.min(attempt, 8)));
      }
    }
  }

  private acknowledge(batch: Pending[]): void {
    const client = this.client;
    if (!client) return;
    const send = (client as unknown as { _sendPacket(packet: object): void })._sendPacket;
    for (const entry of batch) {
      if (entry.messageId === undefined) continue;
      if (!client.connected || entry.stream !== client.stream) continue;
      send.call(client, { cmd: 'puback', messageId: entry.messageId });
    }
  }

  private release(): void {
    const held = this.held;
    this.held = [];
    for (const reply of held) reply();
  }

  health(): WorkerHealth {
    // The platform probes once before it starts workers: not started yet is not a failure.
    if (!this.client && !this.stopped) return { ok: true };
    if (!this.client?.connected) return { ok: false, reason: 'not connected to the MQTT broker' };
    if (!this.subscribed) return { ok: false, reason: 'not subscribed' };
    if (this.writeError) return { ok: false, reason: `batch write failing: ${this.writeError}` };
    return { ok: true };
  }

  /** Writes and acknowledges what waits, then disconnects (the session stays at the broker). */
  async stop(drainMs = 10_000): Promise<void> {
    // A database that is down would hold the last batch forever: after drainMs it is left
    // unacknowledged, and the broker redelivers it to this client id's next connection.
    const timeout = new AbortController();
    await Promise.race([
      this.flush(),
      sleep(drainMs, undefined, { signal: timeout.signal }).catch(() => undefined)
    ]);
    timeout.abort();
    this.stopped = true;
    clearTimeout(this.timer);
    this.release();
    await this.client?.endAsync(!this.client.connected);
  }

  /** A crash: the connection drops without writing or acknowledging what waits (tests). */
  async kill(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.pending = [];
    await this.client?.endAsync(true);
  }
}
