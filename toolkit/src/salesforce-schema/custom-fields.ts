/**
 * CustomField metadata -> the describe a real org reports for it: `Text(80)` is `string` with
 * length 80, `Number(18,0)` is `double` with scale 0 (custom numbers are never `int`), Lookup and
 * MasterDetail are `reference` with a `__r` relationship name, formulas are `calculated`, etc.
 */
import type {
  DeleteConstraint,
  FieldDescribe,
  FieldType,
  PicklistValue,
  SObjectKind
} from './model.ts';
import type { FieldOptions } from './field-factory.ts';
import { makeField } from './field-factory.ts';
import type { XmlNode } from './metadata-loader.ts';
import { child, children, flag, text } from './metadata-loader.ts';

/** Metadata type -> describe type and the length it has when the metadata gives none. */
const TYPE_MAP: Record<string, { type: FieldType; length?: number }> = {
  Text: { type: 'string', length: 255 },
  TextArea: { type: 'textarea', length: 255 },
  LongTextArea: { type: 'textarea', length: 32768 },
  Html: { type: 'textarea', length: 32768 },
  EncryptedText: { type: 'encryptedstring', length: 175 },
  Email: { type: 'email', length: 80 },
  Phone: { type: 'phone', length: 40 },
  Url: { type: 'url', length: 255 },
  Number: { type: 'double' },
  Currency: { type: 'currency' },
  Percent: { type: 'percent' },
  Checkbox: { type: 'boolean' },
  Date: { type: 'date' },
  DateTime: { type: 'datetime' },
  Time: { type: 'time' },
  Picklist: { type: 'picklist', length: 255 },
  MultiselectPicklist: { type: 'multipicklist', length: 4099 },
  Lookup: { type: 'reference', length: 18 },
  MasterDetail: { type: 'reference', length: 18 },
  Hierarchy: { type: 'reference', length: 18 },
  MetadataRelationship: { type: 'string', length: 255 },
  AutoNumber: { type: 'string', length: 30 },
  Location: { type: 'location' },
  Summary: { type: 'double' },
  ExternalLookup: { type: 'reference', length: 255 },
  IndirectLookup: { type: 'reference', length: 255 }
};

/** Formula return types map as the stored types do, except Text formulas are 1300 long. */
const FORMULA_TEXT_LENGTH = 1300;

/** A picklist value's fullName is URL-encoded in metadata for some characters (`,` -> %2C). */
function decodeValueName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function valuesFrom(entries: XmlNode[]): PicklistValue[] {
  return entries.map((entry) => {
    const value = decodeValueName(text(entry, 'fullName') ?? '');
    return {
      value,
      label: text(entry, 'label') ?? value,
      active: text(entry, 'isActive') === undefined ? true : flag(entry, 'isActive'),
      defaultValue: flag(entry, 'default')
    };
  });
}

/** Values and restriction of a picklist: inline valueSetDefinition, global value set, or legacy. */
function picklistOf(
  field: XmlNode,
  globalValueSets: Map<string, XmlNode>
): { values: PicklistValue[]; restricted: boolean } {
  const valueSet = child(field, 'valueSet');
  if (valueSet !== undefined) {
    const globalName = text(valueSet, 'valueSetName');
    if (globalName !== undefined) {
      // Global value sets are always restricted.
      return {
        values: valuesFrom(children(globalValueSets.get(globalName), 'customValue')),
        restricted: true
      };
    }
    return {
      values: valuesFrom(children(child(valueSet, 'valueSetDefinition'), 'value')),
      restricted: flag(valueSet, 'restricted')
    };
  }
  const legacy = child(field, 'picklist');
  return {
    values: valuesFrom(children(legacy, 'picklistValues')),
    restricted: flag(legacy, 'restrictedPicklist')
  };
}

/**
 * A literal `<defaultValue>` (a formula in metadata): `true`, `42`, `"text"`. Anything that
 * needs evaluating (TODAY(), $User.Id) is left to null: the emulator does not run formulas.
 */
function literalDefault(raw: string | undefined, type: FieldType): unknown {
  if (raw === undefined || raw === '') return null;
  if (type === 'boolean') return raw.toLowerCase() === 'true';
  if (type === 'double' || type === 'currency' || type === 'percent') {
    const number = Number(raw);
    return Number.isFinite(number) ? number : null;
  }
  const quoted = /^"(.*)"$|^'(.*)'$/s.exec(raw);
  return quoted ? (quoted[1] ?? quoted[2] ?? null) : null;
}

/**
 * Master-detail children go with their master; a lookup says what happens in
 * `<deleteConstraint>` (Restrict, Cascade, SetNull: "Clear the value of this field", the default).
 */
function deleteConstraintOf(field: XmlNode, metadataType: string): DeleteConstraint {
  if (metadataType === 'MasterDetail') return 'Cascade';
  const constraint = text(field, 'deleteConstraint');
  return constraint === 'Restrict' || constraint === 'Cascade' ? constraint : 'SetNull';
}

