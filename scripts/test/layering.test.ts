// The repository's layering (eslint.config.js, import/no-restricted-paths) fails `npm run lint`
// on imports that point up or sideways: checked here on in-memory files placed where a real one
// would be, so the rule cannot be switched off or mis-scoped silently.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import path from 'node:path';
import { ESLint } from 'eslint';
import { projectRoot } from '../../toolkit/src/project.ts';

const root = projectRoot();
const eslint = new ESLint({ cwd: root });

async function layeringErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'import/no-restricted-paths')
    .map((m) => m.message);
}

describe('layering (npm run lint)', () => {
  test('a simulator importing services/ fails with the rule name and why', async () => {
    const errors = await layeringErrors(
      'simulators/sap/src/layering-fixture.ts',
      "import { createLogger } from '../../../services/src/platform/index.ts';\nexport const x = createLogger;\n"
    );
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0] ?? '', /Simulators depend on the toolkit only/);
  });

  test('a simulator test importing services/ fails too', async () => {
    const errors = await layeringErrors(
      'simulators/securepay/test/layering-fixture.test.ts',
      "import { paymentsService } from '../../../services/src/payments/service.ts';\nexport const x = paymentsService;\n"
    );
    assert.equal(errors.length, 1, errors.join('\n'));
  });

  test('sideways and upward imports fail; downward ones pass', async () => {
    const cases: Array<[string, string, boolean]> = [
      ['simulators/sap/src/f.ts', '../../securepay/src/server.ts', false],
      ['simulators/sap/src/f.ts', '../../../toolkit/src/faults.ts', true],
      ['toolkit/src/f.ts', '../../services/src/platform/index.ts', false],
      ['gate/src/f.ts', '../../scripts/lib/sf.ts', false],
      ['services/src/platform/f.ts', '../payments/service.ts', false],
      ['services/src/platform/f.ts', '../../../simulators/sap/src/server.ts', false],
      ['services/src/payments/f.ts', '../platform/db/pool.ts', false],
      ['services/src/payments/f.ts', '../platform/index.ts', true],
      ['services/src/payments/f.ts', '../account-sync/events.ts', false],
      ['services/src/payments/f.ts', '../../../toolkit/testing/wait.ts', false],
      ['scripts/lib/f.ts', '../../services/src/platform/index.ts', false],
      ['scripts/lib/f.ts', '../../gate/src/lwc-build.ts', true],
      ['lab/src/f.ts', '../../services/src/payments/service.ts', true],
      ['services/test/f.test.ts', '../../simulators/sap/src/server.ts', true]
    ];
    for (const [file, specifier, allowed] of cases) {
      const errors = await layeringErrors(
        file,
        `import * as m from '${specifier}';\nexport { m };\n`
      );
      assert.equal(errors.length === 0, allowed, `${file} -> ${specifier}: ${errors.join('; ')}`);
    }
  });
});
