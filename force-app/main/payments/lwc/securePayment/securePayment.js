import { LightningElement, api, wire } from 'lwc';
import getInvoice from '@salesforce/apex/PaymentController.getInvoice';
import startPayment from '@salesforce/apex/PaymentController.startPayment';
import pay from '@salesforce/apex/PaymentController.pay';
import { CARD_FIELDS, validateCard } from './cardValidation';
import { apexErrorMessage } from 'c/apexErrors';
const TOKENIZATION_UNAVAILABLE = 'Your card could not be checked right now. Nothing was charged. Please try again in a moment.';
const UNKNOWN_GUIDANCE = 'Please do not pay again: we are checking the status of this payment with the bank and will update this invoice.';
/** The support reference as the page says it, or nothing. */
function referenceSentence(logReference) {
    return logReference ? ` Reference: ${logReference}` : '';
}
/** The user-facing message of a failed Apex call (c/apexErrors). */
export const messageOf = (error) => apexErrorMessage(error);
/**
 * Posts the card straight from the browser to the gateway's tokenization endpoint, so the card
 * number and CVV never reach Salesforce. Answers 201 `{ token }` or 400 `{ errors: [{ detail }] }`.
 */
async function tokenize(url, merchantCode, card) {
    let response;
    try {
        response = await fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-Merchant-Code': merchantCode },
            body: JSON.stringify(card)
        });
    }
    catch {
        return { ok: false, message: TOKENIZATION_UNAVAILABLE };
    }
    const body = (await response.json().catch(() => ({})));
    if (response.status === 201 && body.token)
        return { ok: true, token: body.token };
    if (response.status === 400) {
        const details = (body.errors ?? []).map((e) => e.detail).filter(Boolean);
        if (details.length)
            return { ok: false, message: details.join(' ') };
    }
    return { ok: false, message: TOKENIZATION_UNAVAILABLE };
}
/**
 * Pays an invoice by card in the Experience Cloud portal (Scenario 2). The amount shown comes
 * from the invoice record and is never sent from the browser; the card goes only to the
 * gateway's tokenization endpoint and Salesforce receives a single-use token.
 */
