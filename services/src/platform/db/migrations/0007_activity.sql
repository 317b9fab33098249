-- 0007_activity: Scenario 4 (fitness devices, Data Virtualization + Remote Call-In).
--
-- Devices publish readings over MQTT; ingestion workers write them here in batches, one
-- statement per batch (services/src/activity). Salesforce never stores readings: it reads the
-- rollups through the Activity API / OData (virtualized) and receives only a daily summary per
-- user (Bulk API 2.0) and a goal event (docs/activity.md).
--
-- activity_users: a fitness user (Contact.Fitness_User_Id__c in Salesforce), the time zone of
--   their day and their daily step goal.
-- activity_devices: which user a device belongs to. Server-owned: a reading names its device,
--   never its user, so a device cannot write into another user's activity.
CREATE TABLE IF NOT EXISTS activity_users (
  user_id text PRIMARY KEY CHECK (user_id ~ '^[A-Za-z0-9_-]{3,64}$'),
  time_zone text NOT NULL DEFAULT 'UTC',
  daily_step_goal integer NOT NULL DEFAULT 10000 CHECK (daily_step_goal > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS activity_devices (
  device_id text PRIMARY KEY CHECK (device_id ~ '^[A-Za-z0-9_-]{8,64}$'),
  user_id text NOT NULL REFERENCES activity_users (user_id) ON DELETE CASCADE,
  registered_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS activity_devices_user ON activity_devices (user_id);

-- activity_readings: the raw readings, kept ACTIVITY_RAW_RETENTION_DAYS (whole daily partitions
--   are dropped). (device_id, ts) identifies a reading: a redelivery or a device's resend is the
--   same key and is ignored (the first stored wins), which is what makes the rollups exact under
--   at-least-once delivery and several workers.
-- Partitioned by day on ts; the service creates partitions ahead and drops expired ones
-- (activity_ensure_partitions / activity_drop_partitions_before).
CREATE TABLE IF NOT EXISTS activity_readings (
  device_id text NOT NULL,
  ts timestamptz NOT NULL,
  user_id text NOT NULL,
  steps integer NOT NULL,
  heart_rate smallint,
  calories real NOT NULL,
  active_minutes real NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, ts)
) PARTITION BY RANGE (ts);

-- activity_minutes: per user per UTC minute. Partitioned by day on minute.
CREATE TABLE IF NOT EXISTS activity_minutes (
  user_id text NOT NULL,
  minute timestamptz NOT NULL,
  steps integer NOT NULL DEFAULT 0,
  calories double precision NOT NULL DEFAULT 0,
  active_minutes double precision NOT NULL DEFAULT 0,
  heart_rate_sum bigint NOT NULL DEFAULT 0,
  heart_rate_count integer NOT NULL DEFAULT 0,
  heart_rate_min smallint,
  heart_rate_max smallint,
  readings integer NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, minute)
) PARTITION BY RANGE (minute);

-- activity_days: per user per day of the user's time zone. Partitioned by month on day.
--   updated_at drives the daily summary push to Salesforce (Remote Call-In).
CREATE TABLE IF NOT EXISTS activity_days (
  user_id text NOT NULL,
  day date NOT NULL,
  steps bigint NOT NULL DEFAULT 0,
  calories double precision NOT NULL DEFAULT 0,
  active_minutes double precision NOT NULL DEFAULT 0,
  heart_rate_sum bigint NOT NULL DEFAULT 0,
  heart_rate_count integer NOT NULL DEFAULT 0,
  heart_rate_min smallint,
  heart_rate_max smallint,
  readings integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, day)
) PARTITION BY RANGE (day);
CREATE INDEX IF NOT EXISTS activity_days_updated ON activity_days (updated_at);

-- activity_goals_reached: the outbox of goal events (Activity_Goal_Reached__e). The ingest
--   statement that takes a day's steps over the goal inserts the row (once per user and day);
--   the call-in duty publishes it and sets published_at.
CREATE TABLE IF NOT EXISTS activity_goals_reached (
  user_id text NOT NULL,
  day date NOT NULL,
  goal integer NOT NULL,
  steps bigint NOT NULL,
  reached_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  PRIMARY KEY (user_id, day)
);
CREATE INDEX IF NOT EXISTS activity_goals_unpublished
  ON activity_goals_reached (reached_at) WHERE published_at IS NULL;

-- activity_summary_pushes: the daily summary push's watermark (Bulk API 2.0 upsert of
--   Daily_Activity_Summary__c): days updated after pushed_through are pushed next; it moves only
--   after Salesforce accepted the job.
CREATE TABLE IF NOT EXISTS activity_summary_pushes (
  name text PRIMARY KEY,
  pushed_through timestamptz NOT NULL,
  last_job_id text,
  last_run_at timestamptz,
  last_records integer,
  last_failed integer
);

-- Partition maintenance: daily partitions of activity_readings and activity_minutes, monthly of
-- activity_days, for every day in [p_from, p_to]. Idempotent (IF NOT EXISTS); several instances
-- may run it at once (CREATE TABLE takes the parent's lock, a second one finds it made).
CREATE OR REPLACE FUNCTION activity_ensure_partitions(p_from date, p_to date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  d date;
  m date;
  created integer := 0;
  name text;
BEGIN
  d := p_from;
  WHILE d <= p_to LOOP
    FOREACH name IN ARRAY ARRAY['activity_readings', 'activity_minutes'] LOOP
      IF to_regclass(format('%s_%s', name, to_char(d, 'YYYYMMDD'))) IS NULL THEN
        EXECUTE format(
          'CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
          format('%s_%s', name, to_char(d, 'YYYYMMDD')), name,
          d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
        created := created + 1;
      END IF;
    END LOOP;
    m := date_trunc('month', d)::date;
    IF to_regclass(format('activity_days_%s', to_char(m, 'YYYYMM'))) IS NULL THEN
      EXECUTE format(
        'CREATE TABLE IF NOT EXISTS %I PARTITION OF activity_days FOR VALUES FROM (%L) TO (%L)',
        format('activity_days_%s', to_char(m, 'YYYYMM')), m, (m + interval '1 month')::date);
      created := created + 1;
    END IF;
    d := d + 1;
  END LOOP;
  RETURN created;
END $$;

-- Retention: drops the daily partitions of p_table (activity_readings or activity_minutes) that
-- end on or before p_before. Returns the partitions dropped.
CREATE OR REPLACE FUNCTION activity_drop_partitions_before(p_table text, p_before date)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  part record;
  dropped integer := 0;
BEGIN
  IF p_table NOT IN ('activity_readings', 'activity_minutes') THEN
    RAISE EXCEPTION 'activity_drop_partitions_before: % has no daily partitions', p_table;
  END IF;
  FOR part IN
    SELECT c.relname
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = p_table
       AND c.relname ~ '_[0-9]{8}$'
       AND to_date(right(c.relname, 8), 'YYYYMMDD') + 1 <= p_before
  LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I', part.relname);
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END $$;
