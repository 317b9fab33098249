/**
 * Acceptance: `sf project convert source` (the real Salesforce CLI, offline) on this repository
 * yields every component in force-app and no TypeScript file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { buildLwc } from '../src/lwc-build.ts';
import { TOOL_ROOT } from './fixture.ts';

async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

describe('sf project convert source on this project', () => {
  it('contains every class, trigger, object, permission set and LWC, and no .ts', async () => {
    await buildLwc(TOOL_ROOT, TOOL_ROOT);
    const out = await mkdtemp(path.join(os.tmpdir(), 'convert-'));
    try {
      const run = spawnSync(
        path.join(TOOL_ROOT, 'node_modules', '.bin', 'sf'),
        [
          'project',
          'convert',
          'source',
          '--source-dir',
          'force-app',
          '--output-dir',
          path.join(out, 'mdapi'),
          '--json'
        ],
        {
          cwd: TOOL_ROOT,
          encoding: 'utf8',
          env: {
            ...process.env,
            SF_DISABLE_AUTOUPDATE: 'true',
            SF_AUTOUPDATE_DISABLE: 'true',
            SF_DISABLE_TELEMETRY: 'true'
          }
        }
      );
      assert.equal(run.status, 0, run.stdout + run.stderr);
      const manifest = await readFile(path.join(out, 'mdapi', 'package.xml'), 'utf8');
      const converted = await filesUnder(path.join(out, 'mdapi'));
      assert.deepEqual(
        converted.filter((f) => f.endsWith('.ts') || f.includes('tsconfig')),
        []
      );

      const source = await filesUnder(path.join(TOOL_ROOT, 'force-app'));
      const expected: [string, string][] = [];
      for (const file of source) {
        const base = path.basename(file);
        const parts = file.split(path.sep);
        if (base.endsWith('.cls')) expected.push(['ApexClass', base.slice(0, -4)]);
        if (base.endsWith('.trigger')) expected.push(['ApexTrigger', base.slice(0, -8)]);
        if (base.endsWith('.object-meta.xml'))
          expected.push(['CustomObject', base.replace('.object-meta.xml', '')]);
        if (base.endsWith('.permissionset-meta.xml'))
          expected.push(['PermissionSet', base.replace('.permissionset-meta.xml', '')]);
        if (base.endsWith('.md-meta.xml'))
          expected.push(['CustomMetadata', base.replace('.md-meta.xml', '')]);
        if (base.endsWith('.js-meta.xml') && parts.includes('lwc'))
          expected.push(['LightningComponentBundle', base.replace('.js-meta.xml', '')]);
      }
      assert.ok(expected.length > 0, 'the project has components');
      const parsed = new XMLParser({
        isArray: (name) => name === 'types' || name === 'members'
      }).parse(manifest) as {
        Package: { types: { name: string; members: string[] }[] };
      };
      const members = new Map(parsed.Package.types.map((t) => [t.name, new Set(t.members)]));
      for (const [type, name] of expected) {
        assert.ok(
          members.get(type)?.has(name),
          `${type} ${name} missing from the converted package.xml`
        );
      }
      const bundles = converted.filter(
        (f) => f.split(path.sep).includes('lwc') && f.endsWith('.js')
      );
      assert.ok(
        bundles.length >= expected.filter(([t]) => t === 'LightningComponentBundle').length,
        'each bundle has its compiled .js'
      );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
