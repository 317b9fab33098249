/**
 * What a check finds, decided by the subject's passport number so that tests choose the outcome:
 * a number ending in 9 is `not_clear`, ending in 8 `inconclusive`, anything else `clear` (the
 * contract's example PA1234567 is clear).
 */
export type CheckResult = 'clear' | 'not_clear' | 'inconclusive';

export const TEST_PASSPORTS = {
  clear: 'PA1234567',
  notClear: 'PA1234569',
  inconclusive: 'PA1234568'
} as const;

export function resultFor(passportNumber: string): { result: CheckResult; notes: string | null } {
  if (passportNumber.endsWith('9')) {
    return { result: 'not_clear', notes: 'The subject matches a watch-list entry (simulated)' };
  }
  if (passportNumber.endsWith('8')) {
    return {
      result: 'inconclusive',
      notes: 'The identity could not be confirmed from the photo (simulated)'
    };
  }
  return { result: 'clear', notes: null };
}
