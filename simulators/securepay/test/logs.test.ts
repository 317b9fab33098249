import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { FUTURE_YEAR, startTestSecurePay } from './helpers/securepay.ts';

const TEST_CARDS = [
  '4111111111111111',
  '5555555555554444',
  '378282246310005',
  '4000000000000002',
  '4000000000009995',
  '4000000000000069',
  '4000000000000119'
];
/** Distinctive CVVs, so finding one in the log cannot be a coincidence of timestamps. */
const CVVS = ['847', '7319', '592'];

/** A CVV standing alone (not part of a longer number such as a timestamp or duration). */
function containsCvv(text: string, cvv: string): boolean {
  return new RegExp(`(?<![\\d.\\-])${cvv}(?![\\d.])`).test(text);
}

describe('SecurePay simulator: no card data in the logs', () => {
  it('logs requests at trace level without a card number or CVV anywhere', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      }
    });
    const sp = await startTestSecurePay({ timeoutHoldMs: 50, logger: { level: 'trace', stream } });
    try {
      for (const cardNumber of TEST_CARDS) {
        const token = await sp.tokenize({ cardNumber, cardholderName: 'Grace Hopper' });
        assert.equal(token.status, 201, cardNumber);
        await sp.pay(sp.paymentBody(String(token.body.token)));
      }
      const headers = { 'x-merchant-code': sp.merchantCode };
      // Failures that quote the body in other servers' errors and logs.
      await sp.request('POST', '/v2/tokens', {
        body: '{"cardNumber":"4111111111111111","cvv":"592"',
        headers
      });
      await sp.request('POST', '/v2/tokens', {
        body: {
          cardNumber: '4111111111111112',
          expiryMonth: 1,
          expiryYear: FUTURE_YEAR,
          cvv: '592'
        },
        headers
      });
      await sp.request('POST', '/v2/tokens', {
        body: { cardNumber: 5555555555554444, expiryMonth: 1, expiryYear: FUTURE_YEAR, cvv: 592 },
        headers
      });
      await sp.request('POST', '/v2/payments', {
        body: { token: '4111111111111111', cvv: '847' },
        headers: {
          authorization: `Bearer ${await sp.accessToken()}`,
          'idempotency-key': randomUUID()
        }
      });
      sp.control.injectFailures({ status: 500, count: 1 });
      await sp.tokenize({ cardNumber: '378282246310005' });
    } finally {
      await sp.close();
    }
    const log = lines.join('');
    assert.ok(lines.length > 40, `captured ${lines.length} log lines`);
    assert.match(log, /"url":"\/v2\/tokens"/, 'requests are logged');
    for (const cardNumber of TEST_CARDS) {
      assert.ok(!log.includes(cardNumber), `card number ${cardNumber} found in the log`);
    }
    for (const cvv of CVVS) assert.ok(!containsCvv(log, cvv), `CVV ${cvv} found in the log`);
    assert.ok(!/cardNumber|"cvv"/.test(log), 'no card field in the log');
  });
});
