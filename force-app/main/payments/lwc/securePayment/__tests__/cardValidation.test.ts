import {
  MESSAGES,
  detectBrand,
  hasBrandLength,
  isCvvValid,
  isExpired,
  isLuhnValid,
  normalizeCardNumber,
  parseExpiry,
  validateCard
} from '../cardValidation';

const NOW = new Date(2026, 4, 15); // 15 May 2026

describe('isLuhnValid', () => {
  it.each(['4111111111111111', '5555555555554444', '378282246310005', '4000000000000002'])(
    'accepts the test card %s',
    (number) => expect(isLuhnValid(number)).toBe(true)
  );
  it.each(['4111111111111112', '1234567890123', '41111111111', '41111111111111111111', '4111a'])(
    'rejects %s',
    (number) => expect(isLuhnValid(number)).toBe(false)
  );
});

describe('detectBrand', () => {
  it.each([
    ['4111111111111111', 'VISA'],
    ['5105105105105100', 'MASTERCARD'],
    ['5555555555554444', 'MASTERCARD'],
    ['2221000000000009', 'MASTERCARD'],
    ['2720990000000007', 'MASTERCARD'],
    ['340000000000009', 'AMEX'],
    ['378282246310005', 'AMEX'],
    ['2220990000000000', null],
    ['2721000000000000', null],
    ['5600000000000000', null],
    ['6011111111111117', null],
    ['', null]
  ])('%s is %s', (number, brand) => expect(detectBrand(number)).toBe(brand));
});

describe('hasBrandLength', () => {
  it('knows the lengths each brand issues', () => {
    expect(hasBrandLength('378282246310005', 'AMEX')).toBe(true);
    expect(hasBrandLength('3782822463100051', 'AMEX')).toBe(false);
    expect(hasBrandLength('4222222222222', 'VISA')).toBe(true);
    expect(hasBrandLength('55555555555544', 'MASTERCARD')).toBe(false);
  });
});

describe('parseExpiry and isExpired', () => {
  it('reads MM/YY and its common variants into month and 4-digit year', () => {
    expect(parseExpiry('05/27')).toEqual({ month: 5, year: 2027 });
    expect(parseExpiry(' 5 / 27 ')).toEqual({ month: 5, year: 2027 });
    expect(parseExpiry('1229')).toEqual({ month: 12, year: 2029 });
  });
  it.each(['', '00/27', '13/27', '5/2027', 'ab/cd', '05-27'])('rejects "%s"', (value) =>
    expect(parseExpiry(value)).toBeNull()
  );
  it('treats a card as valid through the end of its expiry month', () => {
    expect(isExpired(5, 2026, NOW)).toBe(false);
    expect(isExpired(4, 2026, NOW)).toBe(true);
    expect(isExpired(1, 2027, NOW)).toBe(false);
    expect(isExpired(12, 2025, NOW)).toBe(true);
  });
});

describe('isCvvValid', () => {
  it('wants 3 digits, 4 for Amex', () => {
    expect(isCvvValid('123', 'VISA')).toBe(true);
    expect(isCvvValid('1234', 'VISA')).toBe(false);
    expect(isCvvValid('12a', 'MASTERCARD')).toBe(false);
    expect(isCvvValid('1234', 'AMEX')).toBe(true);
    expect(isCvvValid('123', 'AMEX')).toBe(false);
    expect(isCvvValid('123', null)).toBe(true);
  });
});

describe('validateCard', () => {
  const good = {
    cardholderName: '  Jo Citizen ',
    cardNumber: '4111 1111-1111 1111',
    expiry: '05/26',
    cvv: '123'
  };

  it('builds the tokenization request from a valid card', () => {
    expect(normalizeCardNumber(good.cardNumber)).toBe('4111111111111111');
    expect(validateCard(good, NOW)).toEqual({
      valid: true,
      errors: {},
      brand: 'VISA',
      request: {
        cardNumber: '4111111111111111',
        expiryMonth: 5,
        expiryYear: 2026,
        cvv: '123',
        cardholderName: 'Jo Citizen'
      }
    });
  });

  it('accepts an Amex with a 4-digit CVV', () => {
    const result = validateCard({ ...good, cardNumber: '3782 822463 10005', cvv: '1234' }, NOW);
    expect(result.valid).toBe(true);
    expect(result.brand).toBe('AMEX');
  });

  it('reports every invalid field and builds no request', () => {
    const result = validateCard({ cardholderName: '', cardNumber: '', expiry: '', cvv: '' }, NOW);
    expect(result.valid).toBe(false);
    expect(result.request).toBeUndefined();
    expect(result.errors).toEqual({
      cardholderName: MESSAGES.nameRequired,
      cardNumber: MESSAGES.numberRequired,
      expiry: MESSAGES.expiryFormat,
      cvv: MESSAGES.cvv3
    });
  });

  it.each([
    [{ cardNumber: '4111111111111112' }, 'cardNumber', MESSAGES.numberInvalid],
    [{ cardNumber: '4111x11111111111' }, 'cardNumber', MESSAGES.numberInvalid],
    [{ cardNumber: '6011111111111117' }, 'cardNumber', MESSAGES.brandUnsupported],
    [{ cardNumber: '411111111111111' }, 'cardNumber', MESSAGES.numberLength],
    [{ cardNumber: '378282246310005', cvv: '123' }, 'cvv', MESSAGES.cvv4],
    [{ expiry: '04/26' }, 'expiry', MESSAGES.expiryPast],
    [{ expiry: '13/26' }, 'expiry', MESSAGES.expiryFormat],
    [{ cvv: '12' }, 'cvv', MESSAGES.cvv3]
  ])('%j is refused on %s', (change, field, message) => {
    const result = validateCard({ ...good, ...change }, NOW);
    expect(result.valid).toBe(false);
    expect(result.errors).toEqual({ [field]: message });
  });
});
