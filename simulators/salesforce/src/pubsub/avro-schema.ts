import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { FieldDescribe, FieldType, Schema, SObjectDescribe } from '../model.ts';

/**
 * The part of avro-js (1.12.1, untyped) used here. avro-js is what the official Node client
 * decodes with, so encoding with it keeps both sides byte-compatible.
 */
export interface AvroType {
  toBuffer(value: unknown): Buffer;
  /** A record whose shape only the schema knows. */
  fromBuffer(buffer: Buffer): unknown;
  /** Parsing Canonical Form of the schema (no doc, no defaults). */
  getSchema(noDeref?: boolean): string;
  getFingerprint(algorithm?: string): Buffer;
}

const avro = createRequire(import.meta.url)('avro-js') as {
  parse(schema: unknown, opts?: unknown): AvroType;
};

/** Parses an Avro schema (JSON text or object) with avro-js. */
export function parseAvroSchema(schema: unknown): AvroType {
  return avro.parse(schema);
}

/**
 * Avro schemas of platform events, shaped like the ones an org serves (GetSchema and
 * `/sobjects/X__e/eventSchema?payloadFormat=COMPACT`):
 *
 *   {"name":"Low_Ink__e","namespace":"com.sforce.eventbus","type":"record","fields":[
 *     {"name":"CreatedDate","type":"long","doc":"CreatedDate:DateTime"},
 *     {"name":"CreatedById","type":"string","doc":"CreatedBy:EntityId"},
 *     {"name":"Printer_Model__c","type":["null","string"],"doc":"Data:Text:00NRM000001krnv","default":null},
 *     {"name":"Ink_Percentage__c","type":["null","double"],"doc":"Data:Double:00NRM000001kro5","default":null}],
 *    "uuid":"5E5OtZj5_Gm6Vax9XMXH9A"}
 *
 * The schema id (`uuid`) is the MD5 fingerprint of the schema's Parsing Canonical Form, base64url
 * encoded, as the REST API reference describes it; it changes when the event definition does.
 * Custom fields are nullable unions; temporal fields are longs (DateTime: epoch ms; Date: epoch
 * ms of midnight UTC, doc `Data:DateOnly`; Time: ms since midnight), checkboxes booleans, numbers
 * doubles, references strings (`ForeignKey:EntityId`).
 */
export interface EventSchema {
  /** The platform event's API name, e.g. `Account_Sync__e`. */
  objectName: string;
  topicName: string;
  schemaId: string;
  schemaJson: string;
  type: AvroType;
  fields: EventField[];
}

type AvroPrimitive = 'string' | 'double' | 'boolean' | 'long';

/** How a value moves between the REST representation (the bus) and Avro. */
type Codec = 'string' | 'number' | 'boolean' | 'datetime' | 'date' | 'time';

export interface EventField {
  name: string;
  avroType: AvroPrimitive;
  codec: Codec;
}

interface FieldMapping {
  avroType: AvroPrimitive;
  codec: Codec;
  /** The data-type word of the field's `doc` (`Data:<word>:<field id>`). */
  docType: string;
  role: 'Data' | 'ForeignKey';
}

const FIELD_MAPPINGS: Partial<Record<FieldType, FieldMapping>> = {
  string: { avroType: 'string', codec: 'string', docType: 'Text', role: 'Data' },
  textarea: { avroType: 'string', codec: 'string', docType: 'StringPlusClob', role: 'Data' },
  email: { avroType: 'string', codec: 'string', docType: 'Email', role: 'Data' },
  phone: { avroType: 'string', codec: 'string', docType: 'Phone', role: 'Data' },
  url: { avroType: 'string', codec: 'string', docType: 'Url', role: 'Data' },
  picklist: { avroType: 'string', codec: 'string', docType: 'DynamicEnum', role: 'Data' },
  multipicklist: { avroType: 'string', codec: 'string', docType: 'MultiEnum', role: 'Data' },
  encryptedstring: { avroType: 'string', codec: 'string', docType: 'EncryptedText', role: 'Data' },
  double: { avroType: 'double', codec: 'number', docType: 'Double', role: 'Data' },
  int: { avroType: 'double', codec: 'number', docType: 'Double', role: 'Data' },
  currency: { avroType: 'double', codec: 'number', docType: 'Currency', role: 'Data' },
  percent: { avroType: 'double', codec: 'number', docType: 'Percent', role: 'Data' },
  boolean: { avroType: 'boolean', codec: 'boolean', docType: 'Boolean', role: 'Data' },
  datetime: { avroType: 'long', codec: 'datetime', docType: 'DateTime', role: 'Data' },
  date: { avroType: 'long', codec: 'date', docType: 'DateOnly', role: 'Data' },
  time: { avroType: 'long', codec: 'time', docType: 'TimeOnly', role: 'Data' },
  reference: { avroType: 'string', codec: 'string', docType: 'EntityId', role: 'ForeignKey' },
  id: { avroType: 'string', codec: 'string', docType: 'EntityId', role: 'ForeignKey' }
};

