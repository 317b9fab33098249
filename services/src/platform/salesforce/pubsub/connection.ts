// One connection: one client and one Subscribe call, from the subscribe request until the client
// is closed. Everything that can end a connection (an error, the server ending the stream, a
// failed handler, silence, stop) resolves it with an outcome; the supervisor decides what comes
// next. Nothing from a connection that is over is acted on: its events are delivered again, from
// the committed position, on the next connection.
import type PubSubApiClient from 'salesforce-pubsub-api-client';
import type { SubscribeCallback, SubscriptionInfo } from 'salesforce-pubsub-api-client';
import type { Logger } from '../../logger.ts';
import { subscribeFrom } from './client.ts';
import { asError, isAuthFailure } from './errors.ts';
import { toPubSubEvent, type ClientEvent, type PubSubEvent } from './event.ts';
import { captureClientStreams, type CapturedCall } from './grpc-call-capture.ts';
import type { ReplayPosition, ResumePoint } from './replay-position.ts';

export type ConnectionOutcome =
  { kind: 'stopped' } | { kind: 'failed'; error: Error; authFailure: boolean } | { kind: 'ended' };

export interface ConnectionResult {
  outcome: ConnectionOutcome;
  /** The server delivered something (an event or a keepalive): the subscription was accepted. */
  progressed: boolean;
}

export interface ConnectionSettings {
  topic: string;
  /** Events per FetchRequest after the first one. */
  batchSize: number;
  /** How often processed events of an unfinished batch are committed. */
  commitIntervalMs: number;
  /** Longest silence (not even a keepalive) before the connection is given up. */
  idleTimeoutMs: number;
  checkpointKeepalives: boolean;
  handler?: ((event: PubSubEvent) => Promise<void>) | undefined;
  batchHandler?: ((events: PubSubEvent[]) => Promise<void>) | undefined;
}

export interface ConnectionHooks {
  logger: Logger;
  /** The Subscribe call is made (not yet accepted by the server). */
  subscribed(): void;
  /** The first event or keepalive arrived. */
  progressed(): void;
  eventProcessed(event: PubSubEvent): void;
  handlerFailed(error: Error, event: PubSubEvent): void;
}

export class PubSubConnection {
  private calls: CapturedCall[] = [];
  /** `calls` is known to hold every stream the client opened: closing the client is safe. */
  private callCaptured = false;
  /** Events received and not yet processed, in delivery order (the first may be in progress). */
  private queue: PubSubEvent[] = [];
  /** The client reported the last event of the current request. */
  private batchDone = false;
  private pumping: Promise<void> | undefined;
  private finished = false;
  private progressed = false;
  private commitTimer: NodeJS.Timeout | undefined;
  /** Date.now() of the last event or keepalive (or of the subscribe request). */
  private lastActivity = Date.now();
  private resolveOutcome: (outcome: ConnectionOutcome) => void = () => undefined;
  private readonly outcome = new Promise<ConnectionOutcome>(
    (resolve) => (this.resolveOutcome = resolve)
  );

  constructor(
    private readonly client: PubSubApiClient,
    private readonly position: ReplayPosition,
    private readonly settings: ConnectionSettings,
    private readonly hooks: ConnectionHooks
  ) {}

  /** Subscribes from `from`; resolves once the connection is over and its client closed. */
  async run(from: ResumePoint, signal: AbortSignal): Promise<ConnectionResult> {
    const onAbort = () => this.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    const callback: SubscribeCallback = (info, type, data) => {
      try {
        this.onClientCallback(info, type, data);
      } catch (error) {
        // Never let an exception travel back into the client's async stream handlers (it would
        // become an unhandled rejection there).
        this.fail(error);
      }
    };
    const captured = captureClientStreams(() => {
      try {
        subscribeFrom(this.client, this.settings.topic, from, callback);
      } catch (error) {
        this.fail(error);
      }
    });
    this.calls = captured.calls;
    // With the hook installed, `calls` is every stream this client opened (possibly none).
    this.callCaptured = captured.available;
    // stop() may have come while connecting: its abort event is already gone.
    if (signal.aborted) this.stop();
    this.hooks.subscribed();
    this.startCommitTimer();

    const outcome = await this.outcome;
    signal.removeEventListener('abort', onAbort);
    await this.teardown();
    return { outcome, progressed: this.progressed };
  }

  stop(): void {
    this.finish({ kind: 'stopped' });
  }

  private finish(outcome: ConnectionOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveOutcome(outcome);
  }

  private fail(error: unknown, authFailure = false): void {
    this.finish({ kind: 'failed', error: asError(error), authFailure });
  }

  private startCommitTimer(): void {
    const { idleTimeoutMs, commitIntervalMs } = this.settings;
    this.commitTimer = setInterval(
      () => {
        if (Date.now() - this.lastActivity > idleTimeoutMs) {
          this.fail(new Error(`nothing received for ${idleTimeoutMs} ms (not even a keepalive)`));
          return;
        }
        // In a timer task: every event the client had already decoded has reached the queue.
        void this.commit();
      },
      Math.min(commitIntervalMs, idleTimeoutMs)
    );
  }

