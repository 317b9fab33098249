import {
  buildSchema,
  fieldListComplete,
  readProjectMetadata
} from '../../toolkit/src/salesforce-schema/index.ts';
import {
  flag,
  text,
  type ObjectMetadata,
  type ProjectMetadata
} from '../../toolkit/src/salesforce-schema/metadata-loader.ts';
import type { Schema, SObjectDescribe } from '../../toolkit/src/salesforce-schema/model.ts';
import {
  loadStandardSObjects,
  NEWER_STANDARD_NAMES,
  type StandardSObject,
  type StandardSObjects
} from './standard-sobjects.ts';
import type { Workspace } from './workspace.ts';

/**
 * What a reference to an object or field resolves to: nothing when it exists, an error when it
 * certainly does not, a warning when neither source can tell (see `unknown`).
 */
export type Verdict = { severity: 'error' | 'warning'; message: string } | undefined;

/**
 * `Foo__c`, `ns__Foo__c`, `Foo__e`, `Foo__mdt`, `Foo__x` (external object): names only the
 * project's metadata defines.
 */
const CUSTOM_OBJECT = /__(c|e|mdt|x)$/i;
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
 * Relationships the platform gives a custom object by its settings, which no field of the
 * project declares. Lower-case name -> the object it leads to, or null when the gate knows no
 * fields for it (`Invoice__Share`, `Invoice__History` and `Invoice__Feed` are generated tables,
 * outside the model): their own fields are then not checked.
 */
interface PlatformRelationships {
  children: Map<string, string | null>;
  parents: Map<string, string>;
}

/** Every record's access for the running user, `SELECT UserRecordAccess.HasEditAccess ...`. */
const USER_RECORD_ACCESS = 'UserRecordAccess';
/** What a polymorphic relationship (`What`, `Who`, `Owner`) resolves to in a SOQL path. */
const POLYMORPHIC_TARGET = 'Name';
/** Sharing models under which the platform keeps a share table (not Public Read/Write). */
const SHARED = new Set(['private', 'read']);

/** The platform's relationships of one custom object (Salesforce's Object Reference, "Custom Objects"). */
function platformRelationships(metadata: ObjectMetadata): PlatformRelationships {
  const object = metadata.object;
  const children = new Map<string, string | null>([
    ['processinstances', 'ProcessInstance'],
    ['processsteps', 'ProcessInstanceHistory']
  ]);
  const sharing = [text(object, 'sharingModel'), text(object, 'externalSharingModel')];
  if (sharing.some((model) => SHARED.has(model?.toLowerCase() ?? ''))) {
    children.set('shares', null);
  }
  if (flag(object, 'enableHistory')) children.set('histories', null);
  if (flag(object, 'enableFeeds')) children.set('feeds', null);
  if (flag(object, 'enableActivities')) {
    children.set('tasks', 'Task');
    children.set('events', 'Event');
    children.set('activityhistories', 'ActivityHistory');
    children.set('openactivities', 'OpenActivity');
  }
  return { children, parents: new Map([[USER_RECORD_ACCESS.toLowerCase(), USER_RECORD_ACCESS]]) };
}

/**
 * The gate's view of the org schema. The schema model is the one the org emulator serves
 * (toolkit/src/salesforce-schema: the project's objects and fields plus the emulator's catalogue
 * of standard objects). For standard objects, whose catalogue lists only the fields
 * integrations use, the names of Salesforce's standard SObjects (standard-sobjects.ts, API 61.0)
 * confirm that a name the catalogue lacks exists.
 */
export class SchemaRefs {
  private readonly platform = new Map<string, PlatformRelationships>();

  private constructor(
    readonly schema: Schema,
    project: ProjectMetadata,
    private readonly standard: StandardSObjects,
    private readonly apiVersion: string
  ) {
    for (const metadata of project.objects.values()) {
      if (/__c$/i.test(metadata.name)) {
        this.platform.set(metadata.name.toLowerCase(), platformRelationships(metadata));
      }
    }
  }

