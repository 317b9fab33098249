/**
 * A small in-memory org for the SOQL engine's unit tests: a hand-written Schema (with the
 * shapes the engine must handle: parent relationships, a polymorphic owner, compound address,
 * geolocation and binary fields, multi-select picklists, a platform event) and a RecordStore
 * implementing the model's contract, including lazily generated datasets. Only what the engine
 * uses is real; writes are plain inserts.
 */
import assert from 'node:assert/strict';
import type {
  ScanOptions,
  Clock,
  FieldDescribe,
  FieldType,
  Principal,
  RecordStore,
  Schema,
  SfRecord,
  SObjectDescribe,
  SoqlEngine
} from '../src/model.ts';
import { SalesforceApiError } from '../src/model.ts';
import { generatedId, newId } from '../src/ids.ts';
import { matchesRanges } from '../src/store/ranges.ts';
import { childRelationshipIndex } from '../../../toolkit/src/salesforce-schema/relationships.ts';

export function field(
  name: string,
  type: FieldType,
  options: Partial<FieldDescribe> = {}
): FieldDescribe {
  return {
    name,
    label: name,
    type,
    length: type === 'string' ? 255 : 0,
    precision: 0,
    scale: 0,
    custom: name.endsWith('__c') || name.endsWith('__s'),
    nillable: true,
    createable: true,
    updateable: true,
    required: false,
    unique: false,
    caseSensitive: false,
    externalId: false,
    idLookup: name === 'Id',
    autoNumber: false,
    calculated: false,
    defaultValue: null,
    picklistValues: [],
    restrictedPicklist: false,
    referenceTo: [],
    relationshipName: null,
    ...options
  };
}

function reference(
  name: string,
  to: string[],
  relationshipName: string,
  childRelationshipName?: string
): FieldDescribe {
  return field(name, 'reference', {
    referenceTo: to,
    relationshipName,
    ...(childRelationshipName ? { childRelationshipName } : {})
  });
}

function object(
  name: string,
  keyPrefix: string,
  fields: FieldDescribe[],
  options: Partial<SObjectDescribe> = {}
): SObjectDescribe {
  const custom = name.includes('__');
  return {
    name,
    label: name,
    labelPlural: `${name}s`,
    keyPrefix,
    kind: custom ? 'custom' : 'standard',
    custom,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    fields: [
      field('Id', 'id'),
      field('IsDeleted', 'boolean'),
      field('CreatedDate', 'datetime'),
      field('SystemModstamp', 'datetime'),
      ...fields
    ],
    ...options
  };
}

const ADDRESS_PARTS = ['Street', 'City', 'State', 'PostalCode', 'Country', 'Latitude', 'Longitude'];

function address(prefix: string): FieldDescribe[] {
  return [
    field(`${prefix}Address`, 'address'),
    ...ADDRESS_PARTS.map((part) =>
      field(`${prefix}${part}`, part.endsWith('itude') ? 'double' : 'string')
    )
  ];
}