function intOf(node: XmlNode, key: string, fallback: number): number {
  const value = Number(text(node, key));
  return Number.isInteger(value) ? value : fallback;
}

/**
 * The describe of one custom field. `kind` matters for writability: platform event fields are
 * create-only, and custom metadata fields are writable here so fixtures can load records (the
 * object itself reports createable:false).
 */
export function describeCustomField(
  name: string,
  field: XmlNode,
  kind: SObjectKind,
  globalValueSets: Map<string, XmlNode>
): FieldDescribe[] {
  const metadataType = text(field, 'type') ?? 'Text';
  const mapped = TYPE_MAP[metadataType] ?? { type: 'string' as const, length: 255 };
  const type = mapped.type;
  const formula = text(field, 'formula');
  const calculated = formula !== undefined || metadataType === 'Summary';
  const options: FieldOptions = {
    label: text(field, 'label'),
    custom: true,
    unique: flag(field, 'unique'),
    externalId: flag(field, 'externalId'),
    caseSensitive: flag(field, 'caseSensitive'),
    length:
      calculated && type === 'string'
        ? FORMULA_TEXT_LENGTH
        : intOf(field, 'length', mapped.length ?? 0),
    nillable: !flag(field, 'required'),
    updateable: kind !== 'platformEvent'
  };
  // The project's external data sources are read only (isWritable false): nothing is written
  // to an external object through Salesforce.
  if (kind === 'external') Object.assign(options, { createable: false, updateable: false });
  if (type === 'double' || type === 'currency' || type === 'percent') {
    options.precision = intOf(field, 'precision', 18);
    options.scale = intOf(field, 'scale', 0);
  }
  if (type === 'boolean') options.nillable = false;
  if (type === 'picklist' || type === 'multipicklist') {
    const { values, restricted } = picklistOf(field, globalValueSets);
    options.picklistValues = values;
    options.restrictedPicklist = restricted;
    const preselected = values.find((v) => v.defaultValue);
    if (preselected) options.defaultValue = preselected.value;
  } else {
    const literal = literalDefault(text(field, 'defaultValue'), type);
    if (literal !== null) options.defaultValue = literal;
  }
  if (type === 'reference') {
    const target = text(field, 'referenceTo');
    options.referenceTo = target ? [target] : [];
    // The parent relationship SOQL walks from this object (`Running_User__r.Name`) is named
    // after the field; metadata's <relationshipName> names the child relationship on the
    // parent (`Integration_Logs__r` on User).
    options.relationshipName = name.replace(/__c$/, '__r');
    const childName = text(field, 'relationshipName');
    if (childName !== undefined) options.childRelationshipName = `${childName}__r`;
    options.deleteConstraint = deleteConstraintOf(field, metadataType);
    if (metadataType === 'MasterDetail') {
      options.nillable = false;
      options.updateable = flag(field, 'reparentableMasterDetail');
      if (flag(field, 'writeRequiresMasterRead')) options.writeRequiresMasterRead = true;
    }
    if (metadataType === 'Hierarchy') options.referenceTo = ['User'];
    if (metadataType === 'IndirectLookup') {
      // Matched on the parent's external id, not its record id; the parent's delete does not
      // reach rows stored in another system.
      options.referenceTargetField = text(field, 'referenceTargetField');
      delete options.deleteConstraint;
    }
  }
  if (metadataType === 'AutoNumber') {
    Object.assign(options, {
      autoNumber: true,
      createable: false,
      updateable: false,
      nillable: false
    });
    options.displayFormat = text(field, 'displayFormat') ?? '{0}';
  }
  if (calculated) {
    Object.assign(options, {
      calculated: true,
      createable: false,
      updateable: false,
      nillable: true
    });
  }
  if (type === 'location') {
    // The compound field is read-only; its __Latitude__s / __Longitude__s parts are written.
    const base = name.replace(/__c$/, '');
    const scale = intOf(field, 'scale', 15);
    const part = (suffix: string, label: string): FieldDescribe =>
      makeField(`${base}__${suffix}__s`, 'double', {
        label: `${options.label ?? base} (${label})`,
        custom: true,
        precision: 18,
        scale
      });
    return [
      makeField(name, 'location', { ...options, createable: false, updateable: false }),
      part('Latitude', 'Latitude'),
      part('Longitude', 'Longitude')
    ];
  }
  return [makeField(name, type, options)];
}

/** The Name field of a custom object from `<nameField>`: Text(80) or an auto-number. */
export function describeNameField(object: XmlNode | undefined): FieldDescribe {
  const nameField = child(object, 'nameField');
  const label = text(nameField, 'label') ?? 'Name';
  if (text(nameField, 'type') === 'AutoNumber') {
    return makeField('Name', 'string', {
      label,
      length: 30,
      autoNumber: true,
      displayFormat: text(nameField, 'displayFormat') ?? '{0}',
      createable: false,
      updateable: false,
      nillable: false
    });
  }
  return makeField('Name', 'string', { label, length: 80, nillable: false });
}
