/**
 * Auto-number fields (`LOG-{0000000}`, Case's `{00000000}`): a per-field counter rendered through
 * the display format, with `{YYYY}`/`{YY}`/`{MM}`/`{DD}` for the date of creation.
 */

const TOKEN = /\{(0+|YYYY|YY|MM|DD)\}/g;

export function formatAutoNumber(displayFormat: string, counter: number, now: Date): string {
  const rendered = displayFormat.replace(TOKEN, (_token, part: string) => {
    switch (part) {
      case 'YYYY':
        return String(now.getUTCFullYear());
      case 'YY':
        return String(now.getUTCFullYear()).slice(-2);
      case 'MM':
        return String(now.getUTCMonth() + 1).padStart(2, '0');
      case 'DD':
        return String(now.getUTCDate()).padStart(2, '0');
      default:
        return String(counter).padStart(part.length, '0');
    }
  });
  // A format without a number token (`{0}` missing) still yields distinct values.
  return rendered === displayFormat && !/\{0+\}/.test(displayFormat)
    ? `${displayFormat}${counter}`
    : rendered;
}

/** The counter a stored auto-number value was generated from (to resume after a restore). */
export function parseAutoNumber(displayFormat: string, value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  let pattern = '';
  let last = 0;
  let numberGroup = -1;
  let groups = 0;
  for (const match of displayFormat.matchAll(TOKEN)) {
    pattern += displayFormat.slice(last, match.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const part = match[1] ?? '';
    groups += 1;
    if (part.startsWith('0')) {
      numberGroup = groups;
      pattern += '(\\d+)';
    } else {
      pattern += `(\\d{${part.length}})`;
    }
    last = (match.index ?? 0) + match[0].length;
  }
  pattern += displayFormat.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (numberGroup < 0) {
    const tail = /(\d+)$/.exec(value);
    return tail ? Number(tail[1]) : undefined;
  }
  const found = new RegExp(`^${pattern}$`).exec(value);
  return found ? Number(found[numberGroup]) : undefined;
}
