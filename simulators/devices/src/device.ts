// One virtual device: takes a reading every interval (jittered) on the fleet's clock, turns some
// into faults as the fleet's fractions say, and publishes on its own topic with QoS 1 through a
// bounded window of unacknowledged messages. The draws come from generators keyed by the seed
// and the device id, so a run with the same seed and clock sends the same readings.
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '../../../toolkit/src/device-topic.ts';
import type { DayPlans } from './day-pattern.ts';
import { pause, type FleetClock, type RateCap } from './pacing.ts';
import { malformedPayload, oversizedPayload, readingPayload, type Reading } from './payload.ts';
import { randomFor, type Random } from './random.ts';
import type { ExpectedTotals } from './totals.ts';

export interface FaultFractions {
  /** Share of valid readings sent a second time, after the broker acknowledged the first. */
  duplicate: number;
  /** Share of valid readings held back and sent after the device's next message. */
  late: number;
  /** Share of readings replaced by a malformed message (its values are lost). */
  malformed: number;
  /** Share of readings replaced by an oversized one (its values are lost). */
  oversized: number;
  /** Size of an oversized message in bytes (> 1024). */
  oversizedBytes: number;
}

export interface FleetCounters {
  /** Messages handed to the broker connection (every kind). */
  published: number;
  acked: number;
  failed: number;
  /** Valid readings published (late ones included, duplicates not). */
  valid: number;
  duplicate: number;
  late: number;
  malformed: number;
  oversized: number;
}

/** What a device shares with the rest of its fleet. */
export interface DeviceContext {
  seed: number;
  intervalMs: number;
  jitter: number;
  faults: FaultFractions;
  maxInFlight: number;
  clock: FleetClock;
  rateCap: RateCap;
  plans: DayPlans;
  counters: FleetCounters;
  expected: ExpectedTotals;
  /** Simulated time at which the device stops taking readings (exclusive). */
  endTs: number;
  /** Takes one message from the fleet's budget; false when it is spent. */
  claim(): boolean;
  stopping: AbortSignal;
}

type Kind = 'valid' | 'late' | 'duplicate' | 'malformed' | 'oversized';

export class VirtualDevice {
  readonly topic: string;
  private readonly schedule: Random;
  private readonly faults: Random;
  private inFlight = 0;
  private readonly windowWaiters: Array<() => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private held: Reading | undefined;

  constructor(
    readonly deviceId: string,
    private readonly client: MqttClient,
    private readonly context: DeviceContext
  ) {
    this.topic = deviceTopic(deviceId);
    this.schedule = randomFor(context.seed, 'schedule', deviceId);
    this.faults = randomFor(context.seed, 'faults', deviceId);
    // A device waiting for room in its window when the fleet stops (the broker is away) hands
    // its last messages to mqtt.js's queue instead, so stop() reaches its drain timeout.
    context.stopping.addEventListener('abort', () => {
      for (const wake of this.windowWaiters.splice(0)) wake();
    });
  }

  /** Takes and publishes readings until the fleet stops or the device's time is up. */
  async run(): Promise<void> {
    const { clock, intervalMs, stopping } = this.context;
    // Staggered start: devices switched on at random moments within the first interval.
    let ts = Math.floor(clock.startMs + this.schedule() * intervalMs);
    let previous = ts - intervalMs;
    while (!stopping.aborted && ts < this.context.endTs) {
      await pause(clock.realDelayUntil(ts), stopping);
      if (stopping.aborted || !(await this.takeReading(previous, ts))) break;
      previous = ts;
      const jitter = 1 + (this.schedule() * 2 - 1) * this.context.jitter;
      ts += Math.max(1, Math.round(intervalMs * jitter));
    }
    // A reading held back to arrive late still goes out before the device stops.
    if (this.held) await this.send(this.held, 'late', readingPayload(this.held));
    this.held = undefined;
  }

  /** Resolves once every message this device published has been acknowledged or failed. */
  drained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private async takeReading(previous: number, ts: number): Promise<boolean> {
    const { plans, faults } = this.context;
    const reading: Reading = {
      deviceId: this.deviceId,
      ts: new Date(ts).toISOString(),
      ...plans.reading(this.deviceId, previous, ts)
    };
    // Every draw is made whatever the outcome, so the sequence never depends on the fractions
    // being zero or not.
    const [fault, late, duplicate, shape] = [
      this.faults(),
      this.faults(),
      this.faults(),
      this.faults()
    ];
    if (!this.context.claim()) return false;
    if (fault < faults.malformed) {
      await this.send(
        reading,
        'malformed',
        malformedPayload(reading, () => shape)
      );
    } else if (fault < faults.malformed + faults.oversized) {
      await this.send(reading, 'oversized', oversizedPayload(reading, faults.oversizedBytes));
    } else if (late < faults.late && !this.held) {
      this.held = reading;
      return true;
    } else {
      await this.send(reading, 'valid', readingPayload(reading), duplicate < faults.duplicate);
    }
    if (this.held) {
      const held = this.held;
      this.held = undefined;
      await this.send(held, 'late', readingPayload(held));
    }
    return true;
  }

  private async send(
    reading: Reading,
    kind: Kind,
    payload: Buffer,
    duplicate = false
  ): Promise<void> {
    while (this.inFlight >= this.context.maxInFlight && !this.context.stopping.aborted) {
      await new Promise<void>((resolve) => this.windowWaiters.push(resolve));
    }
    await this.context.rateCap.take();
    this.publish(reading, kind, payload, duplicate);
  }

  private publish(reading: Reading, kind: Kind, payload: Buffer, duplicate: boolean): void {
    const { counters, expected } = this.context;
    this.inFlight += 1;
    counters.published += 1;
    counters[kind] += 1;
    if (kind === 'late') counters.valid += 1;
    this.client.publish(this.topic, payload, { qos: 1 }, (error) => {
      this.inFlight -= 1;
      if (error) counters.failed += 1;
      else {
        counters.acked += 1;
        if (kind === 'valid' || kind === 'late') expected.add(reading);
        // The resend a device makes when it missed the PUBACK: the same bytes again, after the
        // broker already has the reading, so it must not be counted twice downstream.
        if (duplicate && this.context.claim()) this.publish(reading, 'duplicate', payload, false);
      }
      this.windowWaiters.shift()?.();
      if (this.inFlight === 0) for (const wake of this.drainWaiters.splice(0)) wake();
    });
  }
}
