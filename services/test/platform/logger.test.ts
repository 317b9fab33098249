import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import {
  CARD_REDACTED,
  REDACTED,
  createLogger,
  getCorrelationId,
  isSecretKey,
  passesLuhn,
  runWithCorrelationId,
  scrubText
} from '../../src/platform/logger.ts';

// Test card numbers from the card networks' published test ranges (all pass Luhn).
const VISA = '4111111111111111';
const MASTERCARD_SPACED = '5555 5555 5555 4444';
const AMEX_DASHED = '3782-822463-10005';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    }
  });
  const logger = createLogger({ level: 'trace', destination, service: 'logger-test' });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}

describe('logger', () => {
  test('Luhn and the card-number scrubber', () => {
    assert.ok(passesLuhn(VISA));
    assert.ok(!passesLuhn('4111111111111112'));
    assert.equal(scrubText(`card ${VISA} declined`), `card ${CARD_REDACTED} declined`);
    assert.equal(scrubText(`pan=${MASTERCARD_SPACED};`), `pan=${CARD_REDACTED};`);
    assert.equal(scrubText(`amex ${AMEX_DASHED}`), `amex ${CARD_REDACTED}`);
    // Not card numbers: no 13-19 digit window passes Luhn, too short, or part of an identifier.
    // (4111111111111112 fails Luhn but holds 4111111111111, a 13-digit card number.)
    assert.equal(scrubText('order 1234567812345678'), 'order 1234567812345678');
    assert.equal(scrubText('phone 4930123456'), 'phone 4930123456');
    assert.equal(scrubText('record 001000000000001AAA'), 'record 001000000000001AAA');
  });

  test('secret-looking key names', () => {
    for (const key of [
      'password',
      'dbPassword',
      'client_secret',
      'Authorization',
      'accessToken',
      'refresh_token',
      'cvv',
      'card-number',
      'PAN',
      'privateKey'
    ]) {
      assert.ok(isSecretKey(key), key);
    }
    for (const key of ['tokenType', 'username', 'panel', 'status', 'cardBrand']) {
      assert.ok(!isSecretKey(key), key);
    }
  });

  test('a card number inside a message string never reaches the output', () => {
    const { logger, lines, records } = capture();
    logger.info(`charging card ${VISA} for order 42`);
    logger.info('formatted %s and %d', `card ${MASTERCARD_SPACED}`, 1);
    logger.warn({ note: `customer typed ${AMEX_DASHED} in the comment` }, 'nested string');
    logger.error(new Error(`gateway rejected ${VISA}`));
    logger.error({ err: new Error(`decline for ${VISA}`) }, 'with err key');
    const output = lines.join('\n');
    for (const pan of [VISA, MASTERCARD_SPACED, AMEX_DASHED, '4111 1111', '378282246310005']) {
      assert.ok(!output.includes(pan), `${pan} leaked: ${output}`);
    }
    const [first, second, third, fourth, fifth] = records();
    assert.equal(first?.msg, `charging card ${CARD_REDACTED} for order 42`);
    assert.equal(second?.msg, `formatted card ${CARD_REDACTED} and 1`);
    assert.equal(third?.note, `customer typed ${CARD_REDACTED} in the comment`);
    assert.equal(fourth?.msg, `gateway rejected ${CARD_REDACTED}`);
    assert.equal((fourth?.err as Record<string, unknown>).type, 'Error');
    assert.match(
      String((fourth?.err as Record<string, unknown>).stack),
      /gateway rejected \[REDACTED-PAN\]/
    );
    assert.equal(fifth?.msg, 'with err key');
    assert.equal((fifth?.err as Record<string, unknown>).message, `decline for ${CARD_REDACTED}`);
  });

  test('authorization headers, nested passwords and card fields are redacted', () => {
    const { logger, lines, records } = capture();
    logger.info(
      {
        req: { method: 'POST', headers: { authorization: 'Bearer abc.def.ghi-secret', host: 'x' } },
        config: { database: { credentials: { user: 'app', password: 'hunter2-pw' } } },
        payment: { cardNumber: '4000 0000 0000 0002', cvv: '123', expiry: '12/30', amount: 10 },
        sf: {
          client_secret: 'cs-123',
          accessToken: '00D000000000001!AQ4AQFakeSessionSecretValue.x'
        },
        list: [{ token: 'tok-in-array' }]
      },
      'request'
    );
    logger.info('header was Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig');
    logger.info('connecting to postgres://app:pg-secret-pw@db:5432/app');
    logger.info('session 00D5g000004ABCD!AQ4AQH0dMFakeSessionSecretValue123 expired');
    const output = lines.join('\n');
    for (const secret of [
      'abc.def.ghi-secret',
      'hunter2-pw',
      '4000 0000 0000 0002',
      '"123"',
      'cs-123',
      'FakeSessionSecretValue',
      'tok-in-array',
      'eyJhbGciOiJSUzI1NiJ9',
      'pg-secret-pw'
    ]) {
      assert.ok(!output.includes(secret), `${secret} leaked: ${output}`);
    }
    const [record] = records();
    const req = record?.req as { headers: Record<string, unknown>; method: string };
    assert.equal(req.headers.authorization, REDACTED);
    assert.equal(req.headers.host, 'x', 'other headers stay');
    assert.equal(req.method, 'POST');
    const config = record?.config as { database: { credentials: Record<string, unknown> } };
    assert.deepEqual(config.database.credentials, { user: 'app', password: REDACTED });
    assert.deepEqual(record?.payment, {
      cardNumber: REDACTED,
      cvv: REDACTED,
      expiry: '12/30',
      amount: 10
    });
    assert.match(output, /Bearer \[REDACTED\]/);
    assert.match(output, /postgres:\/\/app:\[REDACTED\]@db:5432\/app/);
  });

  test('child bindings are scrubbed too, numbers such as the timestamp are untouched', () => {
    const { logger, records } = capture();
    const child = logger.child({
      component: 'payments',
      password: 'child-pw',
      cardHint: `x ${VISA}`
    });
    child.info({ amountCents: 4111111111111111 }, 'child line');
    const [record] = records();
    assert.equal(record?.component, 'payments');
    assert.equal(record?.password, REDACTED);
    assert.equal(record?.cardHint, `x ${CARD_REDACTED}`);
    assert.equal(typeof record?.time, 'string');
    assert.equal(record?.service, 'logger-test');
  });

  test('correlation id from the async context on every line, child loggers included', async () => {
    const { logger, records } = capture();
    const queueLogger = logger.child({ component: 'queue' });
    logger.info('outside');
    await runWithCorrelationId('corr-123', async () => {
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(getCorrelationId(), 'corr-123');
      queueLogger.info('inside');
      logger.info({ correlationId: 'explicit' }, 'explicit wins');
    });
    const [outside, inside, explicit] = records();
    assert.equal(outside?.correlationId, undefined);
    assert.equal(inside?.correlationId, 'corr-123');
    assert.equal(inside?.component, 'queue');
    assert.equal(explicit?.correlationId, 'explicit');
  });

  test('circular and deep objects do not break logging', () => {
    const { logger, records } = capture();
    const node: Record<string, unknown> = { name: 'a' };
    node.self = node;
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 20; i++) deep = { next: deep };
    logger.info({ node, deep }, 'odd shapes');
    const [record] = records();
    assert.equal((record?.node as Record<string, unknown>).self, '[Circular]');
    assert.match(JSON.stringify(record?.deep), /\[Truncated\]/);
  });

  // Issue 11 (attack run): a token in a query string, and PANs in the forms an attacker chose.
  test('secrets in URL query strings are redacted, other parameters kept', () => {
    assert.equal(
      scrubText('GET /payments?access_token=abcDEF123456789xyz&page=2'),
      `GET /payments?access_token=${REDACTED}&page=2`
    );
    assert.equal(
      scrubText('https://h.example/cb?code=ok&client_secret=s3cr3t-value#frag'),
      `https://h.example/cb?code=${REDACTED}&client_secret=${REDACTED}#frag`
    );
    assert.equal(
      scrubText('/x?Api-Key=k-1234567890;sig=abc'),
      `/x?Api-Key=${REDACTED};sig=${REDACTED}`
    );
    assert.equal(scrubText('/accounts?limit=10&offset=20'), '/accounts?limit=10&offset=20');
    const { logger, lines } = capture();
    logger.info({ url: '/payments?access_token=tok-QUERY-0123456789' }, 'request');
    logger.warn('refused /payments?token=tok-QUERY-0123456789&x=1');
    assert.equal(lines.join('\n').includes('tok-QUERY-0123456789'), false, lines.join('\n'));
  });

  test('a PAN glued to letters, with dots, spaces or dashes, or percent-encoded is scrubbed', () => {
    assert.equal(scrubText(`pay${VISA}`), `pay${CARD_REDACTED}`);
    assert.equal(scrubText(`key=pay${VISA}x`), `key=pay${CARD_REDACTED}x`);
    assert.equal(scrubText('4111.1111.1111.1111'), CARD_REDACTED);
    assert.equal(scrubText('card 4111 1111-1111.1111 ok'), `card ${CARD_REDACTED} ok`);
    assert.equal(scrubText('q=4111%201111%201111%201111&x=1'), `q=${CARD_REDACTED}&x=1`);
    assert.equal(scrubText('q=4111%2D1111%2d1111%2E1111'), `q=${CARD_REDACTED}`);
    assert.equal(scrubText('%34%31%31%31%31%31%31%31%31%31%31%31%31%31%31%31'), CARD_REDACTED);
    assert.equal(scrubText('a+4111+1111+1111+1111'), `a+${CARD_REDACTED}`);
    // Still not card numbers: Salesforce ids (digit runs starting with 0, which no card number
    // does), long digit runs, Luhn failures, dates and versions.
    assert.equal(scrubText('record 001000000000001AAA'), 'record 001000000000001AAA');
    assert.equal(
      scrubText('a01000000000001AAA and 003000000000040AAI'),
      'a01000000000001AAA and 003000000000040AAI'
    );
    assert.equal(scrubText('pay4000000000000003'), 'pay4000000000000003');
    assert.equal(scrubText('2026-12-06T22:54:37.123Z v1.2.3'), '2026-12-06T22:54:37.123Z v1.2.3');
    // A card number inside a longer digit run is one too (finding 8).
    assert.equal(scrubText(`id 9${VISA}99999`), `id ${CARD_REDACTED}`);
    const { logger, lines } = capture();
    logger.info({ idempotencyKey: `pay${VISA}` }, `msg pay${VISA} 4111.1111.1111.1111`);
    const text = lines.join('\n');
    assert.equal(text.includes(VISA), false, text);
    assert.equal(text.includes('4111.1111'), false, text);
  });

  test('bytes are never logged (a Buffer would serialize as numbers no scrubber reads)', () => {
    const { logger, lines, records } = capture();
    const raw = Buffer.from('GET /payments?access_token=tok-RAW-0123456789 HTTP/1.1');
    logger.debug({ err: Object.assign(new Error('Parse Error'), { rawPacket: raw }) }, 'client');
    logger.info({ body: raw, view: new Uint8Array(raw) }, 'bytes');
    const text = lines.join('\n');
    assert.equal(text.includes(Array.from(raw.subarray(0, 12)).join(',')), false, text);
    const [first, second] = records();
    assert.equal((first?.err as Record<string, unknown>).rawPacket, `[binary ${raw.length} bytes]`);
    assert.equal(second?.body, `[binary ${raw.length} bytes]`);
  });
});
