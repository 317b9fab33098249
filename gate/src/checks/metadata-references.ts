import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../finding.ts';
import type { FieldDescribe, FieldType } from '../../../toolkit/src/salesforce-schema/model.ts';
import type { SchemaRefs, Verdict } from '../schema-refs.ts';
import { GENERIC_RELATED_LISTS, standardColumns } from '../standard-columns.ts';
import { rel, type Workspace } from '../workspace.ts';
import {
  childNamed,
  childrenNamed,
  childText,
  descendants,
  parseXmlTree,
  type XmlElement
} from '../xml-tree.ts';

/*
 * Objects, fields and components that metadata names and a deploy resolves: permission sets and
 * profiles, flows, list views, layouts, Lightning record pages and custom metadata records. Each
 * reference resolves in the schema model (SchemaRefs) or among the project's own components
 * (classes, tabs, apps, record types, layouts...), which is all the org has besides the standard
 * ones: a component type whose standard members cannot be listed (standard tabs and apps,
 * standard objects' layouts) is checked only where the name is the project's to define.
 */

/** The project's own components, by metadata type, from the file names (as a deploy names them). */
export class Components {
  private readonly byType = new Map<string, Set<string>>();

  constructor(files: readonly string[]) {
    const patterns: [string, RegExp][] = [
      ['ApexClass', /\/classes\/([^/]+)\.cls$/],
      ['ApexPage', /\/pages\/([^/]+)\.page$/],
      ['CustomTab', /\/tabs\/([^/]+)\.tab-meta\.xml$/],
      ['CustomApplication', /\/applications\/([^/]+)\.app-meta\.xml$/],
      ['CustomPermission', /\/customPermissions\/([^/]+)\.customPermission-meta\.xml$/],
      ['Flow', /\/flows\/([^/]+)\.flow-meta\.xml$/],
      ['Layout', /\/layouts\/([^/]+)\.layout-meta\.xml$/],
      ['RecordType', /\/objects\/([^/]+)\/recordTypes\/([^/]+)\.recordType-meta\.xml$/],
      ['ExternalDataSource', /\/dataSources\/([^/]+)\.dataSource-meta\.xml$/]
    ];
    for (const file of files) {
      const unix = file.split(path.sep).join('/');
      for (const [type, pattern] of patterns) {
        const match = pattern.exec(unix);
        if (!match) continue;
        this.add(type, match.slice(1).join('.'));
      }
    }
  }

  has(type: string, name: string): boolean {
    return this.byType.get(type)?.has(name.toLowerCase()) ?? false;
  }

  add(type: string, name: string): void {
    const names = this.byType.get(type) ?? new Set<string>();
    names.add(name.toLowerCase());
    this.byType.set(type, names);
  }

  /**
   * The principals of the project's External Credentials, as permission sets name them:
   * `<ExternalCredential>-<parameterName>` for each NamedPrincipal or PerUserPrincipal parameter
   * (the other parameters, AuthHeader, AuthParameter..., are no principals).
   */
  async readPrincipals(files: readonly string[]): Promise<void> {
    for (const file of files) {
      const match = /([^/\\]+)\.externalCredential-meta\.xml$/.exec(file);
      if (!match?.[1]) continue;
      const root = parseXmlTree(await readFile(file, 'utf8'));
      for (const parameter of childrenNamed(root, 'externalCredentialParameters')) {
        const type = childText(parameter, 'parameterType');
        const name = childText(parameter, 'parameterName');
        if (name && (type === 'NamedPrincipal' || type === 'PerUserPrincipal')) {
          this.add('ExternalCredentialPrincipal', `${match[1]}-${name}`);
        }
      }
    }
  }
}

/** A namespaced name (`ns__Thing`, `ns.Thing`) belongs to an installed package, not the project. */
function packaged(name: string): boolean {
  return /^[A-Za-z0-9]+__[A-Za-z]/.test(name) && !/__(c|e|mdt|r|x)$/i.test(name);
}

class MetadataReader {
  readonly findings: Finding[] = [];

