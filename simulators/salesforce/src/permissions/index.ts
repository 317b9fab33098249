/**
 * Who may do what in the emulated org: each user's profile and permission sets (seeded users'
 * assignments, else the built-in profile their User record's ProfileId names, else nothing),
 * compiled once per user into their access (access.ts) and record rules (sharing.ts), and the
 * context their API requests run in: their view of the schema, the store behind their access
 * checks (user-store.ts), and a SOQL engine over both. A System Administrator's requests run in
 * the unrestricted context itself, so "Modify All Data" costs nothing.
 */
import type {
  EmulatorContext,
  ObjectRights,
  Principal,
  Schema,
  UserPermissions
} from '../model.ts';
import { createSoqlEngine } from '../soql/index.ts';
import type { MemoryRecordStore } from '../store/index.ts';
import { compileAccess, type UserAccess } from './access.ts';
import type { PermissionSetDefinition } from './permission-sets.ts';
import { MINIMUM_ACCESS, profileById, profileByName, type Profile } from './profiles.ts';
import { recordRules, type RecordRules, type SharingModels } from './sharing.ts';
import { userStore } from './user-store.ts';
import type { SeededUser } from './users.ts';

export { loadPermissionSets } from './permission-sets.ts';
export { sharingModels } from './sharing.ts';
export * from './users.ts';

interface CompiledUser {
  access: UserAccess;
  rules: RecordRules;
  profile: Profile;
  permissionSets: string[];
  context?: EmulatorContext;
  /** The User record's ProfileId when compiled: an API change of it recompiles. */
  stamp: unknown;
}

export function createUserPermissions(options: {
  schema: Schema;
  store: MemoryRecordStore;
  permissionSets: ReadonlyMap<string, PermissionSetDefinition>;
  sharing: SharingModels;
  users: readonly SeededUser[];
}): UserPermissions {
  const { schema, store, permissionSets, sharing } = options;
  const seeded = new Map(options.users.map((user) => [user.userId, user]));
  const compiled = new Map<string, CompiledUser>();

  function assignment(userId: string): { profile: Profile; permissionSets: string[] } {
    const user = seeded.get(userId);
    // The User record's ProfileId wins (an API update moves a seeded user to another profile).
    const recorded = profileById(store.get('User', userId)?.ProfileId);
    if (user) return { profile: recorded ?? user.profile, permissionSets: user.permissionSets };
    return { profile: recorded ?? (profileByName(MINIMUM_ACCESS) as Profile), permissionSets: [] };
  }

  function compile(userId: string): CompiledUser {
    const stamp = store.get('User', userId)?.ProfileId;
    let entry = compiled.get(userId);
    if (entry && entry.stamp === stamp) return entry;
    const { profile, permissionSets: names } = assignment(userId);
    const definitions = [
      profile.definition,
      ...names.flatMap((name) => permissionSets.get(name) ?? [])
    ];
    const access = compileAccess(schema, definitions);
    const rules = recordRules(
      { userId, access, external: profile.external },
      sharing,
      schema,
      store
    );
    entry = { access, rules, profile, permissionSets: names, stamp };
    compiled.set(userId, entry);
    return entry;
  }

  return {
    assignment(userId) {
      const { profile, permissionSets: names } = compile(userId);
      return { profile: profile.definition.name, profileId: profile.id, permissionSets: names };
    },
    objectRights(principal, objectName): ObjectRights {
      return compile(principal.userId).access.object(objectName);
    },
    modifyAllData(principal) {
      return compile(principal.userId).access.modifyAllData;
    },
    contextFor(ctx: EmulatorContext, principal: Principal): EmulatorContext {
      const entry = compile(principal.userId);
      if (entry.access.modifyAllData) return ctx;
      if (!entry.context) {
        const guarded = userStore(store, entry.access, entry.rules);
        entry.context = {
          ...ctx,
          schema: entry.access.schema,
          store: guarded,
          soql: createSoqlEngine(entry.access.schema, guarded, ctx.clock)
        };
      }
      return entry.context;
    },
    reset() {
      compiled.clear();
    }
  };
}