/** Fields every event record carries ahead of the custom ones; the platform sets them. */
const SYSTEM_FIELDS = new Set(['createddate', 'createdbyid', 'replayid', 'eventuuid', 'id']);

export function topicNameFor(objectName: string): string {
  return `/event/${objectName}`;
}

/** A stable 15-character `00N...` field id for the `doc` (orgs put the CustomField id there). */
function pseudoFieldId(objectName: string, fieldName: string): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const digest = createHash('sha256').update(`${objectName}.${fieldName}`).digest();
  let id = '00N';
  for (let i = 0; i < 12; i++) id += alphabet.charAt((digest[i] ?? 0) % alphabet.length);
  return id;
}

function customFieldsOf(
  object: SObjectDescribe
): Array<{ field: FieldDescribe; mapping: FieldMapping }> {
  const out: Array<{ field: FieldDescribe; mapping: FieldMapping }> = [];
  for (const field of object.fields) {
    if (SYSTEM_FIELDS.has(field.name.toLowerCase())) continue;
    if (!field.custom) continue;
    const mapping = FIELD_MAPPINGS[field.type];
    // Compound and binary fields cannot be defined on platform events.
    if (mapping === undefined) continue;
    out.push({ field, mapping });
  }
  return out;
}

/** Builds the Avro schema of one platform event from its describe. */
export function buildEventSchema(object: SObjectDescribe): EventSchema {
  const custom = customFieldsOf(object);
  const avroFields: Array<Record<string, unknown>> = [
    { name: 'CreatedDate', type: 'long', doc: 'CreatedDate:DateTime' },
    { name: 'CreatedById', type: 'string', doc: 'CreatedBy:EntityId' },
    ...custom.map(({ field, mapping }) => ({
      name: field.name,
      type: ['null', mapping.avroType],
      doc:
        mapping.role === 'ForeignKey'
          ? `ForeignKey:EntityId:${pseudoFieldId(object.name, field.name)}`
          : `Data:${mapping.docType}:${pseudoFieldId(object.name, field.name)}`,
      default: null
    }))
  ];
  const record = {
    name: object.name,
    namespace: 'com.sforce.eventbus',
    type: 'record',
    fields: avroFields
  };
  const type = avro.parse(record);
  const schemaId = type.getFingerprint('md5').toString('base64url');
  return {
    objectName: object.name,
    topicName: topicNameFor(object.name),
    schemaId,
    schemaJson: JSON.stringify({ ...record, uuid: schemaId }),
    type,
    fields: [
      { name: 'CreatedDate', avroType: 'long', codec: 'datetime' },
      { name: 'CreatedById', avroType: 'string', codec: 'string' },
      ...custom.map(({ field, mapping }) => ({
        name: field.name,
        avroType: mapping.avroType,
        codec: mapping.codec
      }))
    ]
  };
}

// ---------------------------------------------------------------------------------------------
// Values: the bus holds events as the REST API shows them; Avro carries typed values.
// ---------------------------------------------------------------------------------------------

const MS_PER_DAY = 24 * 60 * 60 * 1000;

function restDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** `HH:MM:SS.sssZ`, the REST API's time format. */
function restTime(msOfDay: number): string {
  return new Date(msOfDay).toISOString().slice(11);
}

function parseTime(value: string): number | undefined {
  const match = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z?$/.exec(value);
  if (match === null) return undefined;
  const [, hh, mm, ss, frac] = match;
  return (
    ((Number(hh) * 60 + Number(mm)) * 60 + Number(ss ?? 0)) * 1000 +
    Number((frac ?? '0').padEnd(3, '0'))
  );
}

