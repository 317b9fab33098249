/**
 * One user's effective access, computed once from their profile and permission sets (the union
 * of what each grants, as Salesforce combines them) and kept for every later request, so a
 * request's checks are map look-ups.
 *
 * The result includes the user's view of the schema: only the objects they can read and, on
 * them, only the fields they can read, with `createable`/`updateable`/`deletable` narrowed to
 * what they may do. Describe, SOQL and the REST routes resolve names against that view, so an
 * invisible field or object fails exactly as an unknown one does in a real org.
 *
 * Fields without field-level security (always readable, editable when the object allows it):
 * the Id, the audit and system fields, the record's name field, universally required fields
 * (not nillable, not a checkbox: Account.Name, a master-detail), every field of a platform
 * event (events have no field permissions), of custom metadata types (readable only with
 * Customize Application, View All Data or a `customMetadataTypeAccesses` grant, as with the
 * org setting "Restrict access to custom metadata types", on by default) and of the setup
 * objects every user reads.
 */
import type { FieldDescribe, Schema, SObjectDescribe } from '../model.ts';
import { createSchema } from '../../../../toolkit/src/salesforce-schema/index.ts';
import type {
  FieldPermission,
  ObjectPermission,
  PermissionSetDefinition
} from './permission-sets.ts';

/** Setup objects every user may read (Users are Public Read Only; the rest have no sharing). */
const READABLE_BY_ALL = new Set(['user', 'organization', 'recordtype', 'group']);

/**
 * Salesforce Files: no profile or permission set grants them (they have no object permissions in
 * an org); a file is reached through its sharing, i.e. the records it is linked to (sharing.ts).
 * Readable, with every field, by every user.
 */
const FILE_OBJECTS = new Set(['contentversion', 'contentdocument', 'contentdocumentlink']);

const SYSTEM_FIELDS = new Set([
  'CreatedDate',
  'CreatedById',
  'LastModifiedDate',
  'LastModifiedById',
  'SystemModstamp',
  'IsDeleted',
  'OwnerId',
  'RecordTypeId',
  'MasterRecordId',
  'LastActivityDate',
  'LastViewedDate',
  'LastReferencedDate',
  'ReplayId',
  'EventUuid'
]);

const NO_ACCESS: ObjectPermission = {
  create: false,
  read: false,
  edit: false,
  delete: false,
  viewAll: false,
  modifyAll: false
};

export interface UserAccess {
  /** "Modify All Data": every object, field and record; requests run unfiltered. */
  readonly modifyAllData: boolean;
  /** "View All Data": every record is visible (not editable). */
  readonly viewAllData: boolean;
  /** The user permissions (`ModifyAllData`, `TransferAnyEntity`...) any definition grants. */
  readonly userPermissions: ReadonlySet<string>;
  /** The user's view of the schema (see the file comment). */
  readonly schema: Schema;
  /** Object permissions, View All/Modify All and the org-wide "All Data" ones folded in. */
  object(objectName: string): ObjectPermission;
}

function union(a: ObjectPermission, b: ObjectPermission): ObjectPermission {
  return {
    create: a.create || b.create,
    read: a.read || b.read,
    edit: a.edit || b.edit,
    delete: a.delete || b.delete,
    viewAll: a.viewAll || b.viewAll,
    modifyAll: a.modifyAll || b.modifyAll
  };
}

/**
 * Modify All implies Read, Edit, Delete and View All (Salesforce Help, "Object Permissions": its
 * dependencies; not Create, which Modify All Data adds itself); View All implies Read. (Create
 * or Edit without Read cannot be deployed on an sObject, but is how a publish-only platform
 * event is granted: Create is not widened to Read.)
 */
function closed(p: ObjectPermission): ObjectPermission {
  const modifyAll = p.modifyAll;
  const viewAll = p.viewAll || modifyAll;
  return {
    create: p.create,
    read: p.read || viewAll,
    edit: p.edit || modifyAll,
    delete: p.delete || modifyAll,
    viewAll,
    modifyAll
  };
}