  constructor(
    readonly refs: SchemaRefs,
    private readonly components: Components,
    private readonly file: string
  ) {}

  checkPath(objectName: string, segments: string[]): Verdict {
    return this.refs.checkPath(objectName, segments);
  }

  checkObject(name: string): Verdict {
    return this.refs.checkObject(name);
  }

  childObject(parentName: string, relationship: string): string | undefined {
    return this.refs.childObject(parentName, relationship);
  }

  report(verdict: Verdict, at: XmlElement, what: string): void {
    if (!verdict) return;
    this.findings.push({
      check: 'references',
      file: this.file,
      line: at.line,
      severity: verdict.severity,
      message: `${what}: ${verdict.message}`
    });
  }

  component(type: string, at: XmlElement, label: string): void {
    const name = at.text;
    if (name === '' || packaged(name) || this.components.has(type, name)) return;
    this.report(
      { severity: 'error', message: `no ${type} ${name} in the project` },
      at,
      `<${label}>${name}`
    );
  }

  /** `Object.Field` as permission sets and layouts' related lists write it. */
  qualifiedField(at: XmlElement, label: string): void {
    const [objectName, ...segments] = at.text.split('.');
    if (!objectName || segments.length === 0) return;
    this.report(this.refs.checkPath(objectName, segments), at, `<${label}>${at.text}`);
  }

  /**
   * A field permission on a required or master-detail custom field: the deploy refuses it ("You
   * cannot deploy to a required field"), as such a field is always readable and editable.
   */
  grantableField(at: XmlElement, label: string): void {
    const [objectName = '', fieldName = '', ...rest] = at.text.split('.');
    if (rest.length > 0) return;
    const object = this.refs.schema.getObject(objectName);
    const field = object && this.refs.schema.getField(object, fieldName);
    if (!field?.custom || field.nillable || field.type === 'boolean' || field.autoNumber) return;
    const kind = field.deleteConstraint === 'Cascade' ? 'a master-detail' : 'a required';
    this.report(
      {
        severity: 'error',
        message: `You cannot deploy to a required field: ${at.text} is ${kind} field, always readable and editable; remove the grant`
      },
      at,
      `<${label}>${at.text}`
    );
  }

  field(objectName: string, at: XmlElement, label: string, name = at.text): void {
    if (name === '') return;
    this.report(this.refs.checkPath(objectName, name.split('.')), at, `<${label}>${name}`);
  }

  /**
   * A standard column in the list view engine's upper-case form (`NAME`, `ACCOUNT.PHONE1`): known
   * from the table of standard columns (gate/src/standard-columns.ts), else a warning, since the
   * table may lack a real column. Objects the table has no columns for are not judged.
   */
  standardColumn(objectName: string, at: XmlElement, label: string): void {
    const known = standardColumns(objectName);
    if (!known || known.has(at.text)) return;
    this.report(
      {
        severity: 'warning',
        message: `not a standard column of ${objectName} (gate/src/standard-columns.ts); a field is named by its API name (Field__c), a standard column as Salesforce writes it (${[...known].slice(0, 4).join(', ')}, ...)`
      },
      at,
      `<${label}>${at.text}`
    );
  }

  /**
   * A related list of `parentName` that a page names by a child relationship: the project's
   * objects have their child relationships complete in the schema model (an error when absent);
   * a standard object's only in part (a warning).
   */
  childRelationship(parentName: string, at: XmlElement, label: string, found: boolean): void {
    if (found) return;
    const parent = this.refs.schema.getObject(parentName);
    const certain = parent?.kind === 'custom';
    this.report(
      {
        severity: certain ? 'error' : 'warning',
        message: certain
          ? `no child relationship ${at.text} on ${parentName}: no reference field in the schema model looks ${parentName} up so`
          : `${at.text} is not among ${parentName}'s child relationships in the schema model (standard objects' are partial): not checked`
      },
      at,
      `<${label}>${at.text}`
    );
  }