export default class SecurePayment extends LightningElement {
    @api
    recordId;
    state = 'loading';
    invoice;
    outcome;
    errorMessage = '';
    logReference = null;
    announcement = 'Loading the invoice.';
    fieldErrors = {};
    cardholderName = '';
    cardNumber = '';
    expiry = '';
    cvv = '';
    focusTarget;
    @wire(getInvoice, { invoiceId: '$recordId' })
    wiredInvoice({ data, error }) {
        if (data) {
            this.invoice = data;
            if (this.state !== 'loading' && this.state !== 'loadError')
                return;
            if (data.status === 'Paid') {
                this.setState('paid', `Invoice ${data.invoiceNumber} is already paid.`);
            }
            else {
                this.setState('ready', `Invoice ${data.invoiceNumber} is ready to pay.`, false);
            }
        }
        else if (error) {
            this.invoice = undefined;
            this.errorMessage = messageOf(error);
            this.setState('loadError', `The invoice could not be loaded: ${this.errorMessage}`);
        }
    }
    // ---- template state ----
    get isLoading() {
        return this.state === 'loading';
    }
    get isLoadError() {
        return this.state === 'loadError';
    }
    get isPaid() {
        return this.state === 'paid';
    }
    get isProcessing() {
        return this.state === 'processing';
    }
    get isSuccess() {
        return this.state === 'success';
    }
    get isDeclined() {
        return this.state === 'declined';
    }
    get isUnknown() {
        return this.state === 'unknown';
    }
    get isError() {
        return this.state === 'error';
    }
    get hasInvoice() {
        return !!this.invoice && !this.isLoadError;
    }
    /** The form is offered while the invoice is open and no payment has gone through or is in doubt. */
    get showForm() {
        return ['ready', 'processing', 'declined', 'error'].includes(this.state);
    }
    get payLabel() {
        return this.isProcessing ? 'Processing…' : 'Pay now';
    }
    get cardSummary() {
        const brand = this.outcome?.cardBrand;
        const last4 = this.outcome?.cardLast4;
        if (brand && last4)
            return `${brand} ending in ${last4}`;
        return last4 ? `Card ending in ${last4}` : '';
    }
    get unknownGuidance() {
        return UNKNOWN_GUIDANCE;
    }
    get cardholderNameError() {
        return this.fieldErrors.cardholderName;
    }
    get cardNumberError() {
        return this.fieldErrors.cardNumber;
    }
    get expiryError() {
        return this.fieldErrors.expiry;
    }
    get cvvError() {
        return this.fieldErrors.cvv;
    }
    /** The error's id only while the field has one: aria-describedby must name an element. */
    get cardholderNameDescribedBy() {
        return this.describedBy('cardholderName');
    }
    get cardNumberDescribedBy() {
        return this.describedBy('cardNumber');
    }
    get expiryDescribedBy() {
        return this.describedBy('expiry');
    }
    get cvvDescribedBy() {
        return this.describedBy('cvv');
    }
    get amountLabel() {
        return this.isSuccess || this.isPaid ? 'Amount paid' : 'Amount due';
    }
    get cardholderNameInvalid() {
        return String(!!this.fieldErrors.cardholderName);
    }
    get cardNumberInvalid() {
        return String(!!this.fieldErrors.cardNumber);
    }
    get expiryInvalid() {
        return String(!!this.fieldErrors.expiry);
    }
    get cvvInvalid() {
        return String(!!this.fieldErrors.cvv);
    }
    get cardholderNameClass() {
        return this.formElementClass('cardholderName');
    }
    get cardNumberClass() {
        return this.formElementClass('cardNumber');
    }
    get expiryClass() {
        return this.formElementClass('expiry');
    }
    get cvvClass() {
        return this.formElementClass('cvv');
    }
    describedBy(field) {
        return this.fieldErrors[field] ? `${field}-error` : undefined;
    }
    formElementClass(field) {
        return this.fieldErrors[field]
            ? 'slds-form-element slds-has-error slds-m-bottom_small'
            : 'slds-form-element slds-m-bottom_small';
    }
    // ---- events ----
    handleInput(event) {
        const input = event.target;
        const field = input.dataset.field;
        this[field] = input.value;
        if (this.fieldErrors[field]) {
            const rest = { ...this.fieldErrors };
            delete rest[field];
            this.fieldErrors = rest;
        }
    }
    async handleSubmit(event) {
        event.preventDefault();
        // No double submit: a second submit while one is in flight is ignored.
        if (this.isProcessing || !this.invoice || !this.showForm)
            return;
        const invoice = this.invoice;
        const check = validateCard({
            cardholderName: this.cardholderName,
            cardNumber: this.cardNumber,
            expiry: this.expiry,
            cvv: this.cvv
        }, new Date());
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
        let tokenization;
        try {
            tokenization = await tokenize(invoice.tokenizationUrl, invoice.merchantCode, check.request);
        }
        finally {
            // The card number and CVV are done with as soon as the gateway has answered.
            this.cardNumber = '';
            this.cvv = '';
        }
        if (!tokenization.ok) {
            this.fail(`Your card was not accepted: ${tokenization.message}`, null);
            return;
        }
        let start;
        try {
            start = await startPayment({
                invoiceId: invoice.invoiceId,
                paymentToken: tokenization.token
            });
        }
        catch (error) {
            this.fail(`The payment could not be started: ${messageOf(error)}`, null);
            return;
        }
        try {
            const outcome = await pay({ paymentId: start.paymentId, paymentToken: tokenization.token });
            this.applyOutcome(outcome);
        }
        catch (error) {
            this.fail(`The payment could not be completed: ${messageOf(error)}`, null);
        }
    }
    renderedCallback() {
        if (!this.focusTarget)
            return;
        const target = this.template?.querySelector(this.focusTarget);
        if (target) {
            this.focusTarget = undefined;
            target.focus();
        }
    }
    // ---- helpers ----
    applyOutcome(outcome) {
        this.outcome = outcome;
        switch (outcome.status) {
            case 'Authorised':
                this.setState('success', `Payment received. Transaction reference ${outcome.transactionId ?? 'pending'}.`);
                break;
            case 'Declined':
                this.errorMessage = outcome.message;
                this.setState('declined', outcome.message);
                break;
            case 'Unknown':
                this.errorMessage = outcome.message;
                this.logReference = outcome.logReference;
                this.setState('unknown', `${outcome.message} ${UNKNOWN_GUIDANCE}${referenceSentence(outcome.logReference)}`);
                break;
            default:
                this.fail(outcome.message, outcome.logReference);
        }
    }
    /**
     * The error state. `message` is shown as it is; `logReference` (the outcome's own field) is
     * shown once, in its own line: PaymentController never puts it into an outcome's message.
     */
    fail(message, logReference) {
        this.errorMessage = message;
        this.logReference = logReference;
        this.setState('error', `Payment failed: ${message}${referenceSentence(logReference)}`);
    }
    setState(state, announcement, focusResult = true) {
        this.state = state;
        this.announcement = announcement;
        if (focusResult)
            this.focusTarget = '.result';
    }
}