function withoutFieldSecurity(object: SObjectDescribe, field: FieldDescribe): boolean {
  if (object.kind === 'platformEvent' || object.kind === 'customMetadata') return true;
  if (READABLE_BY_ALL.has(object.name.toLowerCase())) return true;
  if (FILE_OBJECTS.has(object.name.toLowerCase())) return true;
  if (field.type === 'id' || SYSTEM_FIELDS.has(field.name) || field.nameField === true) return true;
  return !field.nillable && field.type !== 'boolean' && field.createable;
}

export function compileAccess(
  schema: Schema,
  definitions: readonly PermissionSetDefinition[]
): UserAccess {
  const userPermissions = new Set(definitions.flatMap((d) => [...d.userPermissions]));
  const modifyAllData = userPermissions.has('ModifyAllData');
  const viewAllData = modifyAllData || userPermissions.has('ViewAllData');
  const customMetadataTypes = new Set(definitions.flatMap((d) => [...d.customMetadataTypes]));

  const objects = new Map<string, ObjectPermission>();
  const fields = new Map<string, FieldPermission>();
  for (const definition of definitions) {
    for (const [name, permission] of definition.objects) {
      objects.set(name, union(objects.get(name) ?? NO_ACCESS, permission));
    }
    for (const [name, permission] of definition.fields) {
      const had = fields.get(name);
      fields.set(name, {
        readable: (had?.readable ?? false) || permission.readable || permission.editable,
        editable: (had?.editable ?? false) || permission.editable
      });
    }
  }

  const effective = new Map<string, ObjectPermission>();
  for (const object of schema.objects()) {
    const key = object.name.toLowerCase();
    let permission = closed(objects.get(key) ?? NO_ACCESS);
    if (modifyAllData) permission = closed({ ...permission, create: true, modifyAll: true });
    else if (viewAllData) permission = closed({ ...permission, viewAll: true });
    if (READABLE_BY_ALL.has(key) || FILE_OBJECTS.has(key))
      permission = { ...permission, read: true };
    // "Restrict access to custom metadata types" (on in every new org): a type is readable with
    // Customize Application or View All Data, or a grant of that type; else it is unknown.
    if (object.kind === 'customMetadata') {
      const readable =
        viewAllData || userPermissions.has('CustomizeApplication') || customMetadataTypes.has(key);
      permission = { ...NO_ACCESS, read: readable, viewAll: readable };
    }
    // A platform event's Read is the right to subscribe, its Create the right to publish.
    effective.set(key, permission);
  }

  const visible: SObjectDescribe[] = [];
  for (const object of schema.objects()) {
    const permission = effective.get(object.name.toLowerCase()) ?? NO_ACCESS;
    // An event object the user may only publish is still described (to build the event).
    if (!permission.read && !(object.kind === 'platformEvent' && permission.create)) continue;
    const own: FieldDescribe[] = [];
    for (const field of object.fields) {
      let readable = modifyAllData;
      let editable = modifyAllData;
      if (!modifyAllData) {
        if (withoutFieldSecurity(object, field)) {
          readable = true;
          editable = true;
        } else {
          const granted = fields.get(`${object.name}.${field.name}`.toLowerCase());
          readable = granted?.readable ?? false;
          editable = granted?.editable ?? false;
        }
      }
      if (!readable) continue;
      const createable = field.createable && editable && permission.create;
      const updateable = field.updateable && editable && permission.edit;
      // Unchanged describes are shared with the org's schema; narrowed ones are copies.
      own.push(
        createable === field.createable && updateable === field.updateable
          ? field
          : { ...field, createable, updateable }
      );
    }
    visible.push({
      ...object,
      createable: object.createable && permission.create,
      updateable: object.updateable && permission.edit,
      deletable: object.deletable && permission.delete,
      queryable: object.queryable && permission.read,
      fields: own
    });
  }

  return {
    modifyAllData,
    viewAllData,
    userPermissions,
    schema: modifyAllData ? schema : createSchema(visible),
    object: (objectName) => effective.get(objectName.toLowerCase()) ?? NO_ACCESS
  };
}
