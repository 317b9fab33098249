/**
 * Wires one emulated org: schema from the project's metadata, the record store seeded with the
 * Organization, the users (permissions/users.ts) with their profiles and the project's
 * permission sets, the deployed custom metadata records and record types,
 * the clock, sessions, API-call counter, SOQL engine and event bus. Platform events inserted
 * through any API are published on the bus. With `persistPath`, stored records survive restarts.
 */
import type { EmulatorConfig, EmulatorContext, Principal } from './model.ts';
import { createApiCallCounter } from './api-calls.ts';
import { createClock } from './clock.ts';
import { normalizeId } from './ids.ts';
import {
  ADMIN_USERNAME,
  createUserPermissions,
  INTEGRATION_USERNAME,
  PORTAL_USERNAME,
  loadPermissionSets,
  seededUsers,
  sharingModels
} from './permissions/index.ts';
import { createRecordPersistence } from './persistence.ts';
import { createEventBus } from './pubsub/event-bus.ts';
import {
  buildSchema,
  loadCustomMetadataRecords,
  loadRecordTypes,
  readProjectMetadata
} from '../../../toolkit/src/salesforce-schema/index.ts';
import { createSessionStore } from './sessions.ts';
import { createSoqlEngine } from './soql/index.ts';
import type { MemoryRecordStore } from './store/index.ts';
import { createRecordStore } from './store/index.ts';

export { ADMIN_USERNAME, INTEGRATION_USERNAME, PORTAL_USERNAME };

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
  const metadata = await readProjectMetadata(config.projectDir);
  const schema = buildSchema(metadata);
  const permissionSets = await loadPermissionSets(config.projectDir);
  const sharing = sharingModels(metadata.objects.values(), config.sharingModels);
  const clock = createClock();
  const users = seededUsers(new Set(permissionSets.keys()));
  const principalOf = (username: string): Principal => {
    const user = users.find((u) => u.username === username);
    if (!user) throw new Error(`No seeded user ${username}`);
    return { userId: user.userId, username, organizationId };
  };
  // Deterministic, so tokens and fixtures can name the seeded users across restarts.
  const integrationUser = principalOf(INTEGRATION_USERNAME);
  const adminUser = principalOf(ADMIN_USERNAME);
  // Fixtures and generated datasets are the administrator's, as data loaded by an admin is.
  const store = createRecordStore(schema, clock, { systemUserId: adminUser.userId });

  store.seed(
    'Organization',
    {
      Name: ORGANIZATION_NAME,
      OrganizationType: 'Enterprise Edition',
      InstanceName: 'EMU1',
      IsSandbox: false,
      TimeZoneSidKey: 'GMT'
    },
    adminUser,
    organizationId
  );
  for (const user of users) {
    store.seed(
      'User',
      {
        Username: user.username,
        Email: user.username,
        IsActive: true,
        ProfileId: user.profile.id,
        ...user.fields
      },
      adminUser,
      user.userId
    );
  }
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
    sessions: createSessionStore(
      clock,
      config.accessTokenLifetimeMs,
      resolveUser,
      (userId) => store.get('User', userId)?.IsActive !== false
    ),
    apiCalls: createApiCallCounter(config.dailyApiMax),
    clock,
    integrationUser,
    adminUser,
    permissions: createUserPermissions({ schema, store, permissionSets, sharing, users }),
    flush: async () => persistence?.flush(),
    close: async () => persistence?.close()
  };
}
