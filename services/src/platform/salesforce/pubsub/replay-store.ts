// Durable positions of Pub/Sub subscribers: the replay id of the last event each subscriber
// processed, per topic. The subscriber writes it only after its handler succeeded, so after a
// crash it resumes at or before the first unprocessed event (at-least-once delivery).
import type pg from 'pg';

export interface ReplayStore {
  /** The stored replay id, or undefined when the subscriber never committed one. */
  load(subscriber: string, topic: string): Promise<bigint | undefined>;
  save(subscriber: string, topic: string, replayId: bigint): Promise<void>;
}

/** The `pubsub_replay` table of migration 0002_pubsub_replay.sql. */
export class PgReplayStore implements ReplayStore {
  constructor(private readonly pool: pg.Pool) {}

  async load(subscriber: string, topic: string): Promise<bigint | undefined> {
    const { rows } = await this.pool.query<{ replay_id: string }>(
      'SELECT replay_id::text AS replay_id FROM pubsub_replay WHERE subscriber = $1 AND topic = $2',
      [subscriber, topic]
    );
    const value = rows[0]?.replay_id;
    return value === undefined ? undefined : BigInt(value);
  }

  async save(subscriber: string, topic: string, replayId: bigint): Promise<void> {
    // A plain overwrite, not GREATEST(): after a stream reset (org migration) replay ids may
    // start lower, and the subscriber only ever saves positions it reached.
    await this.pool.query(
      `INSERT INTO pubsub_replay (subscriber, topic, replay_id, updated_at)
       VALUES ($1, $2, $3::numeric, now())
       ON CONFLICT (subscriber, topic)
       DO UPDATE SET replay_id = EXCLUDED.replay_id, updated_at = EXCLUDED.updated_at`,
      [subscriber, topic, replayId.toString()]
    );
  }
}

/** For tests and single-process tools where losing the position on exit is acceptable. */
export class InMemoryReplayStore implements ReplayStore {
  private readonly positions = new Map<string, bigint>();

  async load(subscriber: string, topic: string): Promise<bigint | undefined> {
    return this.positions.get(`${subscriber}\u0000${topic}`);
  }

  async save(subscriber: string, topic: string, replayId: bigint): Promise<void> {
    this.positions.set(`${subscriber}\u0000${topic}`, replayId);
  }
}
