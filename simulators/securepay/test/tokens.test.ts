import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { behaviourOf } from '../src/cards.ts';
import { CARD_TOKEN_PATTERN, GatewayStore } from '../src/store.ts';
import { errorCode, FUTURE_YEAR, useSecurePay } from './helpers/securepay.ts';

describe('SecurePay simulator: tokenization', () => {
  const sp = useSecurePay();

  it('answers 201 with a tok_ token, brand, last 4, expiry and a 15-minute expiresAt', async () => {
    const started = Date.now();
    const response = await sp.tokenize({
      cardNumber: '4111 1111 1111 1111',
      expiryMonth: '07',
      expiryYear: String(FUTURE_YEAR),
      cardholderName: 'Ada Lovelace'
    });
    assert.equal(response.status, 201);
    assert.match(response.body.token, /^tok_[0-9a-f]{32}$/);
    assert.equal(response.body.brand, 'VISA');
    assert.equal(response.body.last4, '1111');
    assert.equal(response.body.expiryMonth, 7);
    assert.equal(response.body.expiryYear, FUTURE_YEAR);
    const ttl = Date.parse(response.body.expiresAt) - started;
    assert.ok(ttl > 14 * 60_000 && ttl <= 15 * 60_000 + 5_000, `ttl ${ttl}`);
    assert.ok(!JSON.stringify(response.body).includes('4111111111111111'));
  });

  // Finding 10: the ESB refuses a token holding what looks like a card number; random hex held
  // 13 digits in a row in about 1 token in 25, so the gateway never issues such a token.
  it('issues tokens of one strict shape, never with 13 digits in a row', () => {
    const store = new GatewayStore();
    const card = {
      brand: 'VISA' as const,
      last4: '1111',
      expiryMonth: 7,
      expiryYear: FUTURE_YEAR,
      behaviour: behaviourOf('4111111111111111')
    };
    for (let i = 0; i < 5_000; i++) {
      const { token } = store.addCardToken(card);
      assert.match(token, CARD_TOKEN_PATTERN);
      assert.equal(/\d{13}/.test(token), false, token);
    }
  });

  it('detects the brand from the number', async () => {
    const cases: Array<[string, string]> = [
      ['4111111111111111', 'VISA'],
      ['5555555555554444', 'MASTERCARD'],
      ['2223003122003222', 'MASTERCARD'],
      ['378282246310005', 'AMEX'],
      ['6011111111111117', 'DISCOVER'],
      ['3530111333300000', 'JCB'],
      ['30569309025904', 'DINERS'],
      ['6200000000000005', 'UNIONPAY']
    ];
    for (const [cardNumber, brand] of cases) {
      const response = await sp.tokenize({ cardNumber });
      assert.equal(response.status, 201, cardNumber);
      assert.equal(response.body.brand, brand, cardNumber);
      assert.equal(response.body.last4, cardNumber.slice(-4));
    }
  });

  it('accepts a card expiring this month', async () => {
    const now = new Date();
    const response = await sp.tokenize({
      cardNumber: '4111111111111111',
      expiryMonth: now.getUTCMonth() + 1,
      expiryYear: now.getUTCFullYear()
    });
    assert.equal(response.status, 201);
  });

  it('answers 400 with a code, a detail and the field for each invalid input', async () => {
    const lastYear = new Date().getUTCFullYear() - 1;
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ cardNumber: '4111111111111112' }, 'invalid_card_number', '/cardNumber'],
      [{ cardNumber: '4111-abcd-1111-1111' }, 'invalid_card_number', '/cardNumber'],
      [{ cardNumber: '41111' }, 'invalid_card_number', '/cardNumber'],
      [{ cardNumber: 4111111111111111 }, 'invalid_card_number', '/cardNumber'],
      [{ cardNumber: undefined }, 'invalid_card_number', '/cardNumber'],
      [{ expiryYear: lastYear }, 'card_expired', '/expiryYear'],
      [{ expiryMonth: 13 }, 'invalid_expiry', '/expiryMonth'],
      [{ expiryMonth: 0 }, 'invalid_expiry', '/expiryMonth'],
      [{ expiryMonth: 'June' }, 'invalid_expiry', '/expiryMonth'],
      [{ expiryYear: 28 }, 'invalid_expiry', '/expiryYear'],
      [{ cvv: '12' }, 'invalid_cvv', '/cvv'],
      [{ cvv: 123 }, 'invalid_cvv', '/cvv'],
      [{ cvv: '1234' }, 'invalid_cvv', '/cvv'],
      [{ cardNumber: '378282246310005', cvv: '123' }, 'invalid_cvv', '/cvv']
    ];
    for (const [overrides, code, pointer] of cases) {
      const response = await sp.tokenize({ cardNumber: '4111111111111111', ...overrides } as never);
      const label = JSON.stringify(overrides);
      assert.equal(response.status, 400, label);
      assert.equal(errorCode(response), code, label);
      assert.equal(response.body.errors[0].source?.pointer, pointer, label);
      assert.ok(response.body.errors[0].detail.length > 5, label);
    }
  });

  it('requires the X-Merchant-Code header', async () => {
    for (const headers of [{}, { 'x-merchant-code': 'OTHER01' }] as Array<Record<string, string>>) {
      const response = await sp.request('POST', '/v2/tokens', {
        body: {
          cardNumber: '4111111111111111',
          expiryMonth: 1,
          expiryYear: FUTURE_YEAR,
          cvv: '123'
        },
        headers
      });
      assert.equal(response.status, 401);
      assert.equal(errorCode(response), 'unauthorized');
    }
  });

  it('answers the CORS preflight and puts CORS headers on answers and errors', async () => {
    const preflight = await fetch(`${sp.url}/v2/tokens`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://portal.example.my.site.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-merchant-code'
      }
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    const allowed = preflight.headers.get('access-control-allow-headers') ?? '';
    assert.match(allowed, /content-type/);
    assert.match(allowed, /x-merchant-code/);

    const ok = await sp.tokenize({ cardNumber: '4111111111111111' });
    assert.equal(ok.headers.get('access-control-allow-origin'), '*');
    const bad = await sp.tokenize({ cardNumber: '4111111111111112' });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('access-control-allow-origin'), '*');
  });
});
