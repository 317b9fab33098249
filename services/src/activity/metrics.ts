// Prometheus metrics of activity ingestion, on the platform's registry (GET /metrics): messages
// by outcome (an operator alerts on a rising drop reason: a broken firmware floods `invalid`,
// a clock problem `future`/`too_late`), batches and their duration. Fixed label sets: no device
// or user ids in metrics.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { RejectReason } from './readings.ts';

export type DropReason = RejectReason | 'unknown_device' | 'duplicate' | 'db_refused';

export interface ActivityMetrics {
  dropped(reason: DropReason, count?: number): void;
  stored(count: number): void;
  batch(seconds: number): void;
  /** Stored readings whose steps the per-device minute cap reduced (rollup-writer.ts). */
  capped(count: number): void;
}

/** One set per registry (several workers in a process share it). */
const byRegistry = new WeakMap<Registry, ActivityMetrics>();

export function activityMetrics(registry: Registry): ActivityMetrics {
  const known = byRegistry.get(registry);
  if (known) return known;
  const registers = [registry];
  const dropped = new Counter({
    name: 'activity_readings_dropped_total',
    help: 'Device messages dropped, by reason (oversized, bad_topic, malformed, invalid, device_mismatch, future, too_late, unknown_device, duplicate, db_refused: a reading PostgreSQL refused alone).',
    labelNames: ['reason'] as const,
    registers
  });
  const stored = new Counter({
    name: 'activity_readings_stored_total',
    help: 'Readings stored and added to the minute and day rollups (each reading once).',
    registers
  });
  const capped = new Counter({
    name: 'activity_readings_capped_total',
    help: 'Stored readings whose steps were reduced to the per-device minute cap (implausible cadence).',
    registers
  });
  const batches = new Histogram({
    name: 'activity_batch_seconds',
    help: 'Duration of one ingest batch statement (insert + rollups + goals).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers
  });
  const metrics: ActivityMetrics = {
    dropped: (reason, count = 1) => {
      if (count > 0) dropped.inc({ reason }, count);
    },
    stored: (count) => {
      if (count > 0) stored.inc(count);
    },
    batch: (seconds) => batches.observe(seconds),
    capped: (count) => {
      if (count > 0) capped.inc(count);
    }
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
