-- Scenario 6: the property image migration's progress (`npm run media:migrate`), in a schema of
-- its own. One row per image, keyed by its storage key (derived from listing and source, so a
-- manifest line always lands on the same row, object and record):
--
--   pending   -> uploaded (object and thumbnail stored and checked) -> recorded (Property_Image__c
--   upserted). An upload failure stays pending with attempts and last_error until max attempts,
--   then failed; a refusal that will not change (not an image, over the size cap, missing file)
--   is failed at once. A record refusal stays uploaded with record_attempts and record_error.
CREATE SCHEMA IF NOT EXISTS media;

CREATE TABLE media.migration_images (
  storage_key text PRIMARY KEY,
  listing_number text NOT NULL,
  -- As the manifest wrote it (relative path or URL); resolved against manifest_dir.
  source text NOT NULL,
  manifest_dir text NOT NULL,
  sort_order integer,
  caption text,
  state text NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'uploaded', 'recorded', 'failed')),
  -- Filled by the upload, from the bytes actually sent.
  size_bytes bigint,
  sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  content_type text,
  width integer,
  height integer,
  thumbnail_key text,
  uploaded_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  record_attempts integer NOT NULL DEFAULT 0,
  record_error text,
  recorded_at timestamptz,
  -- The run working on the row: its lease's advisory lock key. The claim is live while that
  -- session holds the lock (pg_locks), so a killed run's rows are free again at once.
  claimed_by bigint,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX migration_images_work ON media.migration_images (state) WHERE state IN ('pending', 'uploaded');

-- One row per invocation, for `--status` and the integration log's reference.
CREATE TABLE media.migration_runs (
  id bigserial PRIMARY KEY,
  manifest text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  outcome text CHECK (outcome IN ('completed', 'incomplete', 'failed', 'interrupted', 'off')),
  report jsonb
);