  /** The objects that look `parentName` up, with the fields that do (schema model). */
  children(parentName: string): { object: string; field: string; relationship: string | null }[] {
    const parent = this.refs.schema.getObject(parentName);
    if (!parent) return [];
    return this.refs.schema.childRelationships(parent).map((c) => ({
      object: c.childObject.name.toLowerCase(),
      field: c.field.name.toLowerCase(),
      relationship: c.relationshipName?.toLowerCase() ?? null
    }));
  }

  object(at: XmlElement, label: string): void {
    if (at.text === '') return;
    this.report(this.refs.checkObject(at.text), at, `<${label}>${at.text}`);
  }

  /** `Obj.RecordTypeName`: record types are always the project's (PersonAccount aside). */
  recordType(at: XmlElement, label: string): void {
    const [objectName = '', name = ''] = at.text.split('.');
    if (objectName.toLowerCase() === 'personaccount' || packaged(name)) return;
    this.report(this.refs.checkObject(objectName), at, `<${label}>${at.text}`);
    if (!this.components.has('RecordType', at.text)) {
      this.report(
        { severity: 'error', message: `no record type ${name} on ${objectName} in the project` },
        at,
        `<${label}>${at.text}`
      );
    }
  }

  /** `Obj-Layout Name`: a custom object's layouts are the project's; standard ones are unknown. */
  layout(at: XmlElement, label: string): void {
    const objectName = at.text.split('-')[0] ?? '';
    if (this.components.has('Layout', at.text) || packaged(objectName)) return;
    if (!/__(c|mdt|x)$/i.test(objectName)) return;
    this.report(
      { severity: 'error', message: `no layout ${at.text} in the project` },
      at,
      `<${label}>${at.text}`
    );
  }
}

/** (c) Permission sets and profiles. */
function readPermissions(root: XmlElement, r: MetadataReader): void {
  for (const grant of childrenNamed(root, 'fieldPermissions')) {
    const field = childNamed(grant, 'field');
    if (!field) continue;
    r.qualifiedField(field, 'fieldPermissions.field');
    r.grantableField(field, 'fieldPermissions.field');
  }
  for (const grant of childrenNamed(root, 'externalCredentialPrincipalAccesses')) {
    const principal = childNamed(grant, 'externalCredentialPrincipal');
    if (principal) {
      r.component(
        'ExternalCredentialPrincipal',
        principal,
        'externalCredentialPrincipalAccesses.externalCredentialPrincipal'
      );
    }
  }
  const objectLists = ['objectPermissions', 'customMetadataTypeAccesses', 'customSettingAccesses'];
  for (const list of objectLists) {
    for (const grant of childrenNamed(root, list)) {
      const object = childNamed(grant, 'object') ?? childNamed(grant, 'name');
      if (object) r.object(object, `${list}.${object.name}`);
    }
  }
  for (const grant of childrenNamed(root, 'tabSettings').concat(
    childrenNamed(root, 'tabVisibilities')
  )) {
    const tab = childNamed(grant, 'tab');
    // Standard tabs (`standard-Account`) exist in every org.
    if (tab && !tab.text.startsWith('standard-')) r.component('CustomTab', tab, 'tab');
  }
  const byName: [string, string, string][] = [
    ['classAccesses', 'apexClass', 'ApexClass'],
    ['pageAccesses', 'apexPage', 'ApexPage'],
    ['customPermissions', 'name', 'CustomPermission'],
    ['flowAccesses', 'flow', 'Flow']
  ];
  for (const [list, element, type] of byName) {
    for (const grant of childrenNamed(root, list)) {
      const name = childNamed(grant, element);
      if (name) r.component(type, name, `${list}.${element}`);
    }
  }
  for (const grant of childrenNamed(root, 'applicationVisibilities')) {
    const app = childNamed(grant, 'application');
    if (app && !app.text.startsWith('standard__'))
      r.component('CustomApplication', app, 'application');
  }
  for (const grant of childrenNamed(root, 'recordTypeVisibilities')) {
    const recordType = childNamed(grant, 'recordType');
    if (recordType) r.recordType(recordType, 'recordTypeVisibilities.recordType');
  }
  for (const assignment of childrenNamed(root, 'layoutAssignments')) {
    const layout = childNamed(assignment, 'layout');
    if (layout) r.layout(layout, 'layoutAssignments.layout');
    const recordType = childNamed(assignment, 'recordType');
    if (recordType) r.recordType(recordType, 'layoutAssignments.recordType');
  }
}