/** REST value -> Avro value (undefined when it cannot be represented: sent as null). */
function toAvroValue(codec: Codec, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  switch (codec) {
    case 'string':
      return typeof value === 'string' ? value : String(value);
    case 'number': {
      const n = typeof value === 'number' ? value : Number(value);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'boolean':
      return typeof value === 'boolean'
        ? value
        : value === 'true'
          ? true
          : value === 'false'
            ? false
            : undefined;
    case 'datetime':
    case 'date': {
      if (typeof value === 'number') return Math.trunc(value);
      if (value instanceof Date) return value.getTime();
      const ms = Date.parse(String(value));
      if (Number.isNaN(ms)) return undefined;
      return codec === 'date' ? Math.floor(ms / MS_PER_DAY) * MS_PER_DAY : ms;
    }
    case 'time':
      return typeof value === 'number' ? Math.trunc(value) : parseTime(String(value));
  }
}

/** Avro value -> REST value. */
function fromAvroValue(codec: Codec, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const asNumber = typeof value === 'bigint' ? Number(value) : value;
  switch (codec) {
    case 'datetime':
      return typeof asNumber === 'number' ? restDateTime(asNumber) : null;
    case 'date':
      return typeof asNumber === 'number' ? restDateTime(asNumber).slice(0, 10) : null;
    case 'time':
      return typeof asNumber === 'number'
        ? restTime(((asNumber % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY)
        : null;
    default:
      return asNumber;
  }
}

/** Encodes an event payload (REST representation) as the Avro record of its schema. */
export function encodeEventPayload(schema: EventSchema, payload: Record<string, unknown>): Buffer {
  const record: Record<string, unknown> = {};
  for (const field of schema.fields) {
    const value = toAvroValue(field.codec, payload[field.name]);
    if (field.name === 'CreatedDate') record[field.name] = value ?? 0;
    else if (field.name === 'CreatedById') record[field.name] = value ?? '';
    // avro-js writes a union from a single-key object naming the branch.
    else record[field.name] = value === undefined ? null : { [field.avroType]: value };
  }
  return schema.type.toBuffer(record);
}

/**
 * Decodes an Avro payload into the REST representation. Throws when the bytes are not a record of
 * this schema (the caller reports it as a publish error).
 */
export function decodeEventPayload(schema: EventSchema, payload: Buffer): Record<string, unknown> {
  const decoded = schema.type.fromBuffer(payload) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of schema.fields) {
    let value = decoded[field.name];
    // Unions decode as `{ branch: value }`.
    if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
      const branches = Object.values(value as Record<string, unknown>);
      value = branches.length === 1 ? branches[0] : value;
    }
    out[field.name] = fromAvroValue(field.codec, value);
  }
  return out;
}

/** Schemas of the org's platform events by topic name and by schema id, built once each. */
export interface EventSchemaRegistry {
  /** `/event/Account_Sync__e` -> schema; undefined for unknown topics and non-event objects. */
  forTopic(topicName: string): EventSchema | undefined;
  forObject(objectName: string): EventSchema | undefined;
  forId(schemaId: string): EventSchema | undefined;
}

export function createEventSchemaRegistry(schema: Schema): EventSchemaRegistry {
  const byObject = new Map<string, EventSchema>();
  const byId = new Map<string, EventSchema>();

  function forObject(objectName: string): EventSchema | undefined {
    const key = objectName.toLowerCase();
    const cached = byObject.get(key);
    if (cached !== undefined) return cached;
    const object = schema.getObject(objectName);
    if (object === undefined || object.kind !== 'platformEvent') return undefined;
    const built = buildEventSchema(object);
    byObject.set(key, built);
    byId.set(built.schemaId, built);
    return built;
  }

  return {
    forObject,
    forTopic(topicName: string): EventSchema | undefined {
      const match = /^\/event\/([A-Za-z][A-Za-z0-9_]*__e)$/.exec(topicName);
      return match?.[1] === undefined ? undefined : forObject(match[1]);
    },
    forId(schemaId: string): EventSchema | undefined {
      const cached = byId.get(schemaId);
      if (cached !== undefined) return cached;
      for (const object of schema.platformEvents()) forObject(object.name);
      return byId.get(schemaId);
    }
  };
}
