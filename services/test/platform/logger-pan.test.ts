// Property test of the logger's card-number scrubber (issue 11, finding 8): card numbers in
// every form (pan-forms.ts) never survive in a log line, in the message, in a logged URL or in a
// nested field.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import { createLogger, scrubText } from '../../src/platform/logger.ts';
import { holdsPan, panForm } from '../payments/pan-forms.ts';

test('no card number survives scrubText, whatever its form', () => {
  fc.assert(
    fc.property(panForm, ({ pan, text }) => {
      for (const context of [
        text,
        `/payments/${text}`,
        `/x/${text}?q=1`,
        `card ${text} declined`
      ]) {
        const scrubbed = scrubText(context);
        assert.equal(holdsPan(scrubbed, pan), false, `${context} -> ${scrubbed}`);
      }
    }),
    { numRuns: 2_000 }
  );
});

test('no card number survives in a log line, whatever its form', () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    }
  });
  const logger = createLogger({ level: 'info', destination, service: 'logger-pan-test' });
  fc.assert(
    fc.property(panForm, ({ pan, text }) => {
      lines.length = 0;
      logger.info({ req: { url: `/payments/${text}` }, detail: { note: text } }, `refused ${text}`);
      const record = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
      for (const value of [record.msg, JSON.stringify(record.req), JSON.stringify(record.detail)]) {
        assert.equal(holdsPan(String(value), pan), false, String(value));
      }
    }),
    { numRuns: 1_000 }
  );
});
