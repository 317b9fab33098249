/**
 * `npm run docs:api`: writes the OpenAPI documents of every service the lab runs into docs/api/
 * (services/src/platform/http/openapi-docs.ts builds them from the services' route schemas).
 * lab/test/api-docs.test.ts fails when a committed document differs from what this writes.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../../toolkit/src/project.ts';
import {
  API_DOCS_DIR,
  API_DOC_VERSIONS,
  apiDocPath,
  renderApiDocument,
  serviceApiDocument
} from '../../services/src/platform/http/openapi-docs.ts';
import { LAB_SERVICES } from './lab.ts';

/** Every committed document: one per service the lab runs and OpenAPI version. */
export function documentedApis(): Array<{
  service: (typeof LAB_SERVICES)[number];
  file: string;
  openapi: (typeof API_DOC_VERSIONS)[number];
}> {
  return LAB_SERVICES.flatMap((service) =>
    API_DOC_VERSIONS.map((openapi) => ({
      service,
      openapi,
      file: apiDocPath(service.name, openapi)
    }))
  );
}

/** Writes each document; returns the files that changed. */
export async function writeApiDocs(root = projectRoot()): Promise<string[]> {
  const written: string[] = [];
  await mkdir(path.join(root, API_DOCS_DIR), { recursive: true });
  for (const { service, openapi, file } of documentedApis()) {
    const target = path.join(root, file);
    const text = await renderApiDocument(await serviceApiDocument(service, openapi), root);
    const before = existsSync(target) ? await readFile(target, 'utf8') : undefined;
    if (text !== before) {
      await writeFile(target, text);
      written.push(file);
    }
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const written = await writeApiDocs();
  console.log(
    written.length ? `updated ${written.join(', ')}` : 'the API documents are up to date'
  );
}
