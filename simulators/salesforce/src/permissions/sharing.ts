/**
 * Record visibility: organisation-wide defaults, ownership, View All / Modify All, and for
 * portal (external) users the records of their own account. Sharing rules, role hierarchy,
 * teams, manual shares and sharing sets are not modelled (the project deploys none; see
 * docs/salesforce-emulator.md).
 *
 * Defaults are taken from each object's `<sharingModel>` / `<externalSharingModel>` in the
 * metadata; objects without one get what a new org sets (Salesforce Help, "Default Organization-
 * Wide Sharing Settings"): Account, Opportunity Public Read/Write; Case and Lead Public
 * Read/Write/Transfer; Contact, Note, Attachment Controlled by Parent; activities and files
 * Private; User Public Read Only; custom objects Public Read/Write. The external default is
 * Private.
 */
import type { RecordStore, Schema, SfRecord, SObjectDescribe } from '../model.ts';
import type { ObjectMetadata } from '../../../../toolkit/src/salesforce-schema/metadata-loader.ts';
import { text } from '../../../../toolkit/src/salesforce-schema/metadata-loader.ts';
import type { UserAccess } from './access.ts';

export type SharingModel =
  'Private' | 'Read' | 'ReadWrite' | 'ReadWriteTransfer' | 'FullAccess' | 'ControlledByParent';

const STANDARD_DEFAULTS: Record<string, SharingModel> = {
  account: 'ReadWrite',
  opportunity: 'ReadWrite',
  case: 'ReadWriteTransfer',
  lead: 'ReadWriteTransfer',
  contact: 'ControlledByParent',
  note: 'ControlledByParent',
  attachment: 'ControlledByParent',
  task: 'Private',
  event: 'Private',
  contentversion: 'Private',
  contentdocument: 'Private',
  user: 'Read'
};

/** Where a Controlled by Parent standard object finds its parent. */
const STANDARD_PARENTS: Record<string, string> = {
  contact: 'AccountId',
  note: 'ParentId',
  attachment: 'ParentId'
};

const MODELS = new Set<SharingModel>([
  'Private',
  'Read',
  'ReadWrite',
  'ReadWriteTransfer',
  'FullAccess',
  'ControlledByParent'
]);

export interface SharingModels {
  internal(objectName: string): SharingModel;
  external(objectName: string): SharingModel;
}

function parseModel(value: string | undefined): SharingModel | undefined {
  // Metadata spells Public Read Only "Read" and Public Read/Write "ReadWrite".
  return value !== undefined && MODELS.has(value as SharingModel)
    ? (value as SharingModel)
    : undefined;
}

export function sharingModels(
  objects: Iterable<ObjectMetadata>,
  overrides: Readonly<Record<string, SharingModel>> = {}
): SharingModels {
  const internal = new Map<string, SharingModel>();
  const external = new Map<string, SharingModel>();
  for (const metadata of objects) {
    const key = metadata.name.toLowerCase();
    const own = parseModel(text(metadata.object, 'sharingModel'));
    const ext = parseModel(text(metadata.object, 'externalSharingModel'));
    if (own) internal.set(key, own);
    if (ext) external.set(key, ext);
    // A master-detail child's model is ControlledByParent whatever the file says.
    for (const field of metadata.fields.values()) {
      if (text(field, 'type') === 'MasterDetail') internal.set(key, 'ControlledByParent');
    }
  }
  // The org's Sharing Settings (EmulatorConfig.sharingModels) win over the metadata's defaults.
  for (const [name, model] of Object.entries(overrides)) {
    if (!MODELS.has(model) || model === 'ControlledByParent' || model === 'FullAccess')
      throw new Error(`sharingModels.${name}: unsupported organization-wide default ${model}`);
    const key = name.toLowerCase();
    if (internal.get(key) === 'ControlledByParent' || STANDARD_PARENTS[key])
      throw new Error(`sharingModels.${name}: the object's sharing is Controlled by Parent`);
    internal.set(key, model);
  }
  return {
    internal: (name) =>
      internal.get(name.toLowerCase()) ?? STANDARD_DEFAULTS[name.toLowerCase()] ?? 'ReadWrite',
    external: (name) => {
      const key = name.toLowerCase();
      if (internal.get(key) === 'ControlledByParent') return 'ControlledByParent';
      return external.get(key) ?? (STANDARD_PARENTS[key] ? 'ControlledByParent' : 'Private');
    }
  };
}

const OPEN: ReadonlySet<SharingModel> = new Set([
  'Read',
  'ReadWrite',
  'ReadWriteTransfer',
  'FullAccess'
]);
const WRITABLE: ReadonlySet<SharingModel> = new Set([
  'ReadWrite',
  'ReadWriteTransfer',
  'FullAccess'
]);

export interface SharingUser {
  userId: string;
  access: UserAccess;
  /** Portal users: the object's external sharing model applies, and their own account. */
  external: boolean;
}

export interface RecordRules {
  /** A filter for the object's records, or undefined when the user sees every one. */
  filter(object: SObjectDescribe): ((record: SfRecord) => boolean) | undefined;
  canEdit(object: SObjectDescribe, record: SfRecord): boolean;
  canDelete(object: SObjectDescribe, record: SfRecord): boolean;
  /**
   * Whether the user may change the record's owner: its owner, Modify All on the object (or
   * Modify All Data), an object whose default is Public Read/Write/Transfer, or the "Transfer
   * Record" user permission (`TransferAnyEntity`) with Edit on the object.
   */
  canTransfer(object: SObjectDescribe, record: SfRecord): boolean;
}

