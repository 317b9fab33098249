/**
 * A small org for the Bulk API 2.0 tests: a throw-away SFDX project (Account gets the external
 * id `SAP_Customer_Number__c`, a Checkbox and a DateTime field), its emulator context, and a
 * fastify server with the bulk routes only, so tests can pass the plugin's settings (a slower
 * state machine, smaller result sets). Tests that need the whole emulator use
 * `startTestEmulator` instead. Always `await app.close()`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { Connection } from 'jsforce';
import { bulkRoutes, type BulkRoutesOptions } from '../../src/bulk/plugin.ts';
import { createEmulatorContext, type CoreEmulatorContext } from '../../src/context.ts';
import { defaultConfig } from '../../src/emulator.ts';
import { installErrorHandling } from '../../src/http/errors.ts';

export const API_VERSION = '65.0';

function customField(name: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
  <fullName>${name}</fullName>
  <label>${name.replace(/__c$/, '').replace(/_/g, ' ')}</label>
${body}
</CustomField>
`;
}

/** Writes the test project and returns its directory. */
export async function writeBulkTestProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bulk-project-'));
  await writeFile(
    join(dir, 'sfdx-project.json'),
    JSON.stringify({ packageDirectories: [{ path: 'force-app', default: true }] })
  );
  const fields = join(dir, 'force-app/main/default/objects/Account/fields');
  await mkdir(fields, { recursive: true });
  await writeFile(
    join(fields, 'SAP_Customer_Number__c.field-meta.xml'),
    customField(
      'SAP_Customer_Number__c',
      '  <externalId>true</externalId>\n  <unique>true</unique>\n  <length>20</length>\n  <type>Text</type>'
    )
  );
  await writeFile(
    join(fields, 'Is_Key_Account__c.field-meta.xml'),
    customField(
      'Is_Key_Account__c',
      '  <defaultValue>false</defaultValue>\n  <type>Checkbox</type>'
    )
  );
  await writeFile(
    join(fields, 'Last_Synced__c.field-meta.xml'),
    customField('Last_Synced__c', '  <type>DateTime</type>')
  );
  return dir;
}

export interface BulkTestApp {
  instanceUrl: string;
  accessToken: string;
  ctx: CoreEmulatorContext;
  /** A jsforce connection on the emulator with the administrator's token. */
  connection(): Connection;
  /** An authenticated request under `/services/data/v65.0/` (or an absolute path). */
  request(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> }
  ): Promise<Response>;
  close(): Promise<void>;
}

export async function startBulkApp(
  settings: Omit<BulkRoutesOptions, 'ctx'> = {}
): Promise<BulkTestApp> {
  const projectDir = await writeBulkTestProject();
  const ctx = await createEmulatorContext(defaultConfig(projectDir));
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
  installErrorHandling(app);
  await app.register(bulkRoutes, { ctx, ...settings });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const instanceUrl = `http://127.0.0.1:${port}`;
  const accessToken = ctx.sessions.issue(ctx.adminUser.username).accessToken;

  return {
    instanceUrl,
    accessToken,
    ctx,
    connection: () => new Connection({ instanceUrl, accessToken, version: API_VERSION }),
    request(method, path, options = {}) {
      const url = path.startsWith('/')
        ? `${instanceUrl}${path}`
        : `${instanceUrl}/services/data/v${API_VERSION}/${path}`;
      const { body } = options;
      const isText = typeof body === 'string';
      return fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${accessToken}`,
          ...(body === undefined
            ? {}
            : { 'content-type': isText ? 'text/csv' : 'application/json' }),
          ...options.headers
        },
        ...(body === undefined ? {} : { body: isText ? body : JSON.stringify(body) })
      });
    },
    async close() {
      await app.close();
      await ctx.close();
      await rm(projectDir, { recursive: true, force: true });
    }
  };
}
