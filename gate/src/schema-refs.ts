import { fieldListComplete, loadSchema } from '../../toolkit/src/salesforce-schema/index.ts';
import type { Schema, SObjectDescribe } from '../../toolkit/src/salesforce-schema/model.ts';
import type { Workspace } from './workspace.ts';

/**
 * What a reference to an object or field resolves to: nothing when it exists, an error when it
 * certainly does not, a warning when the schema model cannot tell (see `fieldListComplete`).
 */
export type Verdict = { severity: 'error' | 'warning'; message: string } | undefined;

/** `Foo__c`, `ns__Foo__c`, `Foo__e`, `Foo__mdt`: names only the project's metadata defines. */
const CUSTOM_OBJECT = /__(c|e|mdt)$/i;
/** A custom field or its relationship name. */
const CUSTOM_FIELD = /__(c|r)$/i;
/** `Location__Latitude__s`: a component of a custom geolocation field `Location__c`. */
const GEOLOCATION_PART = /^(.+)__(latitude|longitude)__s$/i;

/**
 * The gate's view of the org schema: the same model the org emulator serves
 * (toolkit/src/salesforce-schema: the project's objects and fields plus the standard-object
 * catalogue), with the look-ups the cross-reference checks need.
 */
export class SchemaRefs {
  private constructor(
    readonly schema: Schema,
    private readonly apiVersion: string
  ) {}

  static async load(ws: Workspace): Promise<SchemaRefs> {
    return new SchemaRefs(await loadSchema(ws.root), ws.sourceApiVersion);
  }

  object(name: string): SObjectDescribe | undefined {
    return this.schema.getObject(name);
  }

  /** An object name: unknown custom objects are errors, unknown standard ones warnings. */
  checkObject(name: string): Verdict {
    if (this.schema.getObject(name)) return undefined;
    if (CUSTOM_OBJECT.test(name)) {
      return { severity: 'error', message: `no object ${name} in the project's metadata` };
    }
    return {
      severity: 'warning',
      message: `${name} is not among the schema model's standard objects (toolkit/src/salesforce-schema); its references are not checked`
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
    let object = this.schema.getObject(objectName);
    if (!object) return this.checkObjectOfField(objectName, segments);
    for (const [i, name] of segments.entries()) {
      const last = i === segments.length - 1;
      if (last && this.hasField(object, name)) return undefined;
      const relationship = this.schema.getRelationship(object, name);
      if (relationship && (!last || options.lastMayBeRelationship)) {
        if (last) return undefined;
        const [target, ...others] = relationship.referenceTo;
        const next = target === undefined ? undefined : this.schema.getObject(target);
        if (others.length > 0 || next === undefined) return undefined;
        object = next;
        continue;
      }
      if (last && options.lastMayBeRelationship && this.childRelationship(object, name)) {
        return undefined;
      }
      return this.unknown(object, name, last ? 'field' : 'relationship');
    }
    return undefined;
  }

  /** A child relationship of `parentName` (`Contacts` on Account) as a subquery's FROM names it. */
  checkChildRelationship(parentName: string, name: string): Verdict {
    const parent = this.schema.getObject(parentName);
    if (!parent || this.childRelationship(parent, name)) return undefined;
    return this.unknown(parent, name, 'child relationship');
  }

  /** The object a child relationship leads to, for the subquery's own fields. */
  childObject(parentName: string, name: string): string | undefined {
    const parent = this.schema.getObject(parentName);
    return parent && this.childRelationship(parent, name)?.childObject.name;
  }

  private childRelationship(object: SObjectDescribe, name: string) {
    const lower = name.toLowerCase();
    return this.schema
      .childRelationships(object)
      .find((r) => r.relationshipName?.toLowerCase() === lower);
  }

  private hasField(object: SObjectDescribe, name: string): boolean {
    if (this.schema.getField(object, name)) return true;
    const part = GEOLOCATION_PART.exec(name);
    return part?.[1] !== undefined && this.schema.getField(object, `${part[1]}__c`) !== undefined;
  }

  /** A field of an object the model does not have: only a custom object's name is certain. */
  private checkObjectOfField(objectName: string, segments: readonly string[]): Verdict {
    const verdict = this.checkObject(objectName);
    if (verdict?.severity === 'error') return verdict;
    // A standard object outside the catalogue has no custom fields: the project defines none.
    const custom = segments.find((s) => CUSTOM_FIELD.test(s));
    if (custom) {
      return {
        severity: 'error',
        message: `no field ${custom} on ${objectName}: the project's metadata defines no custom fields on it`
      };
    }
    return verdict;
  }

  private unknown(object: SObjectDescribe, name: string, kind: string): Verdict {
    if (fieldListComplete(object) || CUSTOM_FIELD.test(name)) {
      const where =
        object.kind === 'standard'
          ? ` (custom fields of standard objects come only from the project's metadata)`
          : '';
      return { severity: 'error', message: `no ${kind} ${name} on ${object.name}${where}` };
    }
    return {
      severity: 'warning',
      message: `${object.name}.${name}: not among the standard ${kind === 'field' ? 'fields' : 'relationships'} the schema model lists for ${object.name}, which is not complete at API ${this.apiVersion}; not checked`
    };
  }
}