export function fakeSchema(): Schema {
  const objects = [
    object('User', '005', [
      field('Name', 'string'),
      field('Username', 'string'),
      field('Email', 'email'),
      field('IsActive', 'boolean')
    ]),
    object('Group', '00G', [field('Name', 'string'), field('Type', 'picklist')]),
    object('Account', '001', [
      field('Name', 'string'),
      field('Industry', 'picklist'),
      field('Tier__c', 'picklist', {
        picklistValues: [
          { value: 'G', label: 'Gold', active: true, defaultValue: false },
          { value: 'S', label: 'Silver', active: true, defaultValue: false }
        ]
      }),
      field('AnnualRevenue', 'currency', { scale: 2 }),
      field('NumberOfEmployees', 'int'),
      field('Rating__c', 'double'),
      field('Active__c', 'boolean'),
      field('Since__c', 'date'),
      field('Region__c', 'multipicklist'),
      field('Logo__c', 'base64'),
      field('HQ__c', 'location'),
      field('HQ__Latitude__s', 'double'),
      field('HQ__Longitude__s', 'double'),
      field('SAP_Customer_Number__c', 'string', { externalId: true }),
      reference('ParentId', ['Account'], 'Parent', 'ChildAccounts'),
      reference('OwnerId', ['User'], 'Owner'),
      ...address('Billing')
    ]),
    object('Contact', '003', [
      field('FirstName', 'string'),
      field('LastName', 'string'),
      field('Name', 'string'),
      field('Email', 'email'),
      field('Birthdate', 'date'),
      reference('AccountId', ['Account'], 'Account', 'Contacts'),
      reference('OwnerId', ['User'], 'Owner')
    ]),
    object('Parent__c', 'a00', [
      field('Name', 'string'),
      field('Code__c', 'string'),
      reference('OwnerId', ['Group', 'User'], 'Owner')
    ]),
    object('Child__c', 'a01', [
      field('Name', 'string'),
      field('Amount__c', 'double'),
      field('Due__c', 'date'),
      reference('Parent__c', ['Parent__c'], 'Parent__r', 'Children__r')
    ]),
    object('Device_Reading__c', 'a02', [
      field('Name', 'string'),
      field('Steps__c', 'double'),
      field('Taken__c', 'datetime')
    ]),
    object('Account_Changed__e', 'e00', [field('Payload__c', 'string')], {
      kind: 'platformEvent',
      queryable: false
    })
  ];
  const byName = new Map(objects.map((o) => [o.name.toLowerCase(), o]));
  const byPrefix = new Map(objects.map((o) => [o.keyPrefix, o]));
  return {
    getObject: (name) => byName.get(name.toLowerCase()),
    getField: (o, name) => o.fields.find((f) => f.name.toLowerCase() === name.toLowerCase()),
    getRelationship: (o, name) =>
      o.fields.find((f) => f.relationshipName?.toLowerCase() === name.toLowerCase()),
    childRelationships: childRelationshipIndex(objects, (name) => byName.get(name.toLowerCase())),
    objectForKeyPrefix: (prefix) => byPrefix.get(prefix),
    objects: () => objects,
    platformEvents: () => objects.filter((o) => o.kind === 'platformEvent')
  };
}

interface Dataset {
  number: number;
  count: number;
  make: (index: number) => Record<string, unknown>;
}

