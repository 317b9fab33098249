// Hundreds of generated malformed requests: each answers 400 validation_failed with a message,
// nothing reaches the gateway, and the process keeps answering.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { API_TOKEN, chargeBody, loadContract, newKey, startHarness } from './harness.ts';
import type { Harness } from './harness.ts';

const contract = loadContract();
const valid = chargeBody(contract, 'tok_4f9d2c7be01a4b6f9a3e5d8c1f7b2a60');
const FIELDS = Object.keys(valid);

/** Deterministic pseudo-random numbers (the same cases on every run). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const WRONG_VALUES: Record<string, unknown[]> = {
  amountMinor: [
    0,
    -1,
    -12550,
    1.5,
    0.01,
    '12550',
    null,
    true,
    [],
    {},
    1e20,
    Number.MAX_VALUE,
    'NaN'
  ],
  currency: ['aud', 'AU', 'AUDD', 'A1D', '', 36, null, ['AUD'], { code: 'AUD' }, ' AUD', 'Ä€$'],
  paymentToken: [
    '',
    'short',
    'tok with spaces',
    'tok_' + 'a'.repeat(200),
    123,
    null,
    {},
    ['tok'],
    'tok_<script>'
  ],
  reference: ['', 'x'.repeat(51), 'y'.repeat(10_000), 42, null, false, { ref: 1 }],
  recordId: [
    '',
    'a01',
    'a01000000000001AA',
    'a01000000000001AAAA',
    'a01-00000000001AA',
    1,
    null,
    []
  ]
};

interface Case {
  name: string;
  body: string;
}

function generateCases(): Case[] {
  const cases: Case[] = [];
  const json = (value: unknown) => JSON.stringify(value);
  // Each field with each wrong value.
  for (const [field, values] of Object.entries(WRONG_VALUES)) {
    values.forEach((value, i) =>
      cases.push({ name: `${field} wrong #${i}`, body: json({ ...valid, [field]: value }) })
    );
  }
  // Each field missing, and every pair of fields missing.
  for (const field of FIELDS) {
    const without = (names: string[]) =>
      Object.fromEntries(Object.entries(valid).filter(([k]) => !names.includes(k)));
    cases.push({ name: `missing ${field}`, body: json(without([field])) });
    for (const other of FIELDS.filter((f) => f > field)) {
      cases.push({ name: `missing ${field}+${other}`, body: json(without([field, other])) });
    }
  }
  // Not an object at all.
  for (const [name, value] of [
    ['null', null],
    ['array', [valid]],
    ['empty array', []],
    ['number', 12550],
    ['string', 'pay me'],
    ['true', true],
    ['empty object', {}]
  ] as const) {
    cases.push({ name, body: json(value) });
  }
  // Unknown fields (a card number must never be carried along).
  cases.push({
    name: 'extra cardNumber',
    body: json({ ...valid, cardNumber: '4111111111111111' })
  });
  cases.push({ name: 'extra cvv', body: json({ ...valid, cvv: '123' }) });
  cases.push({ name: 'extra field', body: json({ ...valid, amount: 1 }) });
  // Invalid JSON.
  const text = json(valid);
  for (const [name, body] of [
    ['empty body', ''],
    ['truncated', text.slice(0, -1)],
    ['trailing comma', text.replace(/}$/, ',}')],
    ['single quotes', text.replace(/"/g, "'")],
    ['garbage', '{{{{'],
    ['NaN literal', text.replace('12550', 'NaN')],
    ['comment', `/* hi */${text}`],
    ['two objects', `${text}${text}`],
    ['unquoted key', text.replace('"currency"', 'currency')],
    ['binary', '\u0000\u0001\u0002'],
    ['deep nesting', '['.repeat(5000) + ']'.repeat(5000)]
  ] as const) {
    cases.push({ name: `invalid JSON: ${name}`, body });
  }
  // Random mutations: a few fields at once replaced by a random wrong value.
  const next = random(42);
  for (let i = 0; i < 300; i++) {
    const mutated: Record<string, unknown> = { ...valid };
    const count = 1 + Math.floor(next() * 3);
    for (let j = 0; j < count; j++) {
      const field = FIELDS[Math.floor(next() * FIELDS.length)] ?? 'amountMinor';
      const values = WRONG_VALUES[field] ?? [null];
      mutated[field] = values[Math.floor(next() * values.length)];
    }
    cases.push({ name: `random #${i}`, body: json(mutated) });
  }
  return cases;
}