/** Flow elements that read or write records of one object. */
const RECORD_ELEMENTS = ['recordLookups', 'recordCreates', 'recordUpdates', 'recordDeletes'];
/** Their children naming a field of that object. */
const FIELD_LISTS = ['filters', 'inputAssignments', 'outputAssignments'];
/** `$Record.Field__c`, `Get_Account.Owner.Name`: a flow reference to a record's field. */
const FLOW_REFERENCE = /^\$?[A-Za-z][\w]*(?:\.[A-Za-z][\w]*)+$/;

/** (d) Flows: record elements, their filters and assignments, the start element, references. */
function readFlow(root: XmlElement, r: MetadataReader): void {
  const start = childNamed(root, 'start');
  const startObject = childNamed(start, 'object');
  if (startObject) r.object(startObject, 'start.object');
  const records = new Map<string, string>();
  if (startObject?.text) {
    records.set('$record', startObject.text);
    records.set('$record__prior', startObject.text);
    for (const filter of childrenNamed(start, 'filters')) {
      const field = childNamed(filter, 'field');
      if (field) r.field(startObject.text, field, 'start.filters.field');
    }
  }
  for (const variable of childrenNamed(root, 'variables')) {
    const name = childText(variable, 'name');
    const type = childText(variable, 'objectType');
    if (name && type && childText(variable, 'dataType') === 'SObject') {
      records.set(name.toLowerCase(), type);
    }
  }
  for (const scheduled of childrenNamed(start, 'scheduledPaths')) {
    const field = childNamed(scheduled, 'recordField');
    if (field && startObject?.text) r.field(startObject.text, field, 'scheduledPaths.recordField');
  }
  for (const lookup of childrenNamed(root, 'recordLookups')) {
    const name = childText(lookup, 'name');
    const object = childText(lookup, 'object');
    if (name && object) records.set(name.toLowerCase(), object);
  }
  typeCollections(root, records);
  for (const processor of childrenNamed(root, 'collectionProcessors')) {
    const collection = childText(processor, 'collectionReference');
    const objectName = collection ? records.get(collection.toLowerCase()) : undefined;
    if (!objectName) continue;
    for (const option of childrenNamed(processor, 'sortOptions')) {
      const field = childNamed(option, 'sortField');
      if (field) r.field(objectName, field, 'collectionProcessors.sortOptions.sortField');
    }
  }
  for (const choices of childrenNamed(root, 'dynamicChoiceSets')) readChoiceSet(choices, r);
  for (const list of RECORD_ELEMENTS) {
    for (const element of childrenNamed(root, list)) {
      const objectElement = childNamed(element, 'object');
      const name = childText(element, 'name');
      const input = childText(element, 'inputReference');
      const objectName =
        objectElement?.text || (input ? records.get(input.toLowerCase()) : undefined);
      if (objectElement) r.object(objectElement, `${list}.object`);
      if (!objectName) continue;
      if (name && list === 'recordLookups') records.set(name.toLowerCase(), objectName);
      for (const fieldList of FIELD_LISTS) {
        for (const item of childrenNamed(element, fieldList)) {
          const field = childNamed(item, 'field');
          if (field) r.field(objectName, field, `${list}.${fieldList}.field`);
        }
      }
      for (const queried of childrenNamed(element, 'queriedFields')) {
        r.field(objectName, queried, `${list}.queriedFields`);
      }
      const sortField = childNamed(element, 'sortField');
      if (sortField) r.field(objectName, sortField, `${list}.sortField`);
    }
  }
  // Every reference to a record variable's field: assignments, conditions, values, formulas.
  for (const { element } of descendants(root)) {
    if (element.children.length > 0 || element.text === '') continue;
    const references = FLOW_REFERENCE.test(element.text)
      ? [element.text]
      : [...element.text.matchAll(/\{!([^}]+)\}/g)].map((m) => (m[1] ?? '').trim());
    for (const reference of references) {
      if (!FLOW_REFERENCE.test(reference)) continue;
      const [head = '', ...segments] = reference.split('.');
      const objectName = records.get(head.toLowerCase());
      if (!objectName) continue;
      r.report(r.checkPath(objectName, segments), element, `<${element.name}>${reference}`);
    }
  }
}

