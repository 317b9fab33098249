/**
 * Permission sets as the project deploys them: every `permissionsets/*.permissionset-meta.xml`
 * under the package directories, read with the schema loader's XML helpers. Only what the
 * emulator enforces is kept: object permissions (CRUD, View All, Modify All), field permissions
 * (readable, editable) and the user permissions named in `<userPermissions>` (ApiEnabled,
 * ViewAllData, ModifyAllData...). Tabs, Apex class access and external credentials are
 * deployable metadata with nothing to enforce through the data APIs.
 */
import type { ObjectRights } from '../model.ts';
import path from 'node:path';
import {
  children,
  flag,
  listDir,
  packageDirectories,
  rootElement,
  SKIPPED_DIRS,
  text
} from '../../../../toolkit/src/salesforce-schema/metadata-loader.ts';

/** One object's permissions as a permission set or profile grants them. */
export type ObjectPermission = ObjectRights;

export interface FieldPermission {
  readable: boolean;
  editable: boolean;
}

/** A permission set, or a profile (both grant the same kinds of permission). */
export interface PermissionSetDefinition {
  /** API name (`Integration_Service_User`), or a profile's name (`System Administrator`). */
  name: string;
  label: string;
  /** Lower-cased object API name -> permission. */
  objects: Map<string, ObjectPermission>;
  /** Lower-cased `Object.Field` -> permission. */
  fields: Map<string, FieldPermission>;
  /** User permission names that are enabled (`ApiEnabled`, `ViewAllData`, ...). */
  userPermissions: Set<string>;
  /** Lower-cased custom metadata types granted by `<customMetadataTypeAccesses>`. */
  customMetadataTypes: Set<string>;
}

export function emptyPermissionSet(name: string, label = name): PermissionSetDefinition {
  return {
    name,
    label,
    objects: new Map(),
    fields: new Map(),
    userPermissions: new Set(),
    customMetadataTypes: new Set()
  };
}

export function parsePermissionSet(
  name: string,
  root: Record<string, unknown>
): PermissionSetDefinition {
  const set = emptyPermissionSet(name, text(root, 'label') ?? name);
  for (const node of children(root, 'objectPermissions')) {
    const object = text(node, 'object');
    if (!object) continue;
    set.objects.set(object.toLowerCase(), {
      create: flag(node, 'allowCreate'),
      read: flag(node, 'allowRead'),
      edit: flag(node, 'allowEdit'),
      delete: flag(node, 'allowDelete'),
      viewAll: flag(node, 'viewAllRecords'),
      modifyAll: flag(node, 'modifyAllRecords')
    });
  }
  for (const node of children(root, 'fieldPermissions')) {
    const field = text(node, 'field');
    if (!field) continue;
    set.fields.set(field.toLowerCase(), {
      readable: flag(node, 'readable'),
      editable: flag(node, 'editable')
    });
  }
  for (const node of children(root, 'userPermissions')) {
    const permission = text(node, 'name');
    if (permission && flag(node, 'enabled')) set.userPermissions.add(permission);
  }
  for (const node of children(root, 'customMetadataTypeAccesses')) {
    const type = text(node, 'name');
    if (type && flag(node, 'enabled')) set.customMetadataTypes.add(type.toLowerCase());
  }
  return set;
}

async function collect(dir: string, into: Map<string, PermissionSetDefinition>): Promise<void> {
  for (const entry of await listDir(dir)) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name))
      continue;
    const sub = path.join(dir, entry.name);
    if (entry.name !== 'permissionsets') {
      await collect(sub, into);
      continue;
    }
    for (const file of await listDir(sub)) {
      const match = /^(.+)\.permissionset-meta\.xml$/.exec(file.name);
      if (!file.isFile() || !match?.[1]) continue;
      const root = await rootElement(path.join(sub, file.name), 'PermissionSet');
      into.set(match[1], parsePermissionSet(match[1], root));
    }
  }
}

/** The project's permission sets by API name. */
export async function loadPermissionSets(
  projectDir: string
): Promise<Map<string, PermissionSetDefinition>> {
  const sets = new Map<string, PermissionSetDefinition>();
  for (const dir of await packageDirectories(projectDir)) await collect(dir, sets);
  return sets;
}
