/**
 * Card rules of the simulated gateway: the Luhn check, brand detection from the number's
 * prefix, the CVV length per brand, expiry, and the test cards and what a payment with each
 * one does. Only the outcome (`CardBehaviour`) is kept with a token, never the number.
 */

export type CardBrand =
  'VISA' | 'MASTERCARD' | 'AMEX' | 'DINERS' | 'DISCOVER' | 'JCB' | 'UNIONPAY' | 'UNKNOWN';

export interface CardOutcome {
  status: 'paid' | 'failed';
  gatewayResponseCode: string;
  gatewayResponseMessage: string;
  errorCode: string | null;
}

/**
 * What a payment with a card does: an outcome, and for TIMEOUT a held answer. `appliedLate`
 * (TIMEOUT_LATE): the charge is applied but shows in `GET /v2/payments/{orderId}` only once the
 * gateway's processing window has passed.
 */
export interface CardBehaviour extends CardOutcome {
  holdAnswer: boolean;
  appliedLate?: boolean;
}

const APPROVED: CardOutcome = {
  status: 'paid',
  gatewayResponseCode: '00',
  gatewayResponseMessage: 'Approved',
  errorCode: null
};

function declined(code: string, message: string, errorCode: string): CardOutcome {
  return {
    status: 'failed',
    gatewayResponseCode: code,
    gatewayResponseMessage: message,
    errorCode
  };
}

/** The documented test cards by name (any future expiry, any CVV of the right length). */
export const TEST_CARD_NUMBERS = {
  visa: '4111111111111111',
  mastercard: '5555555555554444',
  amex: '378282246310005',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  expired: '4000000000000069',
  /** Paid, but the answer is held for timeoutHoldMs: the client times out. */
  timeout: '4000000000000119',
  /**
   * Paid, the answer held like TIMEOUT, and the payment unknown to the lookup until the
   * processing window (processingWindowMs) has passed: a timed-out charge the gateway applied
   * late. Reconciliation must not call it "not charged" within the window.
   */
  timeoutLate: '4000000000000127'
} as const;

const CARDS = TEST_CARD_NUMBERS;

/** What a payment with each test card does. */
export const TEST_CARDS: Readonly<Record<string, CardBehaviour>> = {
  [CARDS.visa]: { ...APPROVED, holdAnswer: false },
  [CARDS.mastercard]: { ...APPROVED, holdAnswer: false },
  [CARDS.amex]: { ...APPROVED, holdAnswer: false },
  [CARDS.declined]: { ...declined('05', 'Do not honour', 'card_declined'), holdAnswer: false },
  [CARDS.insufficientFunds]: {
    ...declined('51', 'Insufficient funds', 'insufficient_funds'),
    holdAnswer: false
  },
  [CARDS.expired]: { ...declined('54', 'Expired card', 'expired_card'), holdAnswer: false },
  [CARDS.timeout]: { ...APPROVED, holdAnswer: true },
  [CARDS.timeoutLate]: { ...APPROVED, holdAnswer: true, appliedLate: true }
};

export function behaviourOf(cardNumber: string): CardBehaviour {
  return TEST_CARDS[cardNumber] ?? { ...APPROVED, holdAnswer: false };
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return digits.length > 0 && sum % 10 === 0;
}

const BRAND_PREFIXES: ReadonlyArray<[CardBrand, RegExp]> = [
  ['AMEX', /^3[47]/],
  ['VISA', /^4/],
  ['MASTERCARD', /^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/],
  ['DINERS', /^(30[0-5]|36|38|39)/],
  ['JCB', /^35(2[89]|[3-8]\d)/],
  ['DISCOVER', /^(6011|64[4-9]|65)/],
  ['UNIONPAY', /^62/]
];

export function detectBrand(digits: string): CardBrand {
  return BRAND_PREFIXES.find(([, prefix]) => prefix.test(digits))?.[0] ?? 'UNKNOWN';
}

export function cvvLength(brand: CardBrand): number {
  return brand === 'AMEX' ? 4 : 3;
}

/** A card is valid through the last day of its expiry month (UTC). */
export function expired(month: number, year: number, now: Date): boolean {
  return year * 12 + (month - 1) < now.getUTCFullYear() * 12 + now.getUTCMonth();
}
