import { createElement } from 'lwc';
import { createApexTestWireAdapter } from '@salesforce/sfdx-lwc-jest';
import SecurePayment, { messageOf } from 'c/securePayment';
import getInvoice from '@salesforce/apex/PaymentController.getInvoice';
import startPayment from '@salesforce/apex/PaymentController.startPayment';
import pay from '@salesforce/apex/PaymentController.pay';
import {
  APEX_TEXT,
  INVOICE,
  INVOICE_ID,
  LOG_REFERENCE,
  OUTCOMES,
  START,
  apexError,
  apexFailure
} from './data/paymentController';

jest.mock(
  '@salesforce/apex/PaymentController.getInvoice',
  () => {
    const lwcJest = require('@salesforce/sfdx-lwc-jest');
    return { default: lwcJest.createApexTestWireAdapter(jest.fn()) };
  },
  { virtual: true }
);
jest.mock('@salesforce/apex/PaymentController.startPayment', () => ({ default: jest.fn() }), {
  virtual: true
});
jest.mock('@salesforce/apex/PaymentController.pay', () => ({ default: jest.fn() }), {
  virtual: true
});

type TestWireAdapter = ReturnType<typeof createApexTestWireAdapter>;
const invoiceWire = getInvoice as unknown as TestWireAdapter;
const startPaymentMock = startPayment as unknown as jest.Mock;
const payMock = pay as unknown as jest.Mock;
let fetchMock: jest.Mock;

const TOKEN = 'tok_4f9d2c7be01a4b6f9a3e5d8c1f7b2a60';
const VISA = '4111 1111 1111 1111';
const YY = String((new Date().getFullYear() + 3) % 100).padStart(2, '0');
const EXPIRY = `12/${YY}`;
const GOOD_CARD = { cardholderName: 'Jo Citizen', cardNumber: VISA, expiry: EXPIRY, cvv: '123' };

const AUTHORISED: Apex.PaymentView = OUTCOMES.authorised;

function response(status: number, body: unknown): Response {
  return { status, json: () => Promise.resolve(body) } as unknown as Response;
}

function mount(): HTMLElement & { recordId?: string } {
  const element = createElement('c-secure-payment', { is: SecurePayment });
  Object.assign(element, { recordId: INVOICE_ID });
  document.body.appendChild(element);
  return element;
}

/** Lets the chain of awaits in a submit (Apex, fetch, response.json, Apex) settle. */
function flush(): Promise<void> {
  let chain = Promise.resolve();
  for (let i = 0; i < 12; i++) chain = chain.then(() => undefined);
  return chain;
}

async function mountReady(): Promise<{ element: HTMLElement; root: ShadowRoot }> {
  const element = mount();
  invoiceWire.emit(INVOICE);
  await flush();
  return { element, root: element.shadowRoot! };
}

function input(root: ShadowRoot, field: string): HTMLInputElement {
  return root.querySelector<HTMLInputElement>(`input[data-field="${field}"]`)!;
}

function fill(root: ShadowRoot, card: Record<string, string>): void {
  for (const [field, value] of Object.entries(card)) {
    const el = input(root, field);
    el.value = value;
    el.dispatchEvent(new CustomEvent('input'));
  }
}

function submit(root: ShadowRoot): void {
  root
    .querySelector('form')!
    .dispatchEvent(new CustomEvent('submit', { cancelable: true, bubbles: true }));
}

function text(root: ShadowRoot, selector: string): string {
  return root.querySelector(selector)?.textContent?.trim() ?? '';
}

function announcement(root: ShadowRoot): string {
  return text(root, '[aria-live="polite"]');
}

/** How often `needle` appears in the visible result box (the announcer is not visible). */
function shownInResult(root: ShadowRoot, needle: string): number {
  return (text(root, '.result').split(needle).length ?? 1) - 1;
}

/** Every argument any Apex method received, serialised: no card data may appear in it. */
function apexTraffic(): string {
  return JSON.stringify([startPaymentMock.mock.calls, payMock.mock.calls]);
}

async function payWith(outcome: Apex.PaymentView): Promise<ShadowRoot> {
  startPaymentMock.mockResolvedValue(START);
  fetchMock.mockResolvedValue(response(201, { token: TOKEN, brand: 'VISA', last4: '1111' }));
  payMock.mockResolvedValue(outcome);
  const { root } = await mountReady();
  fill(root, GOOD_CARD);
  await flush();
  submit(root);
  await flush();
  return root;
}

