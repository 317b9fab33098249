import { LightningElement, api, wire } from 'lwc';
import getInvoice from '@salesforce/apex/PaymentController.getInvoice';
import startPayment from '@salesforce/apex/PaymentController.startPayment';
import pay from '@salesforce/apex/PaymentController.pay';
import {
  CARD_FIELDS,
  validateCard,
  type CardField,
  type TokenizationRequest
} from './cardValidation';
import { apexErrorMessage } from 'c/apexErrors';

export type PaymentState =
  | 'loading'
  | 'loadError'
  | 'paid'
  | 'ready'
  | 'processing'
  | 'success'
  | 'declined'
  | 'unknown'
  | 'error';

/** What the tokenization endpoint gave back: a single-use token, or why not. */
type Tokenization = { ok: true; token: string } | { ok: false; message: string };

interface TokenResponse {
  token?: string;
  errors?: { code?: string; detail?: string }[];
}

const TOKENIZATION_UNAVAILABLE =
  'Your card could not be checked right now. Nothing was charged. Please try again in a moment.';
const UNKNOWN_GUIDANCE =
  'Please do not pay again: we are checking the status of this payment with the bank and will update this invoice.';

/** The support reference as the page says it, or nothing. */
function referenceSentence(logReference: string | null): string {
  return logReference ? ` Reference: ${logReference}` : '';
}

/** The user-facing message of a failed Apex call (c/apexErrors). */
export const messageOf = (error: unknown): string => apexErrorMessage(error);

/**
 * Posts the card straight from the browser to the gateway's tokenization endpoint, so the card
 * number and CVV never reach Salesforce. Answers 201 `{ token }` or 400 `{ errors: [{ detail }] }`.
 */
async function tokenize(
  url: string,
  merchantCode: string,
  card: TokenizationRequest
): Promise<Tokenization> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Merchant-Code': merchantCode },
      body: JSON.stringify(card)
    });
  } catch {
    return { ok: false, message: TOKENIZATION_UNAVAILABLE };
  }
  const body = (await response.json().catch(() => ({}))) as TokenResponse;
  if (response.status === 201 && body.token) return { ok: true, token: body.token };
  if (response.status === 400) {
    const details = (body.errors ?? []).map((e) => e.detail).filter(Boolean);
    if (details.length) return { ok: false, message: details.join(' ') };
  }
  return { ok: false, message: TOKENIZATION_UNAVAILABLE };
}

/**
 * Pays an invoice by card in the Experience Cloud portal (Scenario 2). The amount shown comes
 * from the invoice record and is never sent from the browser; the card goes only to the
 * gateway's tokenization endpoint and Salesforce receives a single-use token.
 */
export default class SecurePayment extends LightningElement {
  @api recordId?: string;

  state: PaymentState = 'loading';
  invoice?: Apex.InvoiceView;
  outcome?: Apex.PaymentView;
  errorMessage = '';
  logReference: string | null = null;
  announcement = 'Loading the invoice.';
  fieldErrors: Partial<Record<CardField, string>> = {};

  cardholderName = '';
  cardNumber = '';
  expiry = '';
  cvv = '';

  private focusTarget?: string;

  @wire(getInvoice, { invoiceId: '$recordId' })
  wiredInvoice({ data, error }: Apex.WireResult<Apex.InvoiceView>): void {
    if (data) {
      this.invoice = data;
      if (this.state !== 'loading' && this.state !== 'loadError') return;
      if (data.status === 'Paid') {
        this.setState('paid', `Invoice ${data.invoiceNumber} is already paid.`);
      } else {
        this.setState('ready', `Invoice ${data.invoiceNumber} is ready to pay.`, false);
      }
    } else if (error) {
      this.invoice = undefined;
      this.errorMessage = messageOf(error);
      this.setState('loadError', `The invoice could not be loaded: ${this.errorMessage}`);
    }
  }

  // ---- template state ----

  get isLoading(): boolean {
    return this.state === 'loading';
  }
  get isLoadError(): boolean {
    return this.state === 'loadError';
  }
  get isPaid(): boolean {
    return this.state === 'paid';
  }
  get isProcessing(): boolean {
    return this.state === 'processing';
  }
  get isSuccess(): boolean {
    return this.state === 'success';
  }
  get isDeclined(): boolean {
    return this.state === 'declined';
  }
  get isUnknown(): boolean {
    return this.state === 'unknown';
  }
  get isError(): boolean {
    return this.state === 'error';
  }
  get hasInvoice(): boolean {
    return !!this.invoice && !this.isLoadError;
  }
  /** The form is offered while the invoice is open and no payment has gone through or is in doubt. */
  get showForm(): boolean {
    return ['ready', 'processing', 'declined', 'error'].includes(this.state);
  }
  get payLabel(): string {
    return this.isProcessing ? 'Processing…' : 'Pay now';
  }
  get cardSummary(): string {
    const brand = this.outcome?.cardBrand;
    const last4 = this.outcome?.cardLast4;
    if (brand && last4) return `${brand} ending in ${last4}`;
    return last4 ? `Card ending in ${last4}` : '';
  }
  get unknownGuidance(): string {
    return UNKNOWN_GUIDANCE;
  }