/**
 * Loops and collection processors over a record collection hold records of its object: the
 * loop's current item (`{!Loop_Invoices.Amount__c}`, or the variable it assigns), a filter's
 * current item and a filter's or sort's output. Elements may name collections declared further
 * down the file, so the types are propagated until nothing changes.
 */
function typeCollections(root: XmlElement, records: Map<string, string>): void {
  const elements = [
    ...childrenNamed(root, 'loops'),
    ...childrenNamed(root, 'collectionProcessors')
  ];
  for (let changed = true; changed;) {
    changed = false;
    for (const element of elements) {
      const collection = childText(element, 'collectionReference')?.toLowerCase();
      const item = collection ? records.get(collection) : undefined;
      // A map processor's output is of its own type; its current item is of the input's.
      const output = childText(element, 'outputSObjectType') || item;
      const typed: [string | undefined, string | undefined][] = [
        [childText(element, 'name'), output],
        [childText(element, 'assignNextValueToReference'), item]
      ];
      for (const [name, objectName] of typed) {
        const key = name?.toLowerCase();
        if (!key || !objectName || records.has(key)) continue;
        records.set(key, objectName);
        changed = true;
      }
    }
  }
}

/** A record or picklist choice set: its object and every field it displays, filters or reads. */
function readChoiceSet(choices: XmlElement, r: MetadataReader): void {
  const picklistObject = childNamed(choices, 'picklistObject');
  if (picklistObject?.text) {
    r.object(picklistObject, 'dynamicChoiceSets.picklistObject');
    const field = childNamed(choices, 'picklistField');
    if (field) r.field(picklistObject.text, field, 'dynamicChoiceSets.picklistField');
  }
  const object = childNamed(choices, 'object');
  if (!object?.text) return;
  r.object(object, 'dynamicChoiceSets.object');
  for (const name of ['displayField', 'valueField', 'sortField']) {
    const field = childNamed(choices, name);
    if (field) r.field(object.text, field, `dynamicChoiceSets.${name}`);
  }
  for (const list of ['filters', 'outputAssignments']) {
    for (const item of childrenNamed(choices, list)) {
      const field = childNamed(item, 'field');
      if (field) r.field(object.text, field, `dynamicChoiceSets.${list}.field`);
    }
  }
}

/** (e) A list view of `objectName`: columns and filters (fields, or standard columns). */
function readListView(root: XmlElement, objectName: string, r: MetadataReader): void {
  const check = (at: XmlElement, label: string): void => {
    if (at.text === '') return;
    // Standard columns use legacy upper-case names (NAME, CREATED_DATE, ACCOUNT.NAME).
    if (at.text === at.text.toUpperCase()) {
      r.standardColumn(objectName, at, label);
      return;
    }
    const name = at.text.startsWith(`${objectName}.`)
      ? at.text.slice(objectName.length + 1)
      : at.text;
    r.field(objectName, at, label, name);
  };
  for (const column of childrenNamed(root, 'columns')) check(column, 'columns');
  for (const filter of childrenNamed(root, 'filters')) {
    const field = childNamed(filter, 'field');
    if (field) check(field, 'filters.field');
  }
}