describe('c-secure-payment', () => {
  beforeEach(() => {
    fetchMock = jest.fn();
    (globalThis as unknown as { fetch: jest.Mock }).fetch = fetchMock;
  });

  afterEach(() => {
    while (document.body.firstChild) document.body.removeChild(document.body.firstChild);
    jest.resetAllMocks();
  });

  it('shows a spinner and announces loading until the invoice arrives', async () => {
    const element = mount();
    await flush();
    const root = element.shadowRoot!;
    expect(invoiceWire.getLastConfig()).toEqual({ invoiceId: INVOICE_ID });
    expect(root.querySelector('lightning-spinner')).not.toBeNull();
    expect(root.querySelector('form')).toBeNull();
    expect(announcement(root)).toBe('Loading the invoice.');
  });

  it('renders the invoice number, the amount as currency and a labelled card form', async () => {
    const { root } = await mountReady();
    expect(text(root, '.invoice-number')).toBe('INV-000042');
    const amount = root.querySelector('lightning-formatted-number') as HTMLElement & {
      value: number;
      currencyCode: string;
      formatStyle: string;
    };
    expect(amount.value).toBe(149.95);
    expect(amount.currencyCode).toBe('AUD');
    expect(amount.formatStyle).toBe('currency');
    for (const field of ['cardholderName', 'cardNumber', 'expiry', 'cvv']) {
      const el = input(root, field);
      const label = root.querySelector(`label[for="${el.id}"]`);
      expect(label?.textContent).toBeTruthy();
      expect(label?.querySelector('abbr.slds-required')).not.toBeNull();
      expect(el.getAttribute('aria-invalid')).toBe('false');
      // No error yet: aria-describedby must not name an element that does not exist.
      expect(el.hasAttribute('aria-describedby')).toBe(false);
      expect(el.disabled).toBe(false);
    }
    expect(text(root, '.amount-label')).toBe('Amount due');
    expect(root.querySelector('lightning-spinner')).toBeNull();
    expect(announcement(root)).toBe('Invoice INV-000042 is ready to pay.');
    expect(text(root, '.pay-button')).toBe('Pay now');
  });

  it('offers no form for an invoice that is already paid', async () => {
    const element = mount();
    invoiceWire.emit({ ...INVOICE, status: 'Paid' });
    await flush();
    const root = element.shadowRoot!;
    expect(root.querySelector('form')).toBeNull();
    expect(text(root, '.already-paid')).toContain('already been paid');
    expect(announcement(root)).toBe('Invoice INV-000042 is already paid.');
    expect(text(root, '.amount-label')).toBe('Amount paid');
    expect(root.activeElement).toBe(root.querySelector('.already-paid'));
  });

  it('shows the server message when the invoice cannot be loaded', async () => {
    const element = mount();
    invoiceWire.error({ message: 'This invoice does not belong to your account.' });
    await flush();
    const root = element.shadowRoot!;
    expect(root.querySelector('form')).toBeNull();
    expect(root.querySelector('.invoice')).toBeNull();
    expect(text(root, '.load-error .message')).toBe(
      'This invoice does not belong to your account.'
    );
    expect(announcement(root)).toContain('This invoice does not belong to your account.');
  });

  describe('client-side checks (nothing is sent)', () => {
    async function rejected(
      card: Partial<typeof GOOD_CARD>
    ): Promise<{ root: ShadowRoot; errorOf: (field: string) => string }> {
      const { root } = await mountReady();
      fill(root, { ...GOOD_CARD, ...card });
      await flush();
      submit(root);
      await flush();
      expect(startPaymentMock).not.toHaveBeenCalled();
      expect(fetchMock).not.toHaveBeenCalled();
      expect(payMock).not.toHaveBeenCalled();
      const errorOf = (field: string): string => {
        const el = input(root, field);
        if (el.getAttribute('aria-invalid') !== 'true') return '';
        const describedBy = el.getAttribute('aria-describedby')!;
        return root.querySelector(`[id="${describedBy}"]`)?.textContent?.trim() ?? '';
      };
      return { root, errorOf };
    }

    it('rejects a number that fails the Luhn check and focuses it', async () => {
      const { root, errorOf } = await rejected({ cardNumber: '4111 1111 1111 1112' });
      expect(errorOf('cardNumber')).toContain('not valid');
      expect(errorOf('cardholderName')).toBe('');
      expect(input(root, 'cardNumber').closest('.slds-form-element')!.className).toContain(
        'slds-has-error'
      );
      expect(root.activeElement).toBe(input(root, 'cardNumber'));
      expect(announcement(root)).toBe('Please correct 1 field in the card details.');
    });

    it('rejects an expired card', async () => {
      const { errorOf } = await rejected({ expiry: '01/20' });
      expect(errorOf('expiry')).toBe('This card has expired.');
    });

    it('rejects a malformed expiry and a missing name', async () => {
      const { root, errorOf } = await rejected({ expiry: '13/30', cardholderName: ' ' });
      expect(errorOf('expiry')).toContain('MM/YY');
      expect(errorOf('cardholderName')).toContain('name');
      expect(root.activeElement).toBe(input(root, 'cardholderName'));
      expect(announcement(root)).toBe('Please correct 2 fields in the card details.');
    });

    it('rejects a CVV that is not 3 digits', async () => {
      const { errorOf } = await rejected({ cvv: '12' });
      expect(errorOf('cvv')).toContain('3-digit');
    });

    it('applies the Amex rules: 4-digit CVV and 15 digits', async () => {
      const amex = await rejected({ cardNumber: '3782 822463 10005', cvv: '123' });
      expect(amex.errorOf('cardNumber')).toBe('');
      expect(amex.errorOf('cvv')).toContain('4-digit');
      document.body.removeChild(document.body.firstChild!);
      const long = await rejected({ cardNumber: '3782822463100051', cvv: '1234' });
      expect(long.errorOf('cardNumber')).toContain('wrong number of digits');
    });

    it('rejects a brand it does not accept', async () => {
      const { errorOf } = await rejected({ cardNumber: '6011111111111117' });
      expect(errorOf('cardNumber')).toContain('Visa, Mastercard and American Express');
    });

    it('clears a field error as the user corrects the field', async () => {
      const { root, errorOf } = await rejected({ cvv: '1' });
      expect(errorOf('cvv')).not.toBe('');
      fill(root, { cvv: '123' });
      await flush();
      expect(errorOf('cvv')).toBe('');
      expect(input(root, 'cvv').getAttribute('aria-invalid')).toBe('false');
      fill(root, { cardholderName: 'J' }); // a field without an error stays as it is
      await flush();
      expect(input(root, 'cardholderName').getAttribute('aria-invalid')).toBe('false');
    });
  });

  it('pays with the gateway token only: success shows the reference, brand and last 4', async () => {
    startPaymentMock.mockResolvedValue(START);
    fetchMock.mockResolvedValue(response(201, { token: TOKEN, brand: 'VISA', last4: '1111' }));
    payMock.mockResolvedValue(AUTHORISED);
    const { root } = await mountReady();
    fill(root, GOOD_CARD);
    await flush();
    // The submit button submits the form, as Enter in any field does.
    root.querySelector<HTMLButtonElement>('.pay-button')!.click();
    await flush();

    expect(startPaymentMock).toHaveBeenCalledTimes(1);
    expect(startPaymentMock).toHaveBeenCalledWith({ invoiceId: INVOICE_ID, paymentToken: TOKEN });
    expect(fetchMock).toHaveBeenCalledTimes(1);
    // Tokenization first: the Pending payment is created only for a card the gateway accepted.
    expect(fetchMock.mock.invocationCallOrder[0]).toBeLessThan(
      startPaymentMock.mock.invocationCallOrder[0]!
    );
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe(INVOICE.tokenizationUrl);
    expect(init.method).toBe('POST');
    expect(init.headers).toEqual({
      'Content-Type': 'application/json',
      'X-Merchant-Code': '5AR0055'
    });
    expect(JSON.parse(init.body as string)).toEqual({
      cardNumber: '4111111111111111',
      expiryMonth: 12,
      expiryYear: 2000 + Number(YY),
      cvv: '123',
      cardholderName: 'Jo Citizen'
    });
    expect(payMock).toHaveBeenCalledWith({ paymentId: START.paymentId, paymentToken: TOKEN });

    // No card field, and no amount, ever goes to Apex.
    const traffic = apexTraffic();
    for (const secret of [
      '4111111111111111',
      '1111 1111',
      EXPIRY,
      '"123"',
      'cvv',
      'card',
      'amount'
    ])
      expect(traffic).not.toContain(secret);

    expect(root.querySelector('form')).toBeNull();
    const result = root.querySelector('.success')!;
    expect(result.textContent).toContain('Payment received');
    expect(text(root, '.transaction-id')).toBe('SP-20261129-000001');
    expect(text(root, '.card-summary')).toBe('VISA ending in 1111');
    expect(root.activeElement).toBe(result);
    expect(announcement(root)).toBe('Payment received. Transaction reference SP-20261129-000001.');
    expect(text(root, '.amount-label')).toBe('Amount paid');
  });

  it('shows the last 4 alone when the gateway gives no brand', async () => {
    const root = await payWith(OUTCOMES.authorisedWithoutReference);
    expect(text(root, '.card-summary')).toBe('Card ending in 1111');
    expect(announcement(root)).toContain('Transaction reference pending');
  });

  it('shows the gateway reason on a decline and lets the user try another card', async () => {
    const root = await payWith(OUTCOMES.declined);
    expect(text(root, '.declined .message')).toBe(OUTCOMES.declined.message);
    expect(text(root, '.declined .message')).toContain('Do not honour');
    expect(root.activeElement).toBe(root.querySelector('.declined'));
    expect(announcement(root)).toBe(OUTCOMES.declined.message);
    expect(root.querySelector('form')).not.toBeNull();
    expect(input(root, 'cardNumber').value).toBe('');
    expect(input(root, 'cvv').value).toBe('');
    expect(input(root, 'cardholderName').value).toBe('Jo Citizen');
    expect(root.querySelector<HTMLButtonElement>('.pay-button')!.disabled).toBe(false);
  });

  it('tells the user not to pay again when the outcome is unknown, with the reference once', async () => {
    const root = await payWith(OUTCOMES.unknown);
    expect(root.querySelector('form')).toBeNull();
    expect(text(root, '.unknown .message')).toBe(APEX_TEXT.MESSAGE_UNKNOWN);
    expect(text(root, '.unknown .guidance')).toContain('do not pay again');
    expect(text(root, '.unknown .log-reference')).toBe(`Reference: ${LOG_REFERENCE}`);
    expect(shownInResult(root, LOG_REFERENCE)).toBe(1);
    expect(announcement(root)).toContain('do not pay again');
    expect(announcement(root).split(LOG_REFERENCE)).toHaveLength(2);
    expect(root.activeElement).toBe(root.querySelector('.unknown'));
  });

  it('shows the error with the integration log reference, once', async () => {
    const root = await payWith(OUTCOMES.error);
    expect(text(root, '.error .message')).toBe(APEX_TEXT.MESSAGE_ERROR);
    expect(text(root, '.log-reference')).toBe(`Reference: ${LOG_REFERENCE}`);
    expect(shownInResult(root, LOG_REFERENCE)).toBe(1);
    expect(announcement(root)).toBe(
      `Payment failed: ${APEX_TEXT.MESSAGE_ERROR} Reference: ${LOG_REFERENCE}`
    );
    expect(root.activeElement).toBe(root.querySelector('.error'));
  });

  it('shows the detail of a tokenization 400, clears the card and never calls pay', async () => {
    startPaymentMock.mockResolvedValue(START);
    fetchMock.mockResolvedValue(
      response(400, {
        errors: [{ code: 'card_expired', detail: 'The card has expired.' }, { code: 'x' }]
      })
    );
    const { root } = await mountReady();
    fill(root, GOOD_CARD);
    await flush();
    submit(root);
    await flush();
    // Tokenized before anything else: a refused card leaves no payment record behind.
    expect(startPaymentMock).not.toHaveBeenCalled();
    expect(payMock).not.toHaveBeenCalled();
    expect(text(root, '.error .message')).toBe('Your card was not accepted: The card has expired.');
    expect(root.querySelector('.log-reference')).toBeNull();
    expect(input(root, 'cardNumber').value).toBe('');
    expect(input(root, 'cvv').value).toBe('');
    expect(announcement(root)).toContain('The card has expired.');
  });

  it.each([
    ['a network failure', () => Promise.reject(new TypeError('Failed to fetch'))],
    ['a 500', () => Promise.resolve(response(500, { message: 'boom' }))],
    ['a 400 without details', () => Promise.resolve(response(400, {}))],
    [
      'an unreadable body',
      () =>
        Promise.resolve({
          status: 201,
          json: () => Promise.reject(new SyntaxError('bad json'))
        } as unknown as Response)
    ]
  ])('reports %s at tokenization without paying', async (_name, answer) => {
    startPaymentMock.mockResolvedValue(START);
    fetchMock.mockImplementation(answer);
    const { root } = await mountReady();
    fill(root, GOOD_CARD);
    await flush();
    submit(root);
    await flush();
    expect(startPaymentMock).not.toHaveBeenCalled();
    expect(payMock).not.toHaveBeenCalled();
    expect(text(root, '.error .message')).toContain('Nothing was charged');
    expect(input(root, 'cardNumber').value).toBe('');
  });

  it('shows the Apex message when startPayment refuses and never calls pay', async () => {
    startPaymentMock.mockRejectedValue(apexError(APEX_TEXT.PAYMENT_IN_PROGRESS));
    fetchMock.mockResolvedValue(response(201, { token: TOKEN }));
    const { root } = await mountReady();
    fill(root, GOOD_CARD);
    await flush();
    submit(root);
    await flush();
    expect(startPaymentMock).toHaveBeenCalledWith({ invoiceId: INVOICE_ID, paymentToken: TOKEN });
    expect(payMock).not.toHaveBeenCalled();
    expect(text(root, '.error .message')).toBe(
      `The payment could not be started: ${APEX_TEXT.PAYMENT_IN_PROGRESS}`
    );
    expect(announcement(root)).toContain(APEX_TEXT.PAYMENT_IN_PROGRESS);
    expect(root.querySelector<HTMLButtonElement>('.pay-button')!.disabled).toBe(false);
  });

  it('shows the Apex message when pay fails, its reference once', async () => {
    startPaymentMock.mockResolvedValue(START);
    fetchMock.mockResolvedValue(response(201, { token: TOKEN }));
    payMock.mockRejectedValue(apexFailure(APEX_TEXT.OUTCOME_NOT_SAVED, LOG_REFERENCE));
    const { root } = await mountReady();
    fill(root, GOOD_CARD);
    await flush();
    submit(root);
    await flush();
    expect(text(root, '.error .message')).toBe(
      `The payment could not be completed: ${APEX_TEXT.OUTCOME_NOT_SAVED} Reference: ${LOG_REFERENCE}.`
    );
    expect(shownInResult(root, LOG_REFERENCE)).toBe(1);
  });

  it('disables the button while processing, ignores a second submit and clears the card after tokenization', async () => {
    let finishPay: (outcome: Apex.PaymentView) => void = () => undefined;
    let finishTokenization: (r: Response) => void = () => undefined;
    startPaymentMock.mockResolvedValue(START);
    fetchMock.mockImplementation(() => new Promise<Response>((r) => (finishTokenization = r)));
    payMock.mockImplementation(
      () => new Promise<Apex.PaymentView>((resolve) => (finishPay = resolve))
    );
    const { root } = await mountReady();
    fill(root, GOOD_CARD);
    await flush();
    submit(root);
    await flush();

    const button = root.querySelector<HTMLButtonElement>('.pay-button')!;
    expect(button.disabled).toBe(true);
    expect(button.textContent!.trim()).toBe('Processing…');
    expect(root.querySelector('fieldset')!.disabled).toBe(true);
    // Each input too: SLDS greys out only inputs that are disabled themselves.
    for (const field of ['cardholderName', 'cardNumber', 'expiry', 'cvv'])
      expect(input(root, field).disabled).toBe(true);
    expect(root.querySelector('lightning-spinner')).not.toBeNull();
    expect(announcement(root)).toBe('Processing your payment. Please wait.');

    submit(root);
    await flush();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    // Still waiting for the gateway: the card is still held, and no payment exists yet.
    expect(startPaymentMock).not.toHaveBeenCalled();
    expect(input(root, 'cardNumber').value).toBe(VISA);

    finishTokenization(response(201, { token: TOKEN }));
    await flush();
    expect(startPaymentMock).toHaveBeenCalledTimes(1);
    expect(payMock).toHaveBeenCalledTimes(1);
    expect(input(root, 'cardNumber').value).toBe('');
    expect(input(root, 'cvv').value).toBe('');
    expect(button.disabled).toBe(true);

    submit(root);
    await flush();
    expect(payMock).toHaveBeenCalledTimes(1);

    finishPay(AUTHORISED);
    await flush();
    expect(root.querySelector('.success')).not.toBeNull();
    expect(root.querySelector('lightning-spinner')).toBeNull();
  });

  it('keeps the result when the invoice wire delivers again', async () => {
    const root = await payWith(AUTHORISED);
    invoiceWire.emit({ ...INVOICE, status: 'Paid' });
    await flush();
    expect(root.querySelector('.success')).not.toBeNull();
    expect(root.querySelector('.already-paid')).toBeNull();
  });
});

describe('messageOf', () => {
  it('reads Apex, list, plain and unknown error shapes', () => {
    expect(messageOf({ body: { message: 'one' } })).toBe('one');
    expect(messageOf({ body: [{ message: 'a' }, { message: 'b' }] })).toBe('a, b');
    expect(messageOf(new Error('network'))).toBe('network');
    expect(messageOf(undefined)).toBe('An unexpected error occurred.');
  });
});
