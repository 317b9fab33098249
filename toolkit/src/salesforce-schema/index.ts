/**
 * The org's schema: the standard-object catalogue plus everything the project's metadata
 * defines (custom objects, platform events, custom metadata types, and custom fields on standard
 * objects), with case-insensitive look-ups as the API resolves names.
 */
import type { FieldDescribe, Schema, SObjectDescribe, SObjectKind } from './model.ts';
import { toBase62 } from '../base62.ts';
import { childRelationshipIndex } from './relationships.ts';
import { describeCustomField, describeNameField } from './custom-fields.ts';
import { labelFromName, makeField, withSystemFields } from './field-factory.ts';
import type { ObjectMetadata, ProjectMetadata } from './metadata-loader.ts';
import { children, flag, readProjectMetadata, text } from './metadata-loader.ts';
import { CUSTOM_OBJECTS, CUSTOM_OBJECTS_WITH_ACTIVITIES, sharedFields } from './shared-fields.ts';
import {
  OPEN_REFERENCES,
  OTHER_STANDARD_PREFIXES,
  STANDARD_OBJECTS_WITH_ACTIVITIES,
  standardObjects
} from './standard-objects.ts';

export { readProjectMetadata } from './metadata-loader.ts';

/** Deterministic base-62 key prefixes for custom objects (`a00`, `a01`, ... `a0z`, `a10`...). */
function customKeyPrefix(letter: string, ordinal: number): string {
  return letter + toBase62(ordinal, 2);
}

/** Code-unit order: deterministic whatever the machine's locale (key prefixes depend on it). */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Suffix -> kind and the letter its generated key prefixes start with. */
const CUSTOM_KINDS: Array<{ suffix: string; kind: SObjectKind; letter: string }> = [
  { suffix: '__c', kind: 'custom', letter: 'a' },
  { suffix: '__e', kind: 'platformEvent', letter: 'e' },
  { suffix: '__mdt', kind: 'customMetadata', letter: 'm' },
  { suffix: '__x', kind: 'external', letter: 'x' }
];

/**
 * Object suffixes the model does not describe: big objects (`__b`), knowledge, share/history
 * tables. External objects (`__x`) are described (the gate checks references to them), though
 * the emulator holds none of their rows: they live in the external system.
 */
const UNSUPPORTED_SUFFIXES = ['__b', '__kav', '__Share', '__History', '__Feed', '__ChangeEvent'];

/** The objects that share the custom fields an `objects/Activity/` folder defines. */
const ACTIVITY_CHILDREN = ['Task', 'Event'];

interface IndexedObject {
  object: SObjectDescribe;
  fields: Map<string, FieldDescribe>;
  relationships: Map<string, FieldDescribe>;
}

/** A Schema over a fixed set of describes. */
export function createSchema(objects: SObjectDescribe[]): Schema {
  const byName = new Map<string, IndexedObject>();
  const byPrefix = new Map<string, SObjectDescribe>();
  const indexes = new WeakMap<SObjectDescribe, IndexedObject>();
  for (const object of objects) {
    const fields = new Map<string, FieldDescribe>();
    const relationships = new Map<string, FieldDescribe>();
    for (const field of object.fields) {
      fields.set(field.name.toLowerCase(), field);
      if (field.relationshipName) relationships.set(field.relationshipName.toLowerCase(), field);
    }
    const indexed = { object, fields, relationships };
    const key = object.name.toLowerCase();
    if (byName.has(key)) throw new Error(`Object ${object.name} is defined twice`);
    byName.set(key, indexed);
    indexes.set(object, indexed);
    const clash = byPrefix.get(object.keyPrefix);
    if (clash)
      throw new Error(`${object.name} and ${clash.name} share key prefix ${object.keyPrefix}`);
    byPrefix.set(object.keyPrefix, object);
  }
  const indexOf = (object: SObjectDescribe): IndexedObject | undefined =>
    indexes.get(object) ?? byName.get(object.name.toLowerCase());
  const all = [...objects].sort((a, b) => byCodeUnits(a.name, b.name));
  const events = all.filter((o) => o.kind === 'platformEvent');
  const childRelationships = childRelationshipIndex(
    all,
    (name) => byName.get(name.toLowerCase())?.object
  );

  return {
    getObject: (name) => byName.get(name.toLowerCase())?.object,
    getField: (object, fieldName) => indexOf(object)?.fields.get(fieldName.toLowerCase()),
    getRelationship: (object, relationshipName) =>
      indexOf(object)?.relationships.get(relationshipName.toLowerCase()),
    childRelationships,
    objectForKeyPrefix: (prefix) => byPrefix.get(prefix),
    objects: () => [...all],
    platformEvents: () => [...events]
  };
}

function kindOf(name: string): (typeof CUSTOM_KINDS)[number] | undefined {
  return CUSTOM_KINDS.find((k) => name.endsWith(k.suffix));
}

