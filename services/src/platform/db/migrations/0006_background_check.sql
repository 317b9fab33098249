-- 0006_background_check: Scenario 3 (passport background checks, a long-running transaction).
--
-- background_checks: the ESB's log table of checks, one row per Passport_Application__c (the
-- Idempotency-Key is bgc-<application id>). attempts counts the checks started for the
-- application: a resubmit after a final state (failed, expired, delivered) with another body
-- starts attempt n+1 on the same row (docs/background-check.md, "Off platform").
--   state: submitted (recorded; photo and BackCheck call pending in the job queue)
--          accepted  (BackCheck answered with its reference; waiting for the result)
--          completed (result recorded; the Salesforce write is pending: the outbox)
--          delivered (written to the application)
--          failed    (the check could not be started: photo, data, BackCheck refused)
--          expired   (no result by expire_at; a late result still lands)
-- applicant holds what BackCheck needs until it has accepted the check, then it is cleared.
CREATE TABLE IF NOT EXISTS background_checks (
  application_id text PRIMARY KEY,
  idempotency_key text NOT NULL,
  request_hash text NOT NULL,
  content_version_id text NOT NULL,
  applicant jsonb,
  attempts integer NOT NULL DEFAULT 1,
  state text NOT NULL DEFAULT 'submitted'
    CHECK (state IN ('submitted', 'accepted', 'completed', 'delivered', 'failed', 'expired')),
  reference text UNIQUE,
  requested_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  deadline_at timestamptz NOT NULL,
  expire_at timestamptz NOT NULL,
  flagged_at timestamptz,
  last_polled_at timestamptz,
  callback_received_at timestamptz,
  result text CHECK (result IN ('clear', 'not_clear', 'inconclusive')),
  notes text,
  completed_at timestamptz,
  error text,
  delivery_attempts integer NOT NULL DEFAULT 0,
  next_delivery_at timestamptz,
  delivered_at timestamptz,
  delivery_error text
);

-- The outbox: results (and failures) still to be written to Salesforce, oldest first.
CREATE INDEX IF NOT EXISTS background_checks_outbox_idx
  ON background_checks (next_delivery_at)
  WHERE next_delivery_at IS NOT NULL;

-- The deadline sweep: checks still waiting for BackCheck.
CREATE INDEX IF NOT EXISTS background_checks_waiting_idx
  ON background_checks (deadline_at)
  WHERE state = 'accepted';

-- Callback events applied or refused as replays (eventId seen once). Pruned by the sweep after
-- a week: a signature is valid for 5 minutes, so an older copy is refused as stale anyway.
CREATE TABLE IF NOT EXISTS backcheck_callback_events (
  event_id text PRIMARY KEY,
  reference text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
