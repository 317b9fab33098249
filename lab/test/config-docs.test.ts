// Every variable table in the docs is the one its configuration definition renders.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import * as prettier from 'prettier';
import { projectRoot } from '../../toolkit/src/project.ts';
import { DOCUMENTED_CONFIGS, withTable } from '../src/config-docs.ts';

describe('configuration docs', () => {
  for (const config of DOCUMENTED_CONFIGS) {
    test(`${config.docs} holds the ${config.name} variables as generated`, async () => {
      const file = path.join(projectRoot(), config.docs);
      const doc = readFileSync(file, 'utf8');
      const options = (await prettier.resolveConfig(file)) ?? {};
      const expected = await prettier.format(withTable(doc, config), {
        ...options,
        filepath: file
      });
      assert.equal(doc, expected, `run npm run docs:config (${config.docs} differs)`);
      for (const name of Object.keys(config.variables))
        assert.ok(doc.includes(`\`${name}\``), `${name} is documented`);
    });
  }

  test('a doc without its markers is refused with the markers named', () => {
    const [first] = DOCUMENTED_CONFIGS;
    assert.ok(first);
    assert.throws(() => withTable('# no table here\n', first), /lacks the markers <!-- generated/);
  });
});
