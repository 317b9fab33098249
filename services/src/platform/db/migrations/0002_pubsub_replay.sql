-- 0002_pubsub_replay: where each durable Pub/Sub subscriber resumes.
--
-- One row per (subscriber, topic): the replay id of the last event the subscriber processed
-- successfully (written after its handler succeeded, so delivery is at-least-once). On start the
-- subscriber resumes with replay preset CUSTOM after this id. Replay ids are opaque 8-byte values
-- on the wire; they are unsigned 64-bit integers, stored exactly as numeric(20,0).
CREATE TABLE IF NOT EXISTS pubsub_replay (
  subscriber text NOT NULL,
  topic text NOT NULL,
  replay_id numeric(20, 0) NOT NULL CHECK (replay_id >= 0 AND replay_id < 18446744073709551616),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subscriber, topic)
);
