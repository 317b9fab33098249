import { fieldListComplete, loadSchema } from '../../toolkit/src/salesforce-schema/index.ts';
import type { Schema, SObjectDescribe } from '../../toolkit/src/salesforce-schema/model.ts';
import {
  loadStandardSObjects,
  type StandardSObject,
  type StandardSObjects
} from './standard-sobjects.ts';
import type { Workspace } from './workspace.ts';

/**
 * What a reference to an object or field resolves to: nothing when it exists, an error when it
 * certainly does not, a warning when neither source can tell (see `unknown`).
 */
export type Verdict = { severity: 'error' | 'warning'; message: string } | undefined;

/** `Foo__c`, `ns__Foo__c`, `Foo__e`, `Foo__mdt`: names only the project's metadata defines. */
const CUSTOM_OBJECT = /__(c|e|mdt)$/i;
/** A custom field or its relationship name. */
const CUSTOM_FIELD = /__(c|r)$/i;
/** `Location__Latitude__s`: a component of a custom geolocation field `Location__c`. */
const GEOLOCATION_PART = /^(.+)__(latitude|longitude)__s$/i;

/** An object as the two sources know it: the schema model, and Salesforce's standard names. */
interface Known {
  name: string;
  model?: SObjectDescribe;
  standard?: StandardSObject;
}

/**
 * The gate's view of the org schema. The schema model is the one the org emulator serves
 * (toolkit/src/salesforce-schema: the project's objects and fields plus the emulator's catalogue
 * of standard objects). For standard objects, whose catalogue lists only the fields
 * integrations use, the names of Salesforce's standard SObjects (standard-sobjects.ts, API 61.0)
 * confirm that a name the catalogue lacks exists.
 */
export class SchemaRefs {
  private constructor(
    readonly schema: Schema,
    private readonly standard: StandardSObjects,
    private readonly apiVersion: string
  ) {}

  static async load(ws: Workspace): Promise<SchemaRefs> {
    const [schema, standard] = await Promise.all([loadSchema(ws.root), loadStandardSObjects()]);
    return new SchemaRefs(schema, standard, ws.sourceApiVersion);
  }

  /** The object's name as declared, when either source knows it. */
  objectName(name: string): string | undefined {
    return this.known(name)?.name;
  }

  private known(name: string): Known | undefined {
    const model = this.schema.getObject(name);
    // A custom object's fields come from the project alone, never from the standard names.
    const standard = CUSTOM_OBJECT.test(name) ? undefined : this.standard.get(name);
    return model || standard ? { name: model?.name ?? name, model, standard } : undefined;
  }

  /** An object name: unknown custom objects are errors, unknown standard ones warnings. */
  checkObject(name: string): Verdict {
    if (this.known(name)) return undefined;
    if (CUSTOM_OBJECT.test(name)) {
      return { severity: 'error', message: `no object ${name} in the project's metadata` };
    }
    return {
      severity: 'warning',
      message: `${name} is neither in the schema model nor among Salesforce's standard objects at API ${this.standard.apiVersion} (sobject-types); it may be newer (project API ${this.apiVersion}): not checked`
    };
  }

  /**
   * A dotted path read from `objectName`: every segment but the last a parent relationship
   * (`Owner`, `Account__r`), the last a field, or with `lastMayBeRelationship` also a parent or
   * child relationship (Apex reads `contact.Account` and `account.Contacts`). A polymorphic
   * relationship ends the check: its target depends on the record.
   */
  checkPath(
    objectName: string,
    segments: readonly string[],
    options: { lastMayBeRelationship?: boolean } = {}
  ): Verdict {
    let object = this.known(objectName);
    if (!object) return this.checkObjectOfField(objectName, segments);
    for (const [i, name] of segments.entries()) {
      const last = i === segments.length - 1;
      if (last && this.hasField(object, name)) return undefined;
      const parent = this.parent(object, name);
      if (parent !== undefined && (!last || options.lastMayBeRelationship)) {
        if (last || parent === null) return undefined;
        const next = this.known(parent);
        // A target neither source knows cannot be checked further.
        if (!next) return undefined;
        object = next;
        continue;
      }
      if (last && options.lastMayBeRelationship && this.child(object, name)) return undefined;
      return this.unknown(object, name, last ? 'field' : 'relationship');
    }
    return undefined;
  }

  /** A child relationship of `parentName` (`Contacts` on Account) as a subquery's FROM names it. */
  checkChildRelationship(parentName: string, name: string): Verdict {
    const parent = this.known(parentName);
    if (!parent || this.child(parent, name)) return undefined;
    return this.unknown(parent, name, 'child relationship');
  }

  /** The object a child relationship leads to, for the subquery's own fields. */
  childObject(parentName: string, name: string): string | undefined {
    const parent = this.known(parentName);
    return parent && this.child(parent, name);
  }

  private child(object: Known, name: string): string | undefined {
    const lower = name.toLowerCase();
    const modelled =
      object.model &&
      this.schema
        .childRelationships(object.model)
        .find((r) => r.relationshipName?.toLowerCase() === lower);
    return modelled?.childObject.name ?? object.standard?.children.get(lower);
  }

  /** The target of a parent relationship; null when polymorphic; undefined when there is none. */
  private parent(object: Known, name: string): string | null | undefined {
    const modelled = object.model && this.schema.getRelationship(object.model, name);
    if (modelled)
      return modelled.referenceTo.length === 1 ? (modelled.referenceTo[0] ?? null) : null;
    return object.standard?.parents.get(name.toLowerCase());
  }

  private hasField(object: Known, name: string): boolean {
    if (object.model && this.schema.getField(object.model, name)) return true;
    if (!CUSTOM_FIELD.test(name) && object.standard?.fields.has(name.toLowerCase())) return true;
    const part = GEOLOCATION_PART.exec(name);
    return (
      part?.[1] !== undefined &&
      object.model !== undefined &&
      this.schema.getField(object.model, `${part[1]}__c`) !== undefined
    );
  }

  /** A field of an object neither source has: only a custom object's name is certain. */
  private checkObjectOfField(objectName: string, segments: readonly string[]): Verdict {
    const verdict = this.checkObject(objectName);
    if (verdict?.severity === 'error') return verdict;
    // A standard object the project adds nothing to has no custom fields.
    const custom = segments.find((s) => CUSTOM_FIELD.test(s));
    if (custom) {
      return {
        severity: 'error',
        message: `no field ${custom} on ${objectName}: the project's metadata defines no custom fields on it`
      };
    }
    return verdict;
  }

  /**
   * A name neither source has. Certain (an error) for the project's own objects, whose field list
   * the model has complete, and for custom fields anywhere; a standard name missing from the API
   * 61.0 standard SObjects may have been added since, so it is a warning.
   */
  private unknown(object: Known, name: string, kind: string): Verdict {
    if ((object.model && fieldListComplete(object.model)) || CUSTOM_FIELD.test(name)) {
      const where =
        object.model?.kind === 'custom' || CUSTOM_OBJECT.test(object.name)
          ? ''
          : ` (custom fields of standard objects come only from the project's metadata)`;
      return { severity: 'error', message: `no ${kind} ${name} on ${object.name}${where}` };
    }
    return {
      severity: 'warning',
      message: `${object.name}.${name}: no such standard ${kind} in the schema model nor in Salesforce's standard SObjects at API ${this.standard.apiVersion} (sobject-types); it may be newer (project API ${this.apiVersion}): not checked`
    };
  }
}
