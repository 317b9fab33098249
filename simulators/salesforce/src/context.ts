/**
 * Wires one emulated org: schema from the project's metadata, the record store seeded with the
 * Organization, the integration user, the deployed custom metadata records and record types,
 * the clock, sessions, API-call counter, SOQL engine and event bus. Platform events inserted
 * through any API are published on the bus. With `persistPath`, stored records survive restarts.
 */
import type { EmulatorConfig, EmulatorContext, Principal } from './model.ts';
import { createApiCallCounter } from './api-calls.ts';
import { createClock } from './clock.ts';
import { newId, normalizeId, PROFILE_KEY_PREFIX, to18 } from './ids.ts';
import { createRecordPersistence } from './persistence.ts';
import { createEventBus } from './pubsub/event-bus.ts';
import { loadCustomMetadataRecords, loadRecordTypes, loadSchema } from './schema/index.ts';
import { createSessionStore } from './sessions.ts';
import { createSoqlEngine } from './soql/index.ts';
import type { MemoryRecordStore } from './store/index.ts';
import { createRecordStore } from './store/index.ts';

export const INTEGRATION_USERNAME = 'integration@emulator.local';

/** The Organization record's name (what `SELECT Name FROM Organization` answers). */
export const ORGANIZATION_NAME = 'Salesforce Org Emulator';

export interface CoreEmulatorContext extends EmulatorContext {
  store: MemoryRecordStore;
  /** Writes pending changes to `persistPath` now (no-op without persistence). */
  flush(): Promise<void>;
  /** Flushes and stops the persistence timer. Call it when the emulator stops. */
  close(): Promise<void>;
}

export async function createEmulatorContext(config: EmulatorConfig): Promise<CoreEmulatorContext> {
  const organizationId = normalizeId(config.organizationId);
  if (organizationId === undefined || !organizationId.startsWith('00D')) {
    throw new Error(
      `organizationId must be a Salesforce Organization id (00D...), got ${config.organizationId}`
    );
  }
  const schema = await loadSchema(config.projectDir);
  const clock = createClock();
  // Deterministic, so tokens and fixtures can name the integration user across restarts.
  const integrationUser: Principal = {
    userId: newId('005', 1),
    username: INTEGRATION_USERNAME,
    organizationId
  };
  const store = createRecordStore(schema, clock, { systemUserId: integrationUser.userId });

  store.seed(
    'Organization',
    {
      Name: ORGANIZATION_NAME,
      OrganizationType: 'Enterprise Edition',
      InstanceName: 'EMU1',
      IsSandbox: false,
      TimeZoneSidKey: 'GMT'
    },
    integrationUser,
    organizationId
  );
  store.seed(
    'User',
    {
      Username: INTEGRATION_USERNAME,
      FirstName: 'Integration',
      LastName: 'User',
      Email: INTEGRATION_USERNAME,
      Alias: 'integ',
      CommunityNickname: 'integration',
      IsActive: true,
      ProfileId: to18(`${PROFILE_KEY_PREFIX}000000000001`)
    },
    integrationUser,
    integrationUser.userId
  );
  for (const { objectName, fields } of await loadCustomMetadataRecords(config.projectDir)) {
    if (schema.getObject(objectName) === undefined) continue;
    try {
      store.seed(objectName, fields, integrationUser);
    } catch (error) {
      throw new Error(
        `Custom metadata record ${objectName}.${String(fields.DeveloperName)} does not fit its type: ${(error as Error).message}`,
        { cause: error }
      );
    }
  }

  for (const recordType of await loadRecordTypes(config.projectDir)) {
    store.seed('RecordType', recordType, integrationUser);
  }

  const bus = createEventBus(clock, config.eventRetentionMs);
  clock.onAdvance(() => bus.expire());
  store.onInsert((object, record) => {
    if (object.kind !== 'platformEvent') return;
    // The event's own fields: the bus stamps ReplayId, and a Pub/Sub payload has no Id.
    const payload: Record<string, unknown> = { ...record };
    delete payload.Id;
    delete payload.ReplayId;
    bus.publish(object.name, payload);
  });

  const persistence =
    config.persistPath === undefined
      ? undefined
      : createRecordPersistence(config.persistPath, store);
  if (persistence) await persistence.load();

  const resolveUser = (username: string): Principal | undefined => {
    const [user] = store.findByField('User', 'Username', username);
    if (user === undefined || user.IsActive === false) return undefined;
    return { userId: user.Id, username: String(user.Username), organizationId };
  };

  return {
    config: { ...config, organizationId },
    schema,
    store,
    soql: createSoqlEngine(schema, store, clock),
    bus,
    sessions: createSessionStore(clock, config.accessTokenLifetimeMs, resolveUser),
    apiCalls: createApiCallCounter(config.dailyApiMax),
    clock,
    integrationUser,
    flush: async () => persistence?.flush(),
    close: async () => persistence?.close()
  };
}
