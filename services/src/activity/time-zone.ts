// What a user's time zone may be: an IANA zone name (Europe/Berlin, America/Argentina/Buenos_Aires,
// UTC) that both Intl (the API's "today") and PostgreSQL (AT TIME ZONE of the rollups) know.
// Offset and POSIX forms are refused everywhere: Intl reads '+05:30' as UTC+5:30 while
// PostgreSQL reads POSIX offsets with the opposite sign (east of Greenwich is negative), so one
// stored value would give two different days. The same rule is migration 0009's trigger
// (activity_users_time_zone_check): keep TIME_ZONE_PATTERN and EXCLUDED in step with it.

/**
 * UTC, or Area/Location: letters first, then /-separated segments of letters, digits, `_`, `+`,
 * `-` (America/Argentina/Buenos_Aires, Etc/GMT+5). Names without a slash are refused (but UTC):
 * they are abbreviations (PST, which ICU's Intl takes and PostgreSQL does not), ICU-only ids or
 * legacy links (Japan, EST5EDT) that no registration needs.
 */
export const TIME_ZONE_PATTERN = /^(UTC|[A-Za-z]+(\/[A-Za-z0-9_+-]+)+)$/;
/** Names PostgreSQL's tz directory holds that are not zones of the IANA database proper. */
const EXCLUDED = /^(posixrules|Factory|posix\/.*|right\/.*)$/;

/** true for an IANA zone name (TIME_ZONE_PATTERN) of at most 64 characters that Intl knows. */
export function isTimeZone(zone: string): boolean {
  if (zone.length > 64 || !TIME_ZONE_PATTERN.test(zone) || EXCLUDED.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
