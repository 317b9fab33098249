/*
 * The jest fixture of PaymentController (data/paymentController.ts) says what the Apex says: each
 * text equals the constant of that name in PaymentController.cls, and no outcome's message
 * repeats its log reference (the LWC shows `logReference` itself).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { APEX_TEXT, LOG_REFERENCE, OUTCOMES } from './data/paymentController';

const CONTROLLER = path.resolve(__dirname, '../../../classes/PaymentController.cls');

/** `static final String NAME = '...';` constants of an Apex class, unescaped. */
function apexStringConstants(source: string): Map<string, string> {
  const constants = new Map<string, string>();
  const pattern = /static\s+final\s+String\s+(\w+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*;/g;
  for (const [, name = '', literal = ''] of source.matchAll(pattern)) {
    constants.set(name, literal.replace(/\\(.)/g, '$1'));
  }
  return constants;
}

describe('PaymentController jest fixture', () => {
  const constants = apexStringConstants(readFileSync(CONTROLLER, 'utf8'));

  it.each(Object.entries(APEX_TEXT))('%s is the Apex constant', (name, text) => {
    expect(constants.get(name)).toBe(text);
  });

  it.each(Object.entries(OUTCOMES))(
    'the %s outcome does not repeat its log reference in the message',
    (_name, outcome) => {
      expect(outcome.message).not.toContain(outcome.logReference ?? LOG_REFERENCE);
      expect(outcome.message).not.toMatch(/Reference:/);
    }
  );

  it('finds the constants it checks (the parser is not silently empty)', () => {
    expect(constants.size).toBeGreaterThanOrEqual(Object.keys(APEX_TEXT).length);
  });
});