/** (e) A page layout `Object-Name`: its fields and related lists. */
function readLayout(root: XmlElement, objectName: string, r: MetadataReader): void {
  for (const { element } of descendants(root)) {
    if (element.name === 'layoutItems') {
      const field = childNamed(element, 'field');
      if (field) r.field(objectName, field, 'layoutItems.field');
    }
  }
  for (const related of childrenNamed(root, 'relatedLists')) {
    const list = childNamed(related, 'relatedList');
    if (!list?.text) continue;
    const children = r.children(objectName);
    if (!list.text.includes('.')) {
      // A standard related list (RelatedContactList): generic, or named after a child object.
      const child = /^Related(\w+)List$/.exec(list.text)?.[1]?.toLowerCase();
      const found =
        GENERIC_RELATED_LISTS.has(list.text.toLowerCase()) ||
        children.some((c) => c.object === child);
      r.childRelationship(objectName, list, 'relatedList', found);
      continue;
    }
    // `Child__c.Lookup__c`: a custom related list, through a field that looks this object up.
    r.qualifiedField(list, 'relatedList');
    const [childObject = '', field = ''] = list.text.toLowerCase().split('.');
    const childKnown = r.checkPath(childObject, [field]) === undefined;
    if (childKnown) {
      const found = children.some((c) => c.object === childObject && c.field === field);
      r.childRelationship(objectName, list, 'relatedList', found);
    }
    for (const column of childrenNamed(related, 'fields')) {
      if (column.text === column.text.toUpperCase()) {
        r.standardColumn(list.text.split('.')[0] ?? '', column, 'relatedLists.fields');
      } else r.field(list.text.split('.')[0] ?? '', column, 'relatedLists.fields');
    }
  }
}

/** (e) A Lightning record page: its object and the `Record.Field` references of its components. */
function readFlexiPage(root: XmlElement, r: MetadataReader): void {
  const sobject = childNamed(root, 'sobjectType');
  if (!sobject?.text) return;
  r.object(sobject, 'sobjectType');
  for (const { element } of descendants(root)) {
    if (element.name === 'componentInstanceProperties') {
      const value = childNamed(element, 'value');
      if (childText(element, 'name') === 'relatedListApiName' && value?.text) {
        const found =
          GENERIC_RELATED_LISTS.has(value.text.toLowerCase()) ||
          r.childObject(sobject.text, value.text) !== undefined;
        r.childRelationship(sobject.text, value, 'relatedListApiName', found);
      }
    }
    if (element.children.length > 0) continue;
    const references =
      element.name === 'fieldItem'
        ? [element.text]
        : [...element.text.matchAll(/\{!([^}]+)\}/g)].map((m) => (m[1] ?? '').trim());
    for (const reference of references) {
      const match = /^Record\.([\w.]+)$/.exec(reference);
      if (match?.[1]) r.field(sobject.text, element, element.name, match[1]);
    }
  }
}

/** (e) A custom metadata record: its type and the fields it sets. */
function readCustomMetadata(root: XmlElement, typeName: string, r: MetadataReader): void {
  const verdict = r.checkObject(typeName);
  if (verdict) {
    r.report(verdict, root, `record of ${typeName}`);
    return;
  }
  const type = r.refs.schema.getObject(typeName);
  for (const entry of childrenNamed(root, 'values')) {
    const field = childNamed(entry, 'field');
    if (!field) continue;
    r.field(typeName, field, 'values.field');
    const describe = type && r.refs.schema.getField(type, field.text);
    const value = childNamed(entry, 'value');
    if (!describe || !value) continue;
    const problem = valueProblem(describe, value);
    if (problem) {
      r.report(
        { severity: 'error', message: `${typeName}.${describe.name}: ${problem}` },
        value,
        `<value>${value.text}`
      );
    }
  }
}

/** The XML Schema type a record value of each field type is written with. */
function xsdTypeOf(type: FieldType): string {
  switch (type) {
    case 'double':
    case 'currency':
    case 'percent':
    case 'int':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'dateTime';
    default:
      return 'string';
  }
}

const NUMBER = /^[-+]?(\d*)(?:\.\d+)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

function validDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/**
 * What the deploy rejects in a custom metadata record's value for `field`: an `xsi:type` other
 * than the field's (a Number is `xsd:double`, a Checkbox `xsd:boolean`, a Date `xsd:date`, a Date/
 * Time `xsd:dateTime`, every text and picklist type `xsd:string`), a value its type cannot hold
 * (not a number, more integer digits than precision minus scale, not true/false, not a date),
 * text longer than the field, or a value its picklist lacks. `xsi:nil` (no value) passes.
 */
function valueProblem(field: FieldDescribe, value: XmlElement): string | undefined {
  const attribute = (suffix: string): string | undefined =>
    Object.entries(value.attributes).find(
      ([key]) => key === suffix || key.endsWith(`:${suffix}`)
    )?.[1];
  if (attribute('nil') === 'true') return undefined;
  const expected = xsdTypeOf(field.type);
  const declared = attribute('type')?.split(':').pop();
  if (declared !== undefined && declared !== expected) {
    return `a ${field.type} field takes xsi:type="xsd:${expected}", not "${attribute('type')}"`;
  }
  const text = value.text;
  switch (expected) {
    case 'double': {
      const match = NUMBER.exec(text);
      if (!match || !/\d/.test(text)) return `"${text}" is not a number`;
      const digits = (match[1] ?? '').replace(/^0+/, '').length;
      const allowed = field.precision - field.scale;
      if (field.precision > 0 && digits > allowed) {
        return `"${text}" has ${digits} digits before the decimal point; the field holds ${allowed} (precision ${field.precision}, scale ${field.scale})`;
      }
      return undefined;
    }
    case 'boolean':
      return /^(true|false|1|0)$/.test(text) ? undefined : `"${text}" is not true or false`;
    case 'date':
      return validDate(text) ? undefined : `"${text}" is not a date (YYYY-MM-DD)`;
    case 'dateTime':
      return DATE_TIME.test(text) && validDate(text.slice(0, 10))
        ? undefined
        : `"${text}" is not a date and time (YYYY-MM-DDThh:mm:ssZ)`;
    default:
      break;
  }
  if (field.length > 0 && text.length > field.length) {
    return `${text.length} characters; the field holds ${field.length}`;
  }
  if (field.type === 'picklist' && field.picklistValues.length > 0) {
    const values = field.picklistValues.filter((v) => v.active).map((v) => v.value);
    if (!values.includes(text))
      return `"${text}" is not a value of the picklist (${values.join(', ')})`;
  }
  return undefined;
}

/**
 * (f) An external object (`objects/Foo__x/Foo__x.object-meta.xml`): its `<externalDataSource>`
 * is one of the project's External Data Sources (a deploy fails on an unknown one).
 */
function readExternalObject(root: XmlElement, r: MetadataReader): void {
  const source = childNamed(root, 'externalDataSource');
  if (!source?.text) {
    r.report(
      { severity: 'error', message: 'an external object needs its <externalDataSource>' },
      root,
      'external object'
    );
    return;
  }
  r.component('ExternalDataSource', source, 'externalDataSource');
}

/**
 * (f) The relationship fields Salesforce Connect adds: an indirect lookup (`IndirectLookup`,
 * only on an external object) relates its rows to a standard or custom object through
 * `<referenceTargetField>`, a field of that object that must be an external id and unique (a
 * deploy refuses any other); an external lookup (`ExternalLookup`) points at another external
 * object, matched on its External ID.
 */