/**
 * Custom fields of one object, sorted by name (describe lists them after the system fields),
 * after RecordTypeId when the object has record types (an org describes it only then).
 */
function customFields(
  metadata: ObjectMetadata,
  kind: SObjectKind,
  project: ProjectMetadata
): FieldDescribe[] {
  const recordType =
    metadata.recordTypes.size === 0
      ? []
      : [
          makeField('RecordTypeId', 'reference', {
            label: 'Record Type ID',
            referenceTo: ['RecordType'],
            relationshipName: 'RecordType'
          })
        ];
  return [
    ...recordType,
    ...[...metadata.fields.entries()]
      .sort(([a], [b]) => byCodeUnits(a, b))
      .flatMap(([name, field]) => describeCustomField(name, field, kind, project.globalValueSets))
  ];
}

/** `<enableActivities>`: Tasks and Events can be related to the object's records. */
function hasActivities(metadata: ObjectMetadata): boolean {
  return flag(metadata.object, 'enableActivities');
}

function describeCustomObject(
  metadata: ObjectMetadata,
  kind: SObjectKind,
  keyPrefix: string,
  project: ProjectMetadata
): SObjectDescribe {
  const label = text(metadata.object, 'label') ?? labelFromName(metadata.name);
  const own = customFields(metadata, kind, project);
  const base = {
    name: metadata.name,
    label,
    labelPlural: text(metadata.object, 'pluralLabel') ?? `${label}s`,
    keyPrefix,
    kind,
    custom: true
  };
  if (kind === 'platformEvent') {
    return {
      ...base,
      createable: true,
      updateable: false,
      deletable: false,
      queryable: false,
      publishBehavior: text(metadata.object, 'publishBehavior') ?? 'PublishAfterCommit',
      fields: withSystemFields(kind, 'Event ID', own, { owned: false })
    };
  }
  if (kind === 'customMetadata') {
    return {
      ...base,
      // Records are deployed metadata, not DML-able through the data APIs.
      createable: false,
      updateable: false,
      deletable: false,
      queryable: true,
      fields: withSystemFields(kind, 'Custom Metadata Record ID', own, { owned: false })
    };
  }
  if (kind === 'external') {
    return {
      ...base,
      // Read through the External Data Source; the project's sources are read only.
      createable: false,
      updateable: false,
      deletable: false,
      queryable: true,
      fields: withSystemFields(kind, 'Record ID', own, { owned: false })
    };
  }
  // A detail in a master-detail relationship is owned by its master: no OwnerId.
  const isDetail = [...metadata.fields.values()].some((f) => text(f, 'type') === 'MasterDetail');
  const standardFields = hasActivities(metadata)
    ? sharedFields(CUSTOM_OBJECTS, CUSTOM_OBJECTS_WITH_ACTIVITIES)
    : sharedFields(CUSTOM_OBJECTS);
  return {
    ...base,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    fields: withSystemFields(
      kind,
      'Record ID',
      [describeNameField(metadata.object), ...standardFields, ...own],
      { owned: !isDetail }
    )
  };
}

/** A standard object outside the catalogue that the project adds fields to (e.g. Task). */
function describeOtherStandard(
  metadata: ObjectMetadata,
  keyPrefix: string,
  project: ProjectMetadata
): SObjectDescribe {
  const label = text(metadata.object, 'label') ?? labelFromName(metadata.name);
  return {
    name: metadata.name,
    label,
    labelPlural: `${label}s`,
    keyPrefix,
    kind: 'standard',
    custom: false,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    fields: withSystemFields(
      'standard',
      `${label} ID`,
      customFields(metadata, 'standard', project),
      {
        owned: true
      }
    )
  };
}

/**
 * Whether the model lists every field the object has in an org at the project's API version, so
 * that a name it lacks is certainly wrong. True for what the project's metadata defines (custom
 * objects, platform events, custom metadata types: their platform-defined fields are fixed and
 * listed by field-factory.ts). False for standard objects: the catalogue holds the fields
 * integrations use, not all of them; only their custom (`__c`) fields, which the project's
 * metadata alone defines, are known completely.
 */
export function fieldListComplete(object: SObjectDescribe): boolean {
  return object.kind !== 'standard';
}

