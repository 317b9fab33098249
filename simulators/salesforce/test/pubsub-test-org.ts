/**
 * An emulated org for the Pub/Sub tests: a temporary SFDX project defining the platform event
 * `Account_Sync__e` (one field of each type the Avro mapping covers), the emulator's context,
 * and the Pub/Sub gRPC server on a free port of 127.0.0.1 (REST on demand). Also used by the
 * services' subscriber tests. Always `await org.close()`.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ADMIN_USERNAME, createEmulatorContext, INTEGRATION_USERNAME } from '../src/context.ts';
import type { CoreEmulatorContext } from '../src/context.ts';
import { defaultConfig } from '../src/emulator.ts';
import { buildHttpApp } from '../src/http/app.ts';
import type { Principal } from '../src/model.ts';
import { isEmulatorEventBus } from '../src/pubsub/event-bus.ts';
import type { EmulatorEventBus } from '../src/pubsub/event-bus.ts';
import { startPubSubServer } from '../src/pubsub/server.ts';
import type { PubSubServerOptions, RunningPubSubServer } from '../src/pubsub/server.ts';

export const EVENT_NAME = 'Account_Sync__e';
export const TOPIC = `/event/${EVENT_NAME}`;
export { INTEGRATION_USERNAME };

const FIELDS: Record<string, string> = {
  Account_Id__c: '<type>Text</type><length>18</length>',
  Account_Name__c: '<type>Text</type><length>255</length>',
  Annual_Revenue__c: '<type>Number</type><precision>16</precision><scale>2</scale>',
  Is_Active__c: '<type>Checkbox</type><defaultValue>false</defaultValue>',
  Synced_At__c: '<type>DateTime</type>',
  Effective_Date__c: '<type>Date</type>'
};

/** Writes a minimal SFDX project with the Account_Sync__e platform event. */
export async function writeEventProject(dir: string): Promise<void> {
  await writeFile(
    path.join(dir, 'sfdx-project.json'),
    JSON.stringify({ packageDirectories: [{ path: 'force-app', default: true }] })
  );
  const objectDir = path.join(dir, 'force-app/main/default/objects', EVENT_NAME);
  await mkdir(path.join(objectDir, 'fields'), { recursive: true });
  await writeFile(
    path.join(objectDir, `${EVENT_NAME}.object-meta.xml`),
    `<?xml version="1.0" encoding="UTF-8"?>
<CustomObject xmlns="http://soap.sforce.com/2006/04/metadata">
  <deploymentStatus>Deployed</deploymentStatus>
  <eventType>HighVolume</eventType>
  <label>Account Sync</label>
  <pluralLabel>Account Syncs</pluralLabel>
  <publishBehavior>PublishAfterCommit</publishBehavior>
</CustomObject>
`
  );
  for (const [name, body] of Object.entries(FIELDS)) {
    await writeFile(
      path.join(objectDir, 'fields', `${name}.field-meta.xml`),
      `<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
  <fullName>${name}</fullName>
  <label>${name.replace(/__c$/, '').replace(/_/g, ' ')}</label>
  ${body}
</CustomField>
`
    );
  }
}

export interface PubSubTestOrg {
  ctx: CoreEmulatorContext;
  bus: EmulatorEventBus;
  server: RunningPubSubServer;
  endpoint: string;
  accessToken: string;
  /** https: the official client refuses anything else; the server only checks it is present. */
  instanceUrl: string;
  organizationId: string;
  /** The user the token belongs to (the administrator). */
  user: Principal;
  /** Issues a fresh administrator token (after the clock moved past the old one's life). */
  renewToken(): string;
  /** Starts the emulator's HTTP app (REST etc.) on a free port; returns its base URL. */
  startHttp(): Promise<string>;
  /** Stops the gRPC server (the context, and its retained events, stay). */
  stopServer(): Promise<void>;
  /** Starts the gRPC server again, on the same port. */
  restartServer(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The emulator's real context (schema, store, sessions, bus...) for the temporary project, with
 * the Pub/Sub server started separately so tests can stop and restart it on the same port.
 */
export async function startPubSubTestOrg(
  options: Omit<PubSubServerOptions, 'host' | 'port'> & { retentionMs?: number } = {}
): Promise<PubSubTestOrg> {
  const projectDir = await mkdtemp(path.join(os.tmpdir(), 'pubsub-org-'));
  await writeEventProject(projectDir);
  const ctx = await createEmulatorContext({
    ...defaultConfig(projectDir),
    ...(options.retentionMs === undefined ? {} : { eventRetentionMs: options.retentionMs })
  });
  if (!isEmulatorEventBus(ctx.bus)) throw new Error('the context does not use the emulator bus');
  const bus = ctx.bus;
  const serverOptions = { keepaliveMs: options.keepaliveMs ?? 200, ...options };
  let server = await startPubSubServer(ctx, { ...serverOptions, host: '127.0.0.1', port: 0 });
  const port = server.port;
  let http: FastifyInstance | undefined;

  const org: PubSubTestOrg = {
    ctx,
    bus,
    server,
    endpoint: server.endpoint,
    accessToken: ctx.sessions.issue(ADMIN_USERNAME).accessToken,
    instanceUrl: 'https://emulator.my.salesforce.com',
    organizationId: ctx.config.organizationId,
    user: ctx.adminUser,
    renewToken() {
      org.accessToken = ctx.sessions.issue(ADMIN_USERNAME).accessToken;
      return org.accessToken;
    },
    async startHttp() {
      http ??= await buildHttpApp(ctx);
      if (!http.server.listening) await http.listen({ host: '127.0.0.1', port: 0 });
      const address = http.server.address();
      return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    },
    stopServer: () => server.close(),
    async restartServer() {
      server = await startPubSubServer(ctx, { ...serverOptions, host: '127.0.0.1', port });
      org.server = server;
    },
    async close() {
      await server.close();
      await http?.close();
      await ctx.close();
      await rm(projectDir, { recursive: true, force: true });
    }
  };
  return org;
}
