/**
 * The project's two package directories: force-app deploys to every org; force-app-connect holds
 * what needs Salesforce Connect (an extra-cost feature in Enterprise/Unlimited: an org without
 * it rejects the whole deploy), deployed only with `npm run deploy -- --with-salesforce-connect`.
 * So force-app must hold no Salesforce Connect metadata and name nothing of force-app-connect,
 * and its references must resolve with force-app alone, as a deploy of force-app alone resolves
 * them. The gate and the org emulator still read both (sfdx-project.json packageDirectories).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkReferences } from '../src/checks/references.ts';
import { filesEnding, loadWorkspace, rel } from '../src/workspace.ts';
import { TOOL_ROOT } from './fixture.ts';

const BASE = path.join(TOOL_ROOT, 'force-app');
const CONNECT = path.join(TOOL_ROOT, 'force-app-connect');

/** API names of the components in force-app-connect (file name before its metadata suffix). */
async function connectComponents(): Promise<string[]> {
  const ws = await loadWorkspace(TOOL_ROOT, TOOL_ROOT);
  const names = new Set<string>();
  for (const file of ws.files.filter((f) => f.startsWith(CONNECT + path.sep))) {
    const match = /^([A-Za-z0-9_]+)\.[a-zA-Z]+-meta\.xml$/.exec(path.basename(file));
    // A field of an object that force-app also has (e.g. a Contact field) is not the connect
    // directory's own name; its object folder is (objects/<Name>__x).
    if (match?.[1] && !file.includes(`${path.sep}fields${path.sep}`)) names.add(match[1]);
  }
  return [...names].sort();
}

describe('package directories: force-app deploys without force-app-connect', () => {
  it('sfdx-project.json lists both, force-app the default', async () => {
    const project = JSON.parse(await readFile(path.join(TOOL_ROOT, 'sfdx-project.json'), 'utf8'));
    assert.deepEqual(project.packageDirectories, [
      { path: 'force-app', default: true },
      { path: 'force-app-connect', default: false }
    ]);
    const ws = await loadWorkspace(TOOL_ROOT, TOOL_ROOT);
    assert.ok(
      ws.files.some((f) => f.endsWith('Daily_Activity__x.object-meta.xml')),
      'the gate reads the connect directory too'
    );
  });

  it('force-app holds no Salesforce Connect metadata', async () => {
    const ws = await loadWorkspace(TOOL_ROOT, TOOL_ROOT);
    const base = ws.files.filter((f) => f.startsWith(BASE + path.sep));
    const connect = base.filter(
      (f) =>
        f.endsWith('.dataSource-meta.xml') ||
        /__x[./]/.test(path.relative(BASE, f)) ||
        f.endsWith('.externalDataSource-meta.xml')
    );
    assert.deepEqual(
      connect.map((f) => rel(ws, f)),
      []
    );
  });

  it('force-app names no component of force-app-connect', async () => {
    const names = await connectComponents();
    assert.ok(names.includes('Daily_Activity__x'), names.join());
    assert.ok(names.includes('Activity_OData'), names.join());
    assert.ok(names.includes('Activity_Connect_Viewer'), names.join());
    const ws = await loadWorkspace(TOOL_ROOT, TOOL_ROOT);
    const offenders: string[] = [];
    const base = ws.files.filter((f) => f.startsWith(BASE + path.sep));
    for (const file of filesEnding(
      { ...ws, files: base },
      '.xml',
      '.cls',
      '.trigger',
      '.js',
      '.html'
    )) {
      // Comments and descriptions may explain where the connect parts are; references are
      // element values, Apex and LWC code. XML comments are dropped; any other mention counts.
      const text = (await readFile(file, 'utf8')).replace(/<!--[\s\S]*?-->/g, '');
      const code =
        file.endsWith('.cls') || file.endsWith('.trigger') || file.endsWith('.js')
          ? text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
          : text.replace(/<description>[\s\S]*?<\/description>/g, '');
      for (const name of names) {
        const reference = name.endsWith('__x')
          ? new RegExp(`\\b${name.slice(0, -3)}(__x|s__r)\\b`)
          : new RegExp(`\\b${name}\\b`);
        if (reference.test(code)) offenders.push(`${rel(ws, file)}: ${name}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it("force-app's references resolve with force-app alone (what a deploy of it sees)", async () => {
    const parent = path.join(TOOL_ROOT, '.cache', 'gate-fixtures');
    await mkdir(parent, { recursive: true });
    const dir = await mkdtemp(path.join(parent, 'base-alone-'));
    try {
      const project = JSON.parse(await readFile(path.join(TOOL_ROOT, 'sfdx-project.json'), 'utf8'));
      await writeFile(
        path.join(dir, 'sfdx-project.json'),
        JSON.stringify({
          packageDirectories: [{ path: BASE, default: true }],
          sourceApiVersion: project.sourceApiVersion
        })
      );
      const ws = await loadWorkspace(dir, TOOL_ROOT);
      assert.ok(ws.files.length > 0 && ws.files.every((f) => f.startsWith(BASE + path.sep)));
      const result = await checkReferences(ws);
      assert.deepEqual(
        result.findings
          .filter((f) => f.severity === 'error')
          .map((f) => `${f.file}:${f.line} ${f.message}`),
        []
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