/** A RecordStore over plain arrays, with generated datasets produced on demand. */
export function fakeStore(schema: Schema): RecordStore & {
  deleteForTest(objectName: string, id: string): void;
} {
  let sequence = 0;
  let datasetNumber = 0;
  const live = new Map<string, SfRecord[]>();
  const bin = new Map<string, SfRecord[]>();
  const byId = new Map<string, { object: SObjectDescribe; record: SfRecord }>();
  const datasets = new Map<string, Dataset[]>();
  const listeners: Array<(object: SObjectDescribe, record: SfRecord) => void> = [];

  const describe = (name: string): SObjectDescribe => {
    const found = schema.getObject(name);
    if (!found) throw new Error(`unknown object ${name}`);
    return found;
  };
  const generatedRecord = (object: SObjectDescribe, dataset: Dataset, index: number): SfRecord => ({
    Id: generatedId(object.keyPrefix, dataset.number, index),
    IsDeleted: false,
    ...dataset.make(index)
  });

  const store = {
    insert(objectName: string, fields: Record<string, unknown>): SfRecord {
      const object = describe(objectName);
      const record: SfRecord = {
        IsDeleted: false,
        CreatedDate: '2026-11-29T03:00:00.000+0000',
        ...fields,
        Id: newId(object.keyPrefix, ++sequence)
      };
      const list = live.get(object.name) ?? [];
      list.push(record);
      live.set(object.name, list);
      byId.set(record.Id, { object, record });
      for (const listener of listeners) listener(object, record);
      return record;
    },
    update(): SfRecord {
      throw new Error('not used by the SOQL tests');
    },
    upsert(): never {
      throw new Error('not used by the SOQL tests');
    },
    delete(objectName: string, id: string): void {
      store.deleteForTest(objectName, id);
    },
    deleteForTest(objectName: string, id: string): void {
      const object = describe(objectName);
      const list = live.get(object.name) ?? [];
      const index = list.findIndex((r) => r.Id === id);
      const [record] = list.splice(index, 1);
      if (!record) return;
      record.IsDeleted = true;
      bin.set(object.name, [...(bin.get(object.name) ?? []), record]);
    },
    get(objectName: string, id: string): SfRecord | undefined {
      const found = byId.get(id);
      return found && found.object.name === describe(objectName).name ? found.record : undefined;
    },
    getById(id: string) {
      const stored = byId.get(id);
      if (stored) return stored.record.IsDeleted ? undefined : stored;
      const object = schema.objectForKeyPrefix(id.slice(0, 3));
      if (!object || id.slice(3, 5) !== 'Gn') return undefined;
      for (const dataset of datasets.get(object.name) ?? []) {
        for (let index = 0; index < dataset.count; index++) {
          if (generatedId(object.keyPrefix, dataset.number, index) === id) {
            return { object, record: generatedRecord(object, dataset, index) };
          }
        }
      }
      return undefined;
    },
    scan(objectName: string, options: ScanOptions = {}): Iterable<SfRecord> {
      const object = describe(objectName);
      function* all(): Generator<SfRecord> {
        yield* live.get(object.name) ?? [];
        for (const dataset of datasets.get(object.name) ?? []) {
          for (let index = 0; index < dataset.count; index++) {
            yield generatedRecord(object, dataset, index);
          }
        }
        if (options.includeDeleted) yield* bin.get(object.name) ?? [];
      }
      // Streams (the streaming tests read a million rows); with ranges or an order, the store
      // contract: only records inside the ranges, by Id when asked (done plainly here).
      if (!options.idRange && !options.modstampRange && !options.order) return all();
      const inside = [...all()].filter((record) => matchesRanges(record, options));
      if (options.order === undefined) return inside;
      const sign = options.order === 'idDesc' ? -1 : 1;
      return inside.sort((a, b) => (a.Id < b.Id ? -sign : a.Id > b.Id ? sign : 0));
    },
    count(objectName: string, options: ScanOptions = {}): number {
      if (options.idRange || options.modstampRange)
        return [...store.scan(objectName, options)].length;
      const object = describe(objectName);
      const generated = (datasets.get(object.name) ?? []).reduce((n, d) => n + d.count, 0);
      const deleted = options.includeDeleted ? (bin.get(object.name)?.length ?? 0) : 0;
      return (live.get(object.name)?.length ?? 0) + generated + deleted;
    },
    addGeneratedDataset(
      objectName: string,
      count: number,
      make: (index: number) => Record<string, unknown>
    ): void {
      const object = describe(objectName);
      const list = datasets.get(object.name) ?? [];
      list.push({ number: datasetNumber++, count, make });
      datasets.set(object.name, list);
    },
    onInsert(listener: (object: SObjectDescribe, record: SfRecord) => void): void {
      listeners.push(listener);
    },
    reset(): void {
      live.clear();
      bin.clear();
      byId.clear();
      datasets.clear();
    },
    snapshot(): Record<string, SfRecord[]> {
      return Object.fromEntries(live);
    },
    restore(): void {
      throw new Error('not used by the SOQL tests');
    },
    patchAsSystem(): void {
      throw new Error('not used by the SOQL tests');
    }
  };
  return store;
}

/** A clock standing still at `start` until advanced. */
export function fixedClock(start: string): Clock {
  const origin = new Date(start).getTime();
  let offset = 0;
  return {
    now: () => new Date(origin + offset),
    advance: (ms) => {
      offset += ms;
    },
    onAdvance: () => undefined,
    reset: () => {
      offset = 0;
    }
  };
}

export const TEST_USER: Principal = {
  userId: newId('005', 900_000),
  username: 'integration@emulator.local',
  organizationId: '00D000000000001AAA'
};

/** The error `engine.prepare(soql)` throws (failing the test when it throws none, or another). */
export function prepareFailure(engine: SoqlEngine, soql: string): SalesforceApiError {
  try {
    engine.prepare(soql);
  } catch (error) {
    assert.ok(error instanceof SalesforceApiError, `not a SalesforceApiError: ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${soql} to fail`);
}
