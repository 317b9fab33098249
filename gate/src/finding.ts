/** One problem the gate found. `file` is relative to the project under check. */
export interface Finding {
  check: string;
  file: string;
  line?: number;
  column?: number;
  /** `error` fails the gate; `warning` is reported only. */
  severity: 'error' | 'warning';
  rule?: string;
  message: string;
}

/** What every check returns; a check never throws for a defect it finds, only for its own failure. */
export interface CheckResult {
  findings: Finding[];
  /** A short line for the summary, e.g. "42 files". */
  summary?: string;
}

/** Formats a finding the way compilers do, so editors and CI logs link straight to the line. */
export function formatFinding(f: Finding): string {
  const where = [f.file, f.line, f.line !== undefined ? f.column : undefined]
    .filter((part) => part !== undefined)
    .join(':');
  const rule = f.rule ? ` (${f.rule})` : '';
  return `${where}  ${f.severity} [${f.check}]${rule} ${f.message}`;
}
