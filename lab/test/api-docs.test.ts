// docs/api/<service>.openapi.json are the documents `npm run docs:api` generates from the services'
// route schemas: one per service the lab runs, nothing stale, generated without any database.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { projectRoot } from '../../toolkit/src/project.ts';
import { defineConfig, required, text } from '../../toolkit/src/env.ts';
import {
  API_DOCS_DIR,
  apiDocPath,
  documentationEnv,
  renderApiDocument,
  serviceApiDocument
} from '../../services/src/platform/http/openapi-docs.ts';
import { defineService } from '../../services/src/platform/index.ts';
import { documentedApis } from '../src/api-docs.ts';

const root = projectRoot();

describe('API documents (docs/api)', () => {
  for (const { service, openapi, file: relative } of documentedApis()) {
    {
      test(`${relative} is the OpenAPI ${openapi} document of the ${service.name} routes`, async () => {
        const file = path.join(root, relative);
        assert.ok(existsSync(file), `${relative} is missing: run npm run docs:api`);
        const committed = readFileSync(file, 'utf8');
        const generated = await renderApiDocument(await serviceApiDocument(service, openapi), root);
        assert.equal(
          committed,
          generated,
          `${relative} differs from the service's routes: run npm run docs:api`
        );
      });
    }
  }

  test('docs/api holds the documents of the services the lab runs, nothing else', () => {
    const files = readdirSync(path.join(root, API_DOCS_DIR)).filter((f) => f.endsWith('.json'));
    assert.deepEqual(
      files.map((f) => `${API_DOCS_DIR}/${f}`).sort(),
      documentedApis()
        .map(({ file }) => file)
        .sort(),
      'a document in docs/api belongs to no service: delete it'
    );
  });

  test('the payments document describes its two operations and the contract statuses', async () => {
    const document = JSON.parse(readFileSync(path.join(root, apiDocPath('payments')), 'utf8')) as {
      paths: Record<string, Record<string, { operationId: string; responses: object }>>;
    };
    const charge = document.paths['/payments']?.post;
    const get = document.paths['/payments/{key}']?.get;
    assert.equal(charge?.operationId, 'chargePayment');
    assert.equal(get?.operationId, 'getPayment');
    for (const status of ['200', '202', '400', '401', '409', '422', '502'])
      assert.ok(status in (charge?.responses ?? {}), `POST /payments documents ${status}`);
    for (const status of ['200', '202', '400', '401', '404', '502'])
      assert.ok(status in (get?.responses ?? {}), `GET /payments/{key} documents ${status}`);
  });

  test('documenting a service opens nothing: a start() that queries the database fails, naming it', async () => {
    const config = defineConfig({
      name: 'doc-test',
      docs: 'none',
      variables: {
        DOC_TEST_URL: required(text({ pattern: /^https:/ }), { description: 'x' }),
        DOC_TEST_NAME: required(text(), { description: 'y' })
      },
      build: (v) => v
    });
    assert.deepEqual(documentationEnv(config), {
      DOC_TEST_URL: 'https://documentation.invalid',
      DOC_TEST_NAME: 'https://documentation.invalid'
    });
    const greedy = defineService({
      name: 'greedy',
      config,
      async start({ pool }) {
        await pool.query('SELECT 1');
        return {};
      }
    });
    await assert.rejects(serviceApiDocument(greedy), /pool\.query\(\) was called while the API/);
  });
});