function readRelationshipField(root: XmlElement, objectName: string, r: MetadataReader): void {
  const type = childText(root, 'type');
  if (type !== 'IndirectLookup' && type !== 'ExternalLookup') return;
  const target = childNamed(root, 'referenceTo');
  const where = `<type>${type}</type>`;
  if (type === 'IndirectLookup' && !/__x$/i.test(objectName)) {
    r.report(
      { severity: 'error', message: `${objectName} is no external object (__x)` },
      root,
      where
    );
  }
  if (!target?.text) {
    r.report({ severity: 'error', message: 'it needs <referenceTo>' }, root, where);
    return;
  }
  if (type === 'ExternalLookup') {
    if (!/__x$/i.test(target.text)) {
      r.report(
        { severity: 'error', message: 'an external lookup points at an external object (__x)' },
        target,
        `<referenceTo>${target.text}`
      );
    } else r.object(target, 'referenceTo');
    return;
  }
  if (/__x$/i.test(target.text)) {
    r.report(
      {
        severity: 'error',
        message: 'an indirect lookup points at a standard or custom object; use ExternalLookup'
      },
      target,
      `<referenceTo>${target.text}`
    );
    return;
  }
  r.object(target, 'referenceTo');
  const key = childNamed(root, 'referenceTargetField');
  if (!key?.text) {
    r.report(
      {
        severity: 'error',
        message: `it needs <referenceTargetField>, an external id of ${target.text}`
      },
      root,
      where
    );
    return;
  }
  const parent = r.refs.schema.getObject(target.text);
  r.field(target.text, key, 'referenceTargetField');
  const field = parent ? r.refs.schema.getField(parent, key.text) : undefined;
  if (field && !(field.externalId && field.unique)) {
    r.report(
      {
        severity: 'error',
        message: `${target.text}.${field.name} must be an External ID and Unique to be an indirect lookup's target`
      },
      key,
      `<referenceTargetField>${key.text}`
    );
  }
}

/** An LWC's configuration: the objects its record-page target configs are limited to. */
function readComponentBundle(root: XmlElement, r: MetadataReader): void {
  for (const configs of childrenNamed(root, 'targetConfigs')) {
    for (const config of childrenNamed(configs, 'targetConfig')) {
      for (const objects of childrenNamed(config, 'objects')) {
        for (const object of childrenNamed(objects, 'object')) {
          r.object(object, 'targetConfig.objects.object');
        }
      }
    }
  }
}

/** (c), (d), (e): every metadata file that names objects, fields or components. */
export async function metadataReferenceFindings(
  ws: Workspace,
  refs: SchemaRefs
): Promise<Finding[]> {
  const components = new Components(ws.files);
  await components.readPrincipals(ws.files);
  const findings: Finding[] = [];
  for (const file of ws.files) {
    const unix = file.split(path.sep).join('/');
    const base = path.basename(file);
    let read: ((root: XmlElement, r: MetadataReader) => void) | undefined;
    if (/\.(permissionset|profile)-meta\.xml$/.test(base)) read = readPermissions;
    else if (base.endsWith('.flow-meta.xml')) read = readFlow;
    else if (base.endsWith('.flexipage-meta.xml')) read = readFlexiPage;
    else if (base.endsWith('.js-meta.xml')) read = readComponentBundle;
    else if (base.endsWith('.listView-meta.xml')) {
      const objectName = /\/objects\/([^/]+)\/listViews\//.exec(unix)?.[1];
      if (objectName) read = (root, r) => readListView(root, objectName, r);
    } else if (base.endsWith('.layout-meta.xml')) {
      const objectName = base.split('-')[0] ?? '';
      read = (root, r) => readLayout(root, objectName, r);
    } else if (/\/objects\/[^/]+__x\/[^/]+__x\.object-meta\.xml$/i.test(unix)) {
      read = readExternalObject;
    } else if (base.endsWith('.field-meta.xml')) {
      const objectName = /\/objects\/([^/]+)\/fields\//.exec(unix)?.[1];
      if (objectName) read = (root, r) => readRelationshipField(root, objectName, r);
    } else if (base.endsWith('.md-meta.xml')) {
      const typeName = `${base.split('.')[0] ?? ''}__mdt`;
      read = (root, r) => readCustomMetadata(root, typeName, r);
    }
    if (!read) continue;
    const root = parseXmlTree(await readFile(file, 'utf8'));
    if (!root) continue;
    const reader = new MetadataReader(refs, components, rel(ws, file));
    read(root, reader);
    findings.push(...reader.findings);
  }
  return findings;
}