/** Builds the schema from metadata already read (tests use it with hand-made metadata). */
export function buildSchema(project: ProjectMetadata): Schema {
  const standard = new Map(standardObjects().map((o) => [o.name.toLowerCase(), o]));
  const objects: SObjectDescribe[] = [...standard.values()];
  const ordinals = new Map<string, number>();
  const metadataObjects = [...project.objects.values()].sort((a, b) => byCodeUnits(a.name, b.name));
  let otherOrdinal = 0;

  for (const metadata of metadataObjects) {
    if (UNSUPPORTED_SUFFIXES.some((suffix) => metadata.name.endsWith(suffix))) continue;
    const custom = kindOf(metadata.name);
    if (custom) {
      const ordinal = ordinals.get(custom.letter) ?? 0;
      ordinals.set(custom.letter, ordinal + 1);
      const prefix = customKeyPrefix(custom.letter, ordinal);
      objects.push(describeCustomObject(metadata, custom.kind, prefix, project));
      continue;
    }
    const existing = standard.get(metadata.name.toLowerCase());
    if (existing) {
      const known = new Set(existing.fields.map((f) => f.name.toLowerCase()));
      for (const field of customFields(metadata, 'standard', project)) {
        if (!known.has(field.name.toLowerCase())) existing.fields.push(field);
      }
      continue;
    }
    const prefix = OTHER_STANDARD_PREFIXES[metadata.name] ?? customKeyPrefix('s', otherOrdinal++);
    objects.push(describeOtherStandard(metadata, prefix, project));
  }

  // Custom fields defined on Activity (objects/Activity/fields) are the fields of both Task and
  // Event: Salesforce has no separate Activity records, and Task and Event describe them.
  const activity = project.objects.get('Activity');
  if (activity) {
    for (const objectName of ACTIVITY_CHILDREN) {
      const describe = standard.get(objectName.toLowerCase());
      if (!describe) continue;
      const known = new Set(describe.fields.map((f) => f.name.toLowerCase()));
      for (const field of customFields(activity, 'standard', project)) {
        if (!known.has(field.name.toLowerCase())) describe.fields.push(field);
      }
    }
  }

  // Polymorphic references whose targets are the org's own objects (see OPEN_REFERENCES).
  const dataObjects = objects
    .filter((o) => (o.kind === 'standard' || o.kind === 'custom') && !o.name.startsWith('Content'))
    .map((o) => o.name)
    .sort(byCodeUnits);
  const withActivities = [
    ...STANDARD_OBJECTS_WITH_ACTIVITIES,
    ...metadataObjects
      .filter((m) => kindOf(m.name)?.kind === 'custom' && hasActivities(m))
      .map((m) => m.name)
  ].sort(byCodeUnits);
  for (const { object, field, targets } of OPEN_REFERENCES) {
    const describe = standard.get(object.toLowerCase());
    const at = describe?.fields.findIndex((f) => f.name === field) ?? -1;
    const open = describe?.fields[at];
    if (describe === undefined || open === undefined) continue;
    // A copy: the catalogue's field describes are shared by every schema built.
    describe.fields[at] = {
      ...open,
      referenceTo: targets === 'any' ? dataObjects : withActivities
    };
  }
  return createSchema(objects);
}

/**
 * Reads sfdx-project.json and the metadata under its package directories. Custom objects get
 * key prefixes a00, a01... in name order; platform events e00...; custom metadata m00...;
 * external objects x00....
 */
export async function loadSchema(projectDir: string): Promise<Schema> {
  return buildSchema(await readProjectMetadata(projectDir));
}

/**
 * The project's record types (`objects/<Object>/recordTypes/*.recordType-meta.xml`) as
 * RecordType field values ready to insert.
 */
export async function loadRecordTypes(projectDir: string): Promise<Array<Record<string, unknown>>> {
  const project = await readProjectMetadata(projectDir);
  const objects = [...project.objects.values()].sort((a, b) => byCodeUnits(a.name, b.name));
  return objects.flatMap((metadata) =>
    [...metadata.recordTypes.entries()]
      .sort(([a], [b]) => byCodeUnits(a, b))
      .map(([developerName, recordType]) => ({
        Name: text(recordType, 'label') ?? developerName,
        DeveloperName: developerName,
        SobjectType: metadata.name,
        IsActive: flag(recordType, 'active'),
        Description: text(recordType, 'description') ?? null
      }))
  );
}

/**
 * The custom metadata records deployed with the project (`customMetadata/*.md-meta.xml`) as
 * field values ready to insert: DeveloperName, MasterLabel and the `<values>` (xsi:nil -> null).
 */
export async function loadCustomMetadataRecords(
  projectDir: string
): Promise<Array<{ objectName: string; fields: Record<string, unknown> }>> {
  const project = await readProjectMetadata(projectDir);
  return project.customMetadataRecords.map((source) => {
    const label = text(source.record, 'label') ?? source.developerName;
    const fields: Record<string, unknown> = {
      DeveloperName: source.developerName,
      MasterLabel: label,
      Label: label
    };
    for (const entry of children(source.record, 'values')) {
      const field = text(entry, 'field');
      if (field === undefined) continue;
      const value = text(entry, 'value');
      fields[field] = value === undefined || value === '' ? null : value;
    }
    return { objectName: source.objectName, fields };
  });
}