  get cardholderNameError(): string | undefined {
    return this.fieldErrors.cardholderName;
  }
  get cardNumberError(): string | undefined {
    return this.fieldErrors.cardNumber;
  }
  get expiryError(): string | undefined {
    return this.fieldErrors.expiry;
  }
  get cvvError(): string | undefined {
    return this.fieldErrors.cvv;
  }
  /** The error's id only while the field has one: aria-describedby must name an element. */
  get cardholderNameDescribedBy(): string | undefined {
    return this.describedBy('cardholderName');
  }
  get cardNumberDescribedBy(): string | undefined {
    return this.describedBy('cardNumber');
  }
  get expiryDescribedBy(): string | undefined {
    return this.describedBy('expiry');
  }
  get cvvDescribedBy(): string | undefined {
    return this.describedBy('cvv');
  }
  get amountLabel(): string {
    return this.isSuccess || this.isPaid ? 'Amount paid' : 'Amount due';
  }
  get cardholderNameInvalid(): string {
    return String(!!this.fieldErrors.cardholderName);
  }
  get cardNumberInvalid(): string {
    return String(!!this.fieldErrors.cardNumber);
  }
  get expiryInvalid(): string {
    return String(!!this.fieldErrors.expiry);
  }
  get cvvInvalid(): string {
    return String(!!this.fieldErrors.cvv);
  }
  get cardholderNameClass(): string {
    return this.formElementClass('cardholderName');
  }
  get cardNumberClass(): string {
    return this.formElementClass('cardNumber');
  }
  get expiryClass(): string {
    return this.formElementClass('expiry');
  }
  get cvvClass(): string {
    return this.formElementClass('cvv');
  }

  private describedBy(field: CardField): string | undefined {
    return this.fieldErrors[field] ? `${field}-error` : undefined;
  }

  private formElementClass(field: CardField): string {
    return this.fieldErrors[field]
      ? 'slds-form-element slds-has-error slds-m-bottom_small'
      : 'slds-form-element slds-m-bottom_small';
  }

  // ---- events ----

  handleInput(event: Event): void {
    const input = event.target as HTMLInputElement;
    const field = input.dataset.field as CardField;
    this[field] = input.value;
    if (this.fieldErrors[field]) {
      const rest = { ...this.fieldErrors };
      delete rest[field];
      this.fieldErrors = rest;
    }
  }

  async handleSubmit(event: Event): Promise<void> {
    event.preventDefault();
    // No double submit: a second submit while one is in flight is ignored.
    if (this.isProcessing || !this.invoice || !this.showForm) return;
    const invoice = this.invoice;

    const check = validateCard(
      {
        cardholderName: this.cardholderName,
        cardNumber: this.cardNumber,
        expiry: this.expiry,
        cvv: this.cvv
      },
      new Date()
    );
    this.fieldErrors = check.errors;
    if (!check.valid || !check.request) {
      const count = Object.keys(check.errors).length;
      this.announcement = `Please correct ${count} ${count === 1 ? 'field' : 'fields'} in the card details.`;
      this.focusTarget = `[data-field="${CARD_FIELDS.find((f) => check.errors[f])}"]`;
      return;
    }

    this.outcome = undefined;
    this.logReference = null;
    this.errorMessage = '';
    this.setState('processing', 'Processing your payment. Please wait.', false);

    // The card is tokenized first: a card the gateway refuses never creates a payment record.
    let tokenization: Tokenization;
    try {
      tokenization = await tokenize(invoice.tokenizationUrl, invoice.merchantCode, check.request);
    } finally {
      // The card number and CVV are done with as soon as the gateway has answered.
      this.cardNumber = '';
      this.cvv = '';
    }
    if (!tokenization.ok) {
      this.fail(`Your card was not accepted: ${tokenization.message}`, null);
      return;
    }

    let start: Apex.PaymentStart;
    try {
      start = await startPayment({
        invoiceId: invoice.invoiceId,
        paymentToken: tokenization.token
      });
    } catch (error) {
      this.fail(`The payment could not be started: ${messageOf(error)}`, null);
      return;
    }

    try {
      const outcome = await pay({ paymentId: start.paymentId, paymentToken: tokenization.token });
      this.applyOutcome(outcome);
    } catch (error) {
      this.fail(`The payment could not be completed: ${messageOf(error)}`, null);
    }
  }

  renderedCallback(): void {
    if (!this.focusTarget) return;
    const target = this.template?.querySelector<HTMLElement>(this.focusTarget);
    if (target) {
      this.focusTarget = undefined;
      target.focus();
    }
  }

  // ---- helpers ----

  private applyOutcome(outcome: Apex.PaymentView): void {
    this.outcome = outcome;
    switch (outcome.status) {
      case 'Authorised':
        this.setState(
          'success',
          `Payment received. Transaction reference ${outcome.transactionId ?? 'pending'}.`
        );
        break;
      case 'Declined':
        this.errorMessage = outcome.message;
        this.setState('declined', outcome.message);
        break;
      case 'Unknown':
        this.errorMessage = outcome.message;
        this.logReference = outcome.logReference;
        this.setState(
          'unknown',
          `${outcome.message} ${UNKNOWN_GUIDANCE}${referenceSentence(outcome.logReference)}`
        );
        break;
      default:
        this.fail(outcome.message, outcome.logReference);
    }
  }

  /**
   * The error state. `message` is shown as it is; `logReference` (the outcome's own field) is
   * shown once, in its own line: PaymentController never puts it into an outcome's message.
   */
  private fail(message: string, logReference: string | null): void {
    this.errorMessage = message;
    this.logReference = logReference;
    this.setState('error', `Payment failed: ${message}${referenceSentence(logReference)}`);
  }

  private setState(state: PaymentState, announcement: string, focusResult = true): void {
    this.state = state;
    this.announcement = announcement;
    if (focusResult) this.focusTarget = '.result';
  }
}