  static async load(ws: Workspace): Promise<SchemaRefs> {
    const [project, standard] = await Promise.all([
      readProjectMetadata(ws.root),
      loadStandardSObjects()
    ]);
    return new SchemaRefs(buildSchema(project), project, standard, ws.sourceApiVersion);
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
   * relationship ends the check (its target depends on the record), except with `soql`: a SOQL
   * path through `What`, `Who` or a polymorphic `Owner` reads the `Name` object's fields.
   */
  checkPath(
    objectName: string,
    segments: readonly string[],
    options: { lastMayBeRelationship?: boolean; soql?: boolean } = {}
  ): Verdict {
    let object = this.known(objectName);
    if (!object) return this.checkObjectOfField(objectName, segments);
    for (const [i, name] of segments.entries()) {
      const last = i === segments.length - 1;
      if (last && this.hasField(object, name)) return undefined;
      const parent = this.parent(object, name);
      if (parent !== undefined && (!last || options.lastMayBeRelationship)) {
        if (last || (parent === null && !options.soql)) return undefined;
        const next = this.known(parent ?? POLYMORPHIC_TARGET);
        // A target neither source knows cannot be checked further.
        if (!next) return undefined;
        object = next;
        continue;
      }
      if (last && options.lastMayBeRelationship && this.child(object, name) !== undefined) {
        return undefined;
      }
      return this.unknown(object, name, last ? 'field' : 'relationship');
    }
    return undefined;
  }

  /** A child relationship of `parentName` (`Contacts` on Account) as a subquery's FROM names it. */
  checkChildRelationship(parentName: string, name: string): Verdict {
    const parent = this.known(parentName);
    if (!parent || this.child(parent, name) !== undefined) return undefined;
    return this.unknown(parent, name, 'child relationship');
  }

  /**
   * The object a child relationship leads to, for the subquery's own fields; undefined when
   * there is none or its fields are not known (a custom object's `Shares`).
   */
  childObject(parentName: string, name: string): string | undefined {
    const parent = this.known(parentName);
    return (parent && this.child(parent, name)) || undefined;
  }

  /** The one object a parent relationship leads to; undefined when none or polymorphic. */
  parentObject(objectName: string, name: string): string | undefined {
    const object = this.known(objectName);
    return (object && this.parent(object, name)) ?? undefined;
  }

  /** The child object's name; null when it exists but its fields are unknown; else undefined. */
  private child(object: Known, name: string): string | null | undefined {
    const lower = name.toLowerCase();
    const modelled =
      object.model &&
      this.schema
        .childRelationships(object.model)
        .find((r) => r.relationshipName?.toLowerCase() === lower);
    return (
      modelled?.childObject.name ??
      object.standard?.children.get(lower) ??
      this.platform.get(object.name.toLowerCase())?.children.get(lower)
    );
  }

  /** The target of a parent relationship; null when polymorphic; undefined when there is none. */
  private parent(object: Known, name: string): string | null | undefined {
    const modelled = object.model && this.schema.getRelationship(object.model, name);
    if (modelled)
      return modelled.referenceTo.length === 1 ? (modelled.referenceTo[0] ?? null) : null;
    const lower = name.toLowerCase();
    const standard = object.standard?.parents.get(lower);
    if (standard !== undefined) return standard;
    if (lower === USER_RECORD_ACCESS.toLowerCase() && this.holdsRecords(object)) {
      return USER_RECORD_ACCESS;
    }
    return this.platform.get(object.name.toLowerCase())?.parents.get(lower);
  }

  /** Records the running user has access to: custom objects and standard data objects. */
  private holdsRecords(object: Known): boolean {
    const kind = object.model?.kind;
    return kind === 'custom' || kind === 'standard' || (kind === undefined && !!object.standard);
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
   * the model has complete, for custom fields anywhere, and for a standard object the API 61.0
   * standard SObjects know: a standard name added to it since is listed in NEWER_STANDARD_NAMES
   * (standard-sobjects.ts) and passes. Only an object that neither source knows completely (one
   * in the model's catalogue but not in sobject-types) leaves a warning.
   */
  private unknown(object: Known, name: string, kind: string): Verdict {
    if (NEWER_STANDARD_NAMES.has(`${object.name}.${name}`.toLowerCase())) return undefined;
    if ((object.model && fieldListComplete(object.model)) || CUSTOM_FIELD.test(name)) {
      const where =
        object.model?.kind === 'custom' || CUSTOM_OBJECT.test(object.name)
          ? ''
          : ` (custom fields of standard objects come only from the project's metadata)`;
      return { severity: 'error', message: `no ${kind} ${name} on ${object.name}${where}` };
    }
    if (object.standard) {
      return {
        severity: 'error',
        message: `no ${kind} ${name} on ${object.name}: neither the schema model nor Salesforce's standard SObjects at API ${this.standard.apiVersion} (sobject-types) have it; a name added since belongs in NEWER_STANDARD_NAMES (gate/src/standard-sobjects.ts)`
      };
    }
    return {
      severity: 'warning',
      message: `${object.name}.${name}: no such standard ${kind} in the schema model nor in Salesforce's standard SObjects at API ${this.standard.apiVersion} (sobject-types); it may be newer (project API ${this.apiVersion}): not checked`
    };
  }
}
