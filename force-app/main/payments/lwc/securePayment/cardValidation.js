/*
 * Client-side card checks for securePayment, run before anything leaves the browser. Pure
 * functions (no DOM, no clock of their own) so they are tested on their own. The gateway's
 * tokenization endpoint repeats every check: these only spare the user a round trip.
 */
/** The order fields appear in on the form (the first invalid one gets the focus). */
export const CARD_FIELDS = ['cardholderName', 'cardNumber', 'expiry', 'cvv'];
export const MESSAGES = {
    nameRequired: 'Enter the name on the card.',
    numberRequired: 'Enter the card number.',
    numberInvalid: 'This card number is not valid. Check it and try again.',
    brandUnsupported: 'We accept Visa, Mastercard and American Express.',
    numberLength: 'This card number has the wrong number of digits.',
    expiryFormat: 'Enter the expiry date as MM/YY.',
    expiryPast: 'This card has expired.',
    cvv3: 'Enter the 3-digit security code from the back of the card.',
    cvv4: 'Enter the 4-digit security code from the front of the card.'
};
/** The number without the spaces or dashes people type between groups. */
export function normalizeCardNumber(value) {
    return value.replace(/[\s-]/g, '');
}
/** Luhn (mod 10) check over a string of 12 to 19 digits; anything else is invalid. */
export function isLuhnValid(cardNumber) {
    if (!/^\d{12,19}$/.test(cardNumber))
        return false;
    let sum = 0;
    let double = false;
    for (let i = cardNumber.length - 1; i >= 0; i--) {
        let digit = cardNumber.charCodeAt(i) - 48;
        if (double) {
            digit *= 2;
            if (digit > 9)
                digit -= 9;
        }
        sum += digit;
        double = !double;
    }
    return sum % 10 === 0;
}
/** The brand by its prefix: Visa 4; Mastercard 51-55 and 2221-2720; Amex 34 and 37. */
export function detectBrand(cardNumber) {
    if (/^4/.test(cardNumber))
        return 'VISA';
    if (/^3[47]/.test(cardNumber))
        return 'AMEX';
    if (/^5[1-5]/.test(cardNumber))
        return 'MASTERCARD';
    if (/^2\d{3}/.test(cardNumber)) {
        const prefix = Number(cardNumber.slice(0, 4));
        if (prefix >= 2221 && prefix <= 2720)
            return 'MASTERCARD';
    }
    return null;
}
const LENGTHS = {
    VISA: [13, 16, 19],
    MASTERCARD: [16],
    AMEX: [15]
};
/** Whether the number has a length the brand issues. */
export function hasBrandLength(cardNumber, brand) {
    return LENGTHS[brand].includes(cardNumber.length);
}
/** `MM/YY` (also `M/YY`, `MMYY`, spaces around the slash) to month 1-12 and a 4-digit year. */
export function parseExpiry(value) {
    const match = /^(\d{1,2})\s*\/?\s*(\d{2})$/.exec(value.trim());
    if (!match)
        return null;
    const month = Number(match[1]);
    if (month < 1 || month > 12)
        return null;
    return { month, year: 2000 + Number(match[2]) };
}
/** A card is good through the last day of its expiry month. */
export function isExpired(month, year, now) {
    return year * 12 + month < now.getFullYear() * 12 + (now.getMonth() + 1);
}
/** CVV: 4 digits for Amex, 3 for the other brands. */
export function isCvvValid(cvv, brand) {
    return (brand === 'AMEX' ? /^\d{4}$/ : /^\d{3}$/).test(cvv);
}
function cardNumberError(cardNumber, brand) {
    if (!cardNumber)
        return MESSAGES.numberRequired;
    if (!/^\d+$/.test(cardNumber))
        return MESSAGES.numberInvalid;
    if (!brand)
        return MESSAGES.brandUnsupported;
    if (!hasBrandLength(cardNumber, brand))
        return MESSAGES.numberLength;
    if (!isLuhnValid(cardNumber))
        return MESSAGES.numberInvalid;
    return undefined;
}
/**
 * Checks every field and, when all pass, builds the tokenization request.
 * @param now the current date (passed in so the expiry check is testable)
 */
export function validateCard(input, now) {
    const errors = {};
    const cardholderName = input.cardholderName.trim();
    const cardNumber = normalizeCardNumber(input.cardNumber);
    const cvv = input.cvv.trim();
    const brand = detectBrand(cardNumber);
    if (!cardholderName)
        errors.cardholderName = MESSAGES.nameRequired;
    const numberError = cardNumberError(cardNumber, brand);
    if (numberError)
        errors.cardNumber = numberError;
    const expiry = parseExpiry(input.expiry);
    if (!expiry)
        errors.expiry = MESSAGES.expiryFormat;
    else if (isExpired(expiry.month, expiry.year, now))
        errors.expiry = MESSAGES.expiryPast;
    if (!isCvvValid(cvv, brand))
        errors.cvv = brand === 'AMEX' ? MESSAGES.cvv4 : MESSAGES.cvv3;
    const valid = Object.keys(errors).length === 0;
    if (!valid || !expiry)
        return { valid: false, errors, brand };
    return {
        valid,
        errors,
        brand,
        request: {
            cardNumber,
            expiryMonth: expiry.month,
            expiryYear: expiry.year,
            cvv,
            cardholderName
        }
    };
}
