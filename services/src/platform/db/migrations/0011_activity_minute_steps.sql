-- 0011_activity_minute_steps: Scenario 4 ingest hardening (services/src/activity).
--
-- activity_minutes.steps becomes bigint: a user's minute sums the steps of all their devices,
--   and integer would overflow for a user with many devices (a failed upsert halts the batch).
--   Rewrites the minute partitions (kept ACTIVITY_MINUTE_RETENTION_DAYS): on a large
--   deployment run it in a quiet hour.
ALTER TABLE activity_minutes ALTER COLUMN steps TYPE bigint;

-- Partitions of activity_days cover the LOCAL days of every user: a reading at UTC day d lands
-- on a local day from d - 1 (UTC-12) to d + 1 (UTC+14), so the months of [p_from - 1, p_to + 1]
-- are made. Before, a fresh deployment on the 1st-3rd of a month had no partition for the
-- previous month's last day, which a UTC-10 user's late reading needs: the batch failed forever.
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
    d := d + 1;
  END LOOP;
  m := date_trunc('month', p_from - 1)::date;
  WHILE m <= p_to + 1 LOOP
    IF to_regclass(format('activity_days_%s', to_char(m, 'YYYYMM'))) IS NULL THEN
      EXECUTE format(
        'CREATE TABLE IF NOT EXISTS %I PARTITION OF activity_days FOR VALUES FROM (%L) TO (%L)',
        format('activity_days_%s', to_char(m, 'YYYYMM')), m, (m + interval '1 month')::date);
      created := created + 1;
    END IF;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN created;
END $$;

-- Retention drops wait at most p_lock_timeout for their lock. DROP of a partition takes an
-- ACCESS EXCLUSIVE lock on the parent; waiting behind a long ingest statement, it would queue
-- every later ingest statement behind itself. A partition not dropped now is dropped by a later
-- round (the function returns what it dropped).
DROP FUNCTION IF EXISTS activity_drop_partitions_before(text, date);
CREATE OR REPLACE FUNCTION activity_drop_partitions_before(
  p_table text, p_before date, p_lock_timeout text DEFAULT '2s')
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  part record;
  dropped integer := 0;
BEGIN
  IF p_table NOT IN ('activity_readings', 'activity_minutes') THEN
    RAISE EXCEPTION 'activity_drop_partitions_before: % has no daily partitions', p_table;
  END IF;
  PERFORM set_config('lock_timeout', p_lock_timeout, true);
  FOR part IN
    SELECT c.relname
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname = p_table
       AND c.relname ~ '_[0-9]{8}$'
       AND to_date(right(c.relname, 8), 'YYYYMMDD') + 1 <= p_before
     ORDER BY c.relname
  LOOP
    BEGIN
      EXECUTE format('DROP TABLE IF EXISTS %I', part.relname);
      dropped := dropped + 1;
    EXCEPTION WHEN lock_not_available THEN
      -- Busy now: the lock is not taken, nobody waits behind us; the next round tries again.
      RAISE NOTICE 'activity_drop_partitions_before: % busy, kept for the next round', part.relname;
      EXIT;
    END;
  END LOOP;
  RETURN dropped;
END $$;
