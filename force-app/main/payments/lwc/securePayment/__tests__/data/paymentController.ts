/*
 * What PaymentController really returns, in one place, typed by force-app/types/apex.d.ts (whose
 * declarations the gate's apex-types check holds to the Apex). Every jest mock of the
 * PaymentController methods takes its value from here, never from an ad-hoc literal, and
 * paymentController.test.ts checks each message against the constants of PaymentController.cls:
 * a mock cannot say something the controller does not.
 */

/** The texts of PaymentController.cls, by the name of their constant there. */
export const APEX_TEXT = {
  MESSAGE_AUTHORISED: 'Payment received. Transaction reference: ',
  MESSAGE_DECLINED: 'Your card was declined: ',
  MESSAGE_DECLINED_END: '. No money was taken.',
  MESSAGE_UNKNOWN:
    'We did not get an answer about your payment in time. It may have gone through: do not pay again, we are checking it.',
  MESSAGE_ERROR:
    'The payment could not be processed and no money was taken. Please try again later.',
  CARD_NOT_READ: 'The card could not be read. Enter the card details again.',
  PAYMENT_IN_PROGRESS:
    'A payment for this invoice is already being processed or checked. Do not pay again: this invoice will be updated once it is settled.',
  NOT_YOUR_INVOICE: 'This invoice is not yours to pay.',
  OUTCOME_NOT_SAVED:
    'Your payment was sent but its outcome could not be saved. Do not pay again: it is being checked.'
} as const;

/** A support reference as IntegrationLogger makes them (a UUID). */
export const LOG_REFERENCE = '6f1c2d6e-2f0b-4f53-9a4e-1c2b3d4e5f60';

export const INVOICE_ID = 'a05000000000001AAA';

export const INVOICE: Apex.InvoiceView = {
  invoiceId: INVOICE_ID,
  invoiceNumber: 'INV-000042',
  amount: 149.95,
  currencyCode: 'AUD',
  status: 'Open',
  tokenizationUrl: 'http://127.0.0.1:8783/v2/tokens',
  merchantCode: '5AR0055'
};

export const START: Apex.PaymentStart = {
  paymentId: 'a06000000000001AAA',
  idempotencyKey: 'pay-7f3c9a2e-1b4d-4c8e-9f21-0a6b5d3e8c71'
};

/** `pay` outcomes, as PaymentController.viewOf/messageFor build them. */
export const OUTCOMES = {
  authorised: {
    status: 'Authorised',
    transactionId: 'SP-20261129-000001',
    cardBrand: 'VISA',
    cardLast4: '1111',
    message: `${APEX_TEXT.MESSAGE_AUTHORISED}SP-20261129-000001.`,
    logReference: null
  },
  /** Authorised without a transaction reference or brand (the gateway gave none). */
  authorisedWithoutReference: {
    status: 'Authorised',
    transactionId: null,
    cardBrand: null,
    cardLast4: '1111',
    message: `${APEX_TEXT.MESSAGE_AUTHORISED}pending.`,
    logReference: null
  },
  declined: {
    status: 'Declined',
    transactionId: 'SP-20261129-000002',
    cardBrand: 'VISA',
    cardLast4: '0002',
    message: `${APEX_TEXT.MESSAGE_DECLINED}Do not honour${APEX_TEXT.MESSAGE_DECLINED_END}`,
    logReference: null
  },
  unknown: {
    status: 'Unknown',
    transactionId: null,
    cardBrand: null,
    cardLast4: null,
    message: APEX_TEXT.MESSAGE_UNKNOWN,
    logReference: LOG_REFERENCE
  },
  error: {
    status: 'Error',
    transactionId: null,
    cardBrand: null,
    cardLast4: null,
    message: APEX_TEXT.MESSAGE_ERROR,
    logReference: LOG_REFERENCE
  }
} as const satisfies Record<string, Apex.PaymentView>;

/** How an AuraHandledException of PaymentController reaches the LWC. */
export function apexError(message: string): Apex.Error {
  return { body: { message }, status: 500, statusText: 'Server Error' };
}

/**
 * PaymentController.failure(message, reference): a thrown refusal carries its reference in the
 * message (its only channel).
 */
export function apexFailure(message: string, reference: string | null): Apex.Error {
  return apexError(reference ? `${message} Reference: ${reference}.` : message);
}
