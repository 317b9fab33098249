/**
 * `npm run docs:config`: writes the variable tables of the platform and of every service the lab
 * runs into their docs, between `<!-- generated: npm run docs:config (<name>) -->` and
 * `<!-- end generated -->`. The tables come from the configuration definitions themselves, so
 * they cannot drift: lab/test/config-docs.test.ts fails when a doc differs from what this writes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { renderVariableTable, type Config } from '../../toolkit/src/env.ts';
import { projectRoot } from '../../toolkit/src/project.ts';
import { platformConfig } from '../../services/src/platform/index.ts';
import { LAB_SERVICES } from './lab.ts';
import { migrationConfig } from '../../services/src/property-media/migration/config.ts';

/** Every documented configuration: the platform's, then each service's. */
export const DOCUMENTED_CONFIGS: ReadonlyArray<Config<unknown>> = [
  platformConfig,
  ...LAB_SERVICES.map((service) => service.config),
  // Commands that are not services of the lab: the image migration's own variables.
  migrationConfig
];

const END = '<!-- end generated -->';

export function startMarker(config: Config<unknown>): string {
  return `<!-- generated: npm run docs:config (${config.name}) -->`;
}

/** The doc with the configuration's table written between its markers (throws without them). */
export function withTable(doc: string, config: Config<unknown>): string {
  const start = doc.indexOf(startMarker(config));
  const end = doc.indexOf(END, start);
  if (start < 0 || end < 0)
    throw new Error(`${config.docs} lacks the markers ${startMarker(config)} ... ${END}`);
  const table = renderVariableTable(config);
  return `${doc.slice(0, start)}${startMarker(config)}\n\n${table}\n\n${doc.slice(end)}`;
}

export async function writeConfigDocs(root = projectRoot()): Promise<string[]> {
  const written: string[] = [];
  for (const config of DOCUMENTED_CONFIGS) {
    const file = path.join(root, config.docs);
    const before = await readFile(file, 'utf8');
    const options = (await prettier.resolveConfig(file)) ?? {};
    const after = await prettier.format(withTable(before, config), { ...options, filepath: file });
    if (after !== before) {
      await writeFile(file, after);
      written.push(config.docs);
    }
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const written = await writeConfigDocs();
  console.log(written.length ? `updated ${written.join(', ')}` : 'the docs are up to date');
}
