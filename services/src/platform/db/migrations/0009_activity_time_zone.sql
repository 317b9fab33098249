-- 0009_activity_time_zone: what activity_users.time_zone and the rollup totals may hold.
--
-- activity_users.time_zone: an IANA zone name both Intl (the API's "today") and PostgreSQL
--   (AT TIME ZONE of the rollups) know, never an offset or POSIX string: Intl reads '+05:30' as
--   UTC+5:30, PostgreSQL reads POSIX offsets with the opposite sign, so one value would give two
--   different days. Same rule as services/src/activity/time-zone.ts (keep them in step).
--   A trigger, not a CHECK: whether PostgreSQL knows a zone depends on its tz data, which a
--   CHECK may not consult (it must be immutable; a lying IMMUTABLE function would make a dump
--   fail to restore on a server with other tz data). The lookup is SET LOCAL TimeZone, which
--   accepts zone names and POSIX specs but not abbreviations (PST), and costs microseconds once
--   the zone is loaded; pg_timezone_names would read the whole tz directory (~50 ms a row). The
--   pattern (UTC or Area/Location) refuses every POSIX spec (they need digits in the first
--   segment) and every abbreviation or slash-less legacy name before the lookup.
--   Rows stored before this migration are not checked; the API answers 409 time_zone_invalid
--   for a user whose stored zone is invalid.
CREATE OR REPLACE FUNCTION activity_users_time_zone_check()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  previous text := current_setting('TimeZone');
BEGIN
  IF length(NEW.time_zone) > 64
     OR NEW.time_zone !~ '^(UTC|[A-Za-z]+(/[A-Za-z0-9_+-]+)+)$'
     OR NEW.time_zone ~ '^(posixrules|Factory|posix/.*|right/.*)$' THEN
    RAISE EXCEPTION 'activity_users.time_zone must be an IANA time zone name'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'activity_users_time_zone_check';
  END IF;
  BEGIN
    PERFORM set_config('TimeZone', NEW.time_zone, true);
  EXCEPTION WHEN invalid_parameter_value THEN
    RAISE EXCEPTION 'activity_users.time_zone must be an IANA time zone name'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'activity_users_time_zone_check';
  END;
  -- The transaction's own setting back (set_config ... true lasts to the transaction's end).
  PERFORM set_config('TimeZone', previous, true);
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS activity_users_time_zone_check ON activity_users;
CREATE TRIGGER activity_users_time_zone_check
  BEFORE INSERT OR UPDATE OF time_zone ON activity_users
  FOR EACH ROW EXECUTE FUNCTION activity_users_time_zone_check();

-- activity_days / activity_minutes: calories and active minutes are finite and not negative
--   (NaN is greater than 'Infinity' in PostgreSQL, so `< 'Infinity'` refuses it too). Ingestion
--   validates every reading; this keeps a non-finite value, which JSON cannot carry and which
--   made the API fail, out of the tables whatever writes them.
--   NOT VALID: new and updated rows are checked from now on, existing rows are not scanned. A
--   scan of every monthly/daily partition would run under this migration's ACCESS EXCLUSIVE
--   lock and stop ingestion meanwhile. Validate when convenient (SHARE UPDATE EXCLUSIVE lock:
--   reads and writes go on):
--     ALTER TABLE activity_days VALIDATE CONSTRAINT activity_days_finite;
--     ALTER TABLE activity_minutes VALIDATE CONSTRAINT activity_minutes_finite;
ALTER TABLE activity_days DROP CONSTRAINT IF EXISTS activity_days_finite;
ALTER TABLE activity_days ADD CONSTRAINT activity_days_finite CHECK (
  calories >= 0 AND calories < 'Infinity' AND active_minutes >= 0 AND active_minutes < 'Infinity'
) NOT VALID;
ALTER TABLE activity_minutes DROP CONSTRAINT IF EXISTS activity_minutes_finite;
ALTER TABLE activity_minutes ADD CONSTRAINT activity_minutes_finite CHECK (
  calories >= 0 AND calories < 'Infinity' AND active_minutes >= 0 AND active_minutes < 'Infinity'
) NOT VALID;
