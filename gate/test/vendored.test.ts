/**
 * The vendored rule (checks/vendored.ts): a committed copy of a package file (the Chart.js static
 * resource) fails when it differs from the installed file, passes when equal, is skipped in a
 * project without it; this repository passes.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkFormat } from '../src/checks/format.ts';
import { checkVendored, VENDORED } from '../src/checks/vendored.ts';
import { loadWorkspace } from '../src/workspace.ts';
import { FixtureProject, TOOL_ROOT } from './fixture.ts';

const CHART = VENDORED.find((v) => v.copy.endsWith('/ChartJs.js'))!;

async function findingsWith(copy: string | Buffer | undefined) {
  const project = await FixtureProject.create('vendored');
  try {
    if (copy !== undefined) await project.write(CHART.copy, copy.toString());
    return (await checkVendored(await loadWorkspace(project.dir, TOOL_ROOT))).findings;
  } finally {
    await project.dispose();
  }
}

describe('vendored', () => {
  it('passes a byte-identical copy of the installed Chart.js', async () => {
    const original = await readFile(path.join(TOOL_ROOT, CHART.source));
    assert.deepEqual(await findingsWith(original), []);
  });

  it('fails an edited copy, naming the file and how to refresh it', async () => {
    const original = await readFile(path.join(TOOL_ROOT, CHART.source), 'utf8');
    const findings = await findingsWith(original.replace('v4.6.2', 'v4.6.1'));
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.file, CHART.copy);
    assert.equal(findings[0]?.severity, 'error');
    assert.match(
      findings[0]?.message ?? '',
      /cp node_modules\/chart\.js\/dist\/chart\.umd\.min\.js/
    );
  });

  it('fails a copy whose package file is not installed', async () => {
    const project = await FixtureProject.create('vendored-missing');
    try {
      await project.write('force-app/main/demo/staticresources/Lib.js', 'x');
      const findings = (
        await checkVendored(await loadWorkspace(project.dir, TOOL_ROOT), [
          {
            copy: 'force-app/main/demo/staticresources/Lib.js',
            source: 'node_modules/no-such/x.js'
          }
        ])
      ).findings;
      assert.equal(findings.length, 1);
      assert.match(findings[0]?.message ?? '', /not installed/);
    } finally {
      await project.dispose();
    }
  });

  it('has nothing to check in a project without the copy', async () => {
    assert.deepEqual(await findingsWith(undefined), []);
  });

  it('passes this repository (its static resource is the installed Chart.js)', async () => {
    const result = await checkVendored(await loadWorkspace(TOOL_ROOT, TOOL_ROOT));
    assert.deepEqual(result.findings, []);
    assert.equal(result.summary, '1 vendored files');
  });

  it('is what the format check leaves alone: a vendored copy ships as its package wrote it', async () => {
    const project = await FixtureProject.create('vendored-format');
    try {
      const unformatted = 'var a=1;;function f(){return a}\n';
      await project.write(CHART.copy, unformatted);
      await project.write('force-app/main/demo/staticresources/Other.js', unformatted);
      const files = (await checkFormat(await loadWorkspace(project.dir, TOOL_ROOT))).findings.map(
        (f) => f.file
      );
      assert.ok(files.includes('force-app/main/demo/staticresources/Other.js'));
      assert.ok(!files.includes(CHART.copy));
    } finally {
      await project.dispose();
    }
  });
});