  private commit(): Promise<boolean> {
    return this.position.commit(() => this.queue.map((event) => event.replayId));
  }

  private heardFromServer(): void {
    this.lastActivity = Date.now();
    if (this.progressed) return;
    this.progressed = true;
    this.hooks.progressed();
  }

  private onClientCallback(info: SubscriptionInfo, type: string, data: unknown): void {
    if (this.finished) return;
    switch (type) {
      case 'event':
        this.heardFromServer();
        this.position.eventDelivered();
        this.queue.push(toPubSubEvent(this.settings.topic, data as ClientEvent));
        this.pump();
        return;
      case 'lastEvent':
        this.lastActivity = Date.now();
        this.batchDone = true;
        this.pump();
        return;
      case 'grpcKeepAlive':
        this.heardFromServer();
        if (this.settings.checkpointKeepalives) this.onKeepalive(info);
        return;
      case 'error':
        // An event that cannot be decoded also arrives here (EventParseError) while the stream
        // goes on: it must not be skipped, so the connection restarts from the last commit.
        this.fail(data, isAuthFailure(data));
        return;
      case 'end':
        this.finish({ kind: 'ended' });
        return;
      default:
        // grpcStatus: informational; an error status also arrives as 'error'.
        return;
    }
  }

  private onKeepalive(info: SubscriptionInfo): void {
    const latest = info.lastReplayId;
    if (typeof latest !== 'number' && typeof latest !== 'bigint') return;
    const latestId = BigInt(latest);
    // Decided in a later task, so that any event decoded in the same read as the keepalive has
    // reached the queue first.
    setImmediate(() => {
      if (this.finished) return;
      this.position.keepalive(latestId, this.queue.length === 0 && this.pumping === undefined);
    });
  }

  /** Processes queued events in delivery order: one at a time, or all queued with batchHandler. */
  private pump(): void {
    if (this.pumping !== undefined) return;
    const { handler, batchHandler } = this.settings;
    this.pumping = (async () => {
      try {
        while (!this.finished && this.queue.length > 0) {
          // The client decodes a response's events one microtask chain each: wait a macrotask
          // so the batch holds all of them rather than only the first.
          if (batchHandler) await new Promise((resolve) => setImmediate(resolve));
          if (this.finished) return;
          const events = batchHandler ? this.queue.slice() : this.queue.slice(0, 1);
          try {
            if (batchHandler) await batchHandler(events);
            else await handler!(events[0]!);
          } catch (error) {
            this.hooks.handlerFailed(asError(error), events[0]!);
            this.hooks.logger.error(
              {
                err: error,
                replayId: events[0]!.replayId.toString(),
                events: events.length,
                topic: this.settings.topic
              },
              'handler failed; the events will be delivered again'
            );
            this.fail(error);
            return;
          }
          this.queue.splice(0, events.length);
          for (const event of events) {
            this.position.markProcessed(event.replayId);
            this.hooks.eventProcessed(event);
          }
        }
        if (!this.finished && this.batchDone && this.queue.length === 0) {
          this.batchDone = false;
          // Everything requested has been delivered and processed: nothing is in flight.
          const stored = await this.commit();
          if (this.finished) return;
          if (!stored) {
            // Not asking for more while positions cannot be stored: reconnect with backoff.
            this.fail(new Error('could not store the replay id'));
            return;
          }
          this.client.requestAdditionalEvents(this.settings.topic, this.settings.batchSize);
        }
      } catch (error) {
        this.fail(error);
      } finally {
        this.pumping = undefined;
      }
      // Events that arrived while committing.
      if (!this.finished && (this.queue.length > 0 || this.batchDone)) this.pump();
    })();
  }

  /**
   * Closes the client without leaving a call that could crash the process later: the client's
   * close() removes the call's listeners but leaves the call open, and a CANCELLED the server
   * sends afterwards would be an unhandled 'error' event (see grpc-call-capture.ts).
   */
  private async teardown(): Promise<void> {
    this.finished = true;
    if (this.commitTimer !== undefined) clearInterval(this.commitTimer);
    // Let a running handler finish; the queue behind it is abandoned (redelivered later).
    await this.pumping;
    await this.commit();
    if (this.callCaptured) {
      try {
        this.client.close();
      } catch (error) {
        this.hooks.logger.debug({ err: error }, 'closing the Pub/Sub client failed');
      }
      for (const call of this.calls) {
        // close() removed every listener: without this one a late CANCELLED would be fatal.
        call.on('error', () => undefined);
        try {
          call.cancel();
        } catch {
          // already over
        }
      }
    }
    // Without the call (unexpected grpc-js layout) the client is left open rather than closed:
    // its own listeners keep handling whatever the server sends, and this connection's
    // callbacks are ignored from now on.
    this.queue = [];
    this.position.discardUncommitted();
  }
}