describe('payments: malformed requests', () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({ logLevel: 'warn' });
  });
  after(async () => {
    await h?.stop();
  });

  test('hundreds of generated malformed bodies -> 400 with a message each; the process stays up', async () => {
    const cases = generateCases();
    assert.ok(cases.length >= 350, `${cases.length} cases`);
    for (const c of cases) {
      const response = await fetch(`${h.url}/payments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${API_TOKEN}`,
          'content-type': 'application/json',
          'idempotency-key': newKey('bad')
        },
        body: c.body
      });
      const body = (await response.json()) as { error?: string; message?: string };
      assert.equal(response.status, 400, `${c.name}: ${JSON.stringify(body)}`);
      assert.equal(body.error, 'validation_failed', c.name);
      assert.ok(typeof body.message === 'string' && body.message.length > 10, c.name);
      // The answer never quotes a card number it was sent.
      assert.doesNotMatch(JSON.stringify(body), /4111111111111111/, c.name);
    }
    const health = await fetch(`${h.url}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(h.simulator.control.requests().byRoute['POST /v2/payments'] ?? 0, 0);
    const { rows } = await h.database.pool.query('SELECT count(*)::int AS n FROM payment_requests');
    assert.equal(rows[0].n, 0);
  });

  test('malformed headers: bad idempotency keys and user headers -> 400 with a message', async () => {
    const body = JSON.stringify(valid);
    const variants: Array<Record<string, string>> = [
      { 'idempotency-key': 'short' },
      { 'idempotency-key': 'has spaces in it' },
      { 'idempotency-key': 'x'.repeat(101) },
      { 'idempotency-key': 'semi;colon;key' },
      { 'idempotency-key': newKey(), 'x-sf-user-id': 'not-an-id' },
      { 'idempotency-key': newKey(), 'x-sf-user-email': 'not an email' },
      { 'idempotency-key': newKey(), 'x-sf-contact-id': '003' },
      { 'idempotency-key': newKey(), 'x-sf-org-id': '00D000000000001EAAX' }
    ];
    for (const headers of variants) {
      const response = await fetch(`${h.url}/payments`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${API_TOKEN}`,
          'content-type': 'application/json',
          ...headers
        },
        body
      });
      const answer = (await response.json()) as { error?: string; message?: string };
      assert.equal(response.status, 400, JSON.stringify(headers));
      assert.equal(answer.error, 'validation_failed');
      assert.match(String(answer.message), /^Invalid request headers at /);
    }
  });

  test('a body over 16 KB -> 413 with a message; text/plain -> 400, XML -> 415', async () => {
    const big = await fetch(`${h.url}/payments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${API_TOKEN}`,
        'content-type': 'application/json',
        'idempotency-key': newKey()
      },
      body: JSON.stringify({ ...valid, reference: 'z'.repeat(1024 * 1024) })
    });
    assert.equal(big.status, 413);
    assert.ok(((await big.json()) as { message?: string }).message);
    const form = await fetch(`${h.url}/payments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${API_TOKEN}`,
        'content-type': 'text/plain',
        'idempotency-key': newKey()
      },
      body: JSON.stringify(valid)
    });
    assert.equal(form.status, 400);
    assert.equal(((await form.json()) as { error?: string }).error, 'validation_failed');
    const xml = await fetch(`${h.url}/payments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${API_TOKEN}`,
        'content-type': 'application/xml',
        'idempotency-key': newKey()
      },
      body: '<payment/>'
    });
    assert.equal(xml.status, 415);
    assert.ok(((await xml.json()) as { message?: string }).message);
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
  });
});
