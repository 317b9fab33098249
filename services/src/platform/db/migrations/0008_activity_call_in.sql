-- 0008_activity_call_in: Scenario 4's Remote Call-In state (services/src/activity/call-in).
--
-- activity_summary_pushes: the watermark becomes a key, (pushed_through, pushed_user_id,
--   pushed_day), the last row a completed job carried: a run takes the rows after it in that
--   order, so a job cut at ACTIVITY_SUMMARY_MAX_RECORDS_PER_JOB never splits or repeats rows that
--   share an updated_at. The pending_* columns are the job in flight, recorded before its data is
--   uploaded: a restart finds it and waits for the same job instead of creating a second one
--   (pending_state 'created': the upload may not have happened, the job is aborted and made
--   again; 'submitted': UploadComplete was accepted, Salesforce is processing it).
ALTER TABLE activity_summary_pushes
  ADD COLUMN IF NOT EXISTS pushed_user_id text NOT NULL DEFAULT '',
  ADD COLUMN IF NOT EXISTS pushed_day date NOT NULL DEFAULT '1970-01-01',
  ADD COLUMN IF NOT EXISTS pending_job_id text,
  ADD COLUMN IF NOT EXISTS pending_state text CHECK (pending_state IN ('created', 'submitted')),
  ADD COLUMN IF NOT EXISTS pending_through timestamptz,
  ADD COLUMN IF NOT EXISTS pending_user_id text,
  ADD COLUMN IF NOT EXISTS pending_day date,
  ADD COLUMN IF NOT EXISTS pending_records integer;

-- activity_summary_retries: days Salesforce refused (typically no Contact has the user's
--   Fitness_User_Id__c yet). They are sent again with a later job (next_attempt_at, backing off)
--   until one takes them; job_id names the job that carries them right now.
CREATE TABLE IF NOT EXISTS activity_summary_retries (
  user_id text NOT NULL,
  day date NOT NULL,
  error_code text NOT NULL,
  message text NOT NULL,
  attempts integer NOT NULL DEFAULT 1,
  first_failed_at timestamptz NOT NULL DEFAULT now(),
  last_failed_at timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  job_id text,
  PRIMARY KEY (user_id, day)
);
CREATE INDEX IF NOT EXISTS activity_summary_retries_due
  ON activity_summary_retries (next_attempt_at);
CREATE INDEX IF NOT EXISTS activity_summary_retries_job
  ON activity_summary_retries (job_id) WHERE job_id IS NOT NULL;

-- activity_goals_reached: when a failed publish may be tried again (backoff); NULL = now.
ALTER TABLE activity_goals_reached ADD COLUMN IF NOT EXISTS next_attempt_at timestamptz;
