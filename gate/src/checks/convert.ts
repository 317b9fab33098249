import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  ComponentSet,
  ForceIgnore,
  MetadataConverter,
  type SourceComponent
} from '@salesforce/source-deploy-retrieve';
import type { CheckResult, Finding } from '../finding.ts';
import { rel, type Workspace } from '../workspace.ts';

/** Files that must never reach an org. */
const NEVER_DEPLOYED = /(\.ts$|tsconfig[^/]*\.json$|\/__tests__\/|\/__mocks__\/)/;

function sourceFiles(component: SourceComponent): string[] {
  const own = [component.xml, ...(component.content ? component.walkContent() : [])];
  return [...own, ...component.getChildren().flatMap(sourceFiles)].filter(
    (f): f is string => typeof f === 'string'
  );
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

/**
 * Converts the source to Metadata API format with source-deploy-retrieve, the library behind
 * `sf project deploy start` and `sf project convert source`. It catches unknown folders and
 * suffixes by throwing; what it silently drops (a class without its -meta.xml, a stray file in
 * a type folder) is caught by checking that every file not in .forceignore belongs to a
 * component. The output must hold every component and none of the TypeScript sources.
 */
export async function checkConvert(ws: Workspace): Promise<CheckResult> {
  const findings: Finding[] = [];
  let components: ComponentSet;
  try {
    components = ComponentSet.fromSource({ fsPaths: ws.packageDirs });
  } catch (error) {
    const e = error as Error & { data?: unknown };
    const file = /(\/[^\s'"]+?)(?::?\s|:?$)/.exec(e.message)?.[1];
    return {
      findings: [
        {
          check: 'convert',
          file: file ? rel(ws, file) : 'sfdx-project.json',
          severity: 'error',
          message: `source-deploy-retrieve cannot resolve the source: ${e.message}`
        }
      ]
    };
  }

  const ignore = ForceIgnore.findAndCreate(ws.root);
  const claimed = new Set(components.getSourceComponents().toArray().flatMap(sourceFiles));
  for (const file of ws.files) {
    if (claimed.has(file) || ignore.denies(file)) continue;
    findings.push({
      check: 'convert',
      file: rel(ws, file),
      severity: 'error',
      message:
        'belongs to no deployable component: the CLI would silently leave it out of the deploy'
    });
  }

  const outputDir = await mkdtemp(path.join(os.tmpdir(), 'gate-convert-'));
  try {
    await new MetadataConverter().convert(components, 'metadata', {
      type: 'directory',
      outputDirectory: outputDir,
      genUniqueDir: false
    });
    const output = await listFiles(outputDir);
    for (const file of output.filter((f) => NEVER_DEPLOYED.test(f.split(path.sep).join('/')))) {
      findings.push({
        check: 'convert',
        file: path.relative(outputDir, file),
        severity: 'error',
        message:
          'would be deployed but is a TypeScript source, config or test: add it to .forceignore'
      });
    }
    for (const bundle of components.getSourceComponents().toArray()) {
      if (bundle.type.name !== 'LightningComponentBundle') continue;
      const js = path.join(outputDir, 'lwc', bundle.fullName, `${bundle.fullName}.js`);
      if (!output.includes(js)) {
        findings.push({
          check: 'convert',
          file: rel(ws, bundle.content ?? ''),
          severity: 'error',
          message: `converted bundle has no ${bundle.fullName}.js: run \`npm run build:lwc\``
        });
      }
    }
    return { findings, summary: `${components.size} components` };
  } finally {
    await rm(outputDir, { recursive: true, force: true });
  }
}