export function recordRules(
  user: SharingUser,
  models: SharingModels,
  schema: Schema,
  store: RecordStore
): RecordRules {
  const { userId, access } = user;
  const modelOf = (object: SObjectDescribe) =>
    user.external ? models.external(object.name) : models.internal(object.name);

  /** The reference to the record a Controlled by Parent object takes its access from. */
  function parentField(object: SObjectDescribe): string | undefined {
    const standard = STANDARD_PARENTS[object.name.toLowerCase()];
    if (standard) return standard;
    return object.fields.find((f) => f.type === 'reference' && f.deleteConstraint === 'Cascade')
      ?.name;
  }

  function parentOf(object: SObjectDescribe, record: SfRecord) {
    const field = parentField(object);
    const id = field === undefined ? undefined : record[field];
    return typeof id === 'string' ? store.getById(id) : undefined;
  }

  /** A portal user's own Contact and its Account (read from their User record each time). */
  function ownRecords(): Set<string> {
    const own = new Set<string>([userId]);
    if (!user.external) return own;
    const contactId = store.get('User', userId)?.ContactId;
    if (typeof contactId !== 'string') return own;
    own.add(contactId);
    const accountId = store.get('Contact', contactId)?.AccountId;
    if (typeof accountId === 'string') own.add(accountId);
    return own;
  }

  function sees(object: SObjectDescribe, record: SfRecord, own: Set<string>): boolean {
    if (access.object(object.name).viewAll) return true;
    if (record.OwnerId === userId || own.has(record.Id)) return true;
    const model = modelOf(object);
    if (OPEN.has(model)) return true;
    if (model === 'ControlledByParent') {
      const parent = parentOf(object, record);
      if (parent) return sees(parent.object, parent.record, own);
      // A detail deleted with its master (queryAll reads the recycle bin): the master is gone
      // from the live records, so there is no access to inherit; only View All reads it. Without
      // this, an ownerless detail fell through to "visible" below.
      if (typeof record[parentField(object) ?? ''] === 'string') return false;
    }
    // A file is visible to whoever can see a record it is linked to (ContentDocumentLink).
    const documentId = fileDocumentId(object, record);
    if (documentId !== undefined) return linkedRecordVisible(documentId, own);
    // Private, or an object without an owner and without a parent to ask.
    return schema.getField(object, 'OwnerId') === undefined;
  }

  function fileDocumentId(object: SObjectDescribe, record: SfRecord): string | undefined {
    const key = object.name.toLowerCase();
    const id =
      key === 'contentversion' || key === 'contentdocumentlink'
        ? record.ContentDocumentId
        : key === 'contentdocument'
          ? record.Id
          : undefined;
    return typeof id === 'string' ? id : undefined;
  }

  /** Whether a record (not a file, not a user) linked to the document is visible. */
  function linkedRecordVisible(documentId: string, own: Set<string>): boolean {
    for (const link of store.scan('ContentDocumentLink')) {
      if (link.ContentDocumentId !== documentId || typeof link.LinkedEntityId !== 'string')
        continue;
      if (link.LinkedEntityId === userId) return true;
      const linked = store.getById(link.LinkedEntityId);
      if (!linked || fileDocumentId(linked.object, linked.record) !== undefined) continue;
      if (linked.object.name === 'User') continue;
      if (sees(linked.object, linked.record, own)) return true;
    }
    return false;
  }

  function edits(object: SObjectDescribe, record: SfRecord, deleting: boolean): boolean {
    if (access.object(object.name).modifyAll) return true;
    if (record.OwnerId === userId) return true;
    const model = modelOf(object);
    if (model === 'ControlledByParent') {
      const parent = parentOf(object, record);
      if (parent === undefined) return false;
      // The master-detail's sharing setting Read Only (writeRequiresMasterRead): Read on the
      // master is enough; Read/Write (the default): Edit on it.
      const field = schema.getField(object, parentField(object) ?? '');
      return field?.writeRequiresMasterRead === true
        ? sees(parent.object, parent.record, ownRecords())
        : edits(parent.object, parent.record, false);
    }
    // Public Read/Write lets others edit, not delete (deleting needs Full Access).
    return deleting ? model === 'FullAccess' : WRITABLE.has(model);
  }

  return {
    filter(object) {
      if (object.kind === 'platformEvent' || object.kind === 'customMetadata') return undefined;
      if (access.object(object.name).viewAll) return undefined;
      const model = modelOf(object);
      if (OPEN.has(model)) return undefined;
      const own = ownRecords();
      return (record) => sees(object, record, own);
    },
    canEdit: (object, record) => edits(object, record, false),
    canDelete: (object, record) => edits(object, record, true),
    canTransfer: (object, record) =>
      record.OwnerId === userId ||
      access.object(object.name).modifyAll ||
      // Public Read/Write/Transfer (Cases, Leads) and Full Access let editors transfer.
      modelOf(object) === 'ReadWriteTransfer' ||
      modelOf(object) === 'FullAccess' ||
      (access.userPermissions.has('TransferAnyEntity') && access.object(object.name).edit)
  };
}
