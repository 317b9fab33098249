import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { apexLsClasspath } from '../src/apex-ls.ts';
import { formatFinding } from '../src/finding.ts';
import { DEMO, FixtureProject, TOOL_ROOT } from './fixture.ts';

function verify(args: string[]) {
  return spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(TOOL_ROOT, 'gate/src/cli.ts'), ...args],
    {
      cwd: TOOL_ROOT,
      encoding: 'utf8'
    }
  );
}

describe('npm run verify (the command line)', () => {
  it('exits 1 and prints file:line of each error for a broken project', async () => {
    const project = await FixtureProject.create('cli');
    try {
      await project.edit(`${DEMO}/classes/DemoService.cls`, 'name.trim()', 'name.shout()');
      const run = verify(['--project', project.dir, '--only', 'apex,xml']);
      assert.equal(run.status, 1, run.stdout + run.stderr);
      assert.match(
        run.stdout,
        /force-app\/main\/demo\/classes\/DemoService\.cls:12:\d+ {2}error \[apex\]/
      );
      assert.match(run.stdout, /verify: FAILED - 1 error/);
    } finally {
      await project.dispose();
    }
  });

  it('rejects an unknown check name with the list of known ones', () => {
    const run = verify(['--only', 'apex,nonsense']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /unknown check\(s\): nonsense; known: apex, pmd/);
  });

  it('rejects an unknown flag and prints usage', () => {
    const run = verify(['--fast']);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /Unknown option '--fast'/);
    assert.match(run.stderr, /Usage: npm run verify/);
  });
});

describe('apex-ls on Java 17', () => {
  it('extracts the Java 21 classes downgraded to class-file version 61 from a clean cache', async () => {
    const cacheRoot = path.join(TOOL_ROOT, 'node_modules', '.cache', 'apex-ls-java17');
    await rm(cacheRoot, { recursive: true, force: true });
    const classpath = await apexLsClasspath();
    const patchedDir = classpath.split(path.delimiter)[0] ?? '';
    assert.ok(existsSync(path.join(patchedDir, '.complete')));
    const classes = (await readdir(patchedDir, { recursive: true })).filter((f) =>
      String(f).endsWith('.class')
    );
    assert.ok(classes.length >= 21, `expected the 21 Java 21 classes, got ${classes.length}`);
    const { readFile } = await import('node:fs/promises');
    for (const cls of classes) {
      const bytes = await readFile(path.join(patchedDir, String(cls)));
      assert.equal(bytes.readUInt16BE(6), 61, `${String(cls)} class-file major version`);
    }
  });
});

describe('finding format', () => {
  it('prints file:line:column like a compiler, then severity, check and rule', () => {
    assert.equal(
      formatFinding({
        check: 'pmd',
        file: 'a/B.cls',
        line: 3,
        column: 7,
        severity: 'error',
        rule: 'pmd:X',
        message: 'bad'
      }),
      'a/B.cls:3:7  error [pmd] (pmd:X) bad'
    );
    assert.equal(
      formatFinding({ check: 'xml', file: 'a.xml', severity: 'warning', message: 'm' }),
      'a.xml  warning [xml] m'
    );
  });
});
