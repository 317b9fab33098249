/*
 * The jest fixture of ActivityController (data/activityController.ts) says what the Apex says:
 * each message equals the constant of that name in ActivityController.cls.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { APEX_TEXT } from './data/activityController';

const CONTROLLER = path.resolve(__dirname, '../../../classes/ActivityController.cls');

/** `static final String NAME = '...';` constants of an Apex class, unescaped. */
function apexStringConstants(source: string): Map<string, string> {
  const constants = new Map<string, string>();
  const pattern = /static\s+final\s+String\s+(\w+)\s*=\s*'((?:[^'\\]|\\.)*)'\s*;/g;
  for (const [, name = '', literal = ''] of source.matchAll(pattern)) {
    constants.set(name, literal.replace(/\\(.)/g, '$1'));
  }
  return constants;
}

describe('ActivityController jest fixture', () => {
  const constants = apexStringConstants(readFileSync(CONTROLLER, 'utf8'));

  it.each(Object.entries(APEX_TEXT))('%s is the Apex constant', (name, text) => {
    expect(constants.get(name)).toBe(text);
  });
});
