/**
 * What deleting a record does to the records that look it up, by the delete rule of each
 * relationship (the lookup's `deleteConstraint`; master-detail children cascade):
 *
 * - Cascade: the child is deleted too (and, in turn, its own children by their rules);
 * - Restrict: the delete fails with DELETE_FAILED while such a child exists;
 * - SetNull: the child stays, its lookup cleared.
 *
 * The plan is worked out before anything changes, so a refused delete leaves the org as it
 * was. Every child table a rule applies to is scanned (generated rows included) once per
 * level of the cascade.
 */
import type { FieldDescribe, SalesforceApiError, SfRecord, SObjectDescribe } from '../model.ts';
import type { ChildRelationship } from '../model.ts';
import { writeErrors } from './errors.ts';
import { scanRecords } from './read.ts';
import type { TableRegistry } from './registry.ts';

export interface PlannedRecord {
  object: SObjectDescribe;
  record: SfRecord;
}

export interface DeletePlan {
  /** The record asked for first, then every record its delete cascades to. */
  deletes: PlannedRecord[];
  /** Surviving records whose lookup pointed at a deleted one, with that lookup. */
  clears: Array<PlannedRecord & { field: FieldDescribe }>;
}

/**
 * The relationships of `parents`' objects with one of `constraints`, each child field once
 * (a polymorphic lookup such as Task.WhatId is a relationship of several parent objects).
 */
function relationshipsOf(
  registry: TableRegistry,
  parents: Iterable<PlannedRecord>,
  constraints: ReadonlySet<string>
): ChildRelationship[] {
  const objects = new Set<SObjectDescribe>();
  for (const { object } of parents) objects.add(object);
  const byField = new Map<FieldDescribe, ChildRelationship>();
  for (const object of objects) {
    for (const relationship of registry.schema.childRelationships(object)) {
      if (constraints.has(relationship.deleteConstraint)) {
        byField.set(relationship.field, relationship);
      }
    }
  }
  return [...byField.values()];
}

/** Live children through `relationship` whose lookup holds one of `parentIds`. */
function* childrenOf(
  registry: TableRegistry,
  relationship: ChildRelationship,
  parentIds: ReadonlySet<string>
): Generator<SfRecord> {
  const field = relationship.field.name;
  for (const child of scanRecords(registry, relationship.childObject.name)) {
    const parentId = child[field];
    if (typeof parentId === 'string' && parentIds.has(parentId)) yield child;
  }
}

const CASCADE = new Set(['Cascade']);
const RESTRICT_OR_SET_NULL = new Set(['Restrict', 'SetNull']);

/** The record and, level by level, everything its delete cascades to. */
function cascade(registry: TableRegistry, root: PlannedRecord): Map<string, PlannedRecord> {
  const doomed = new Map<string, PlannedRecord>([[root.record.Id, root]]);
  let level: PlannedRecord[] = [root];
  while (level.length > 0) {
    const parentIds = new Set(level.map((entry) => entry.record.Id));
    const next: PlannedRecord[] = [];
    for (const relationship of relationshipsOf(registry, level, CASCADE)) {
      for (const record of childrenOf(registry, relationship, parentIds)) {
        if (doomed.has(record.Id)) continue;
        const entry = { object: relationship.childObject, record };
        doomed.set(record.Id, entry);
        next.push(entry);
      }
    }
    level = next;
  }
  return doomed;
}

/**
 * The plan for deleting `record`, or DELETE_FAILED when a child that would survive restricts
 * the delete of its parent (the record itself or one it cascades to).
 */
export function planDelete(
  registry: TableRegistry,
  object: SObjectDescribe,
  record: SfRecord
): DeletePlan {
  const doomed = cascade(registry, { object, record });
  const doomedIds = new Set(doomed.keys());
  const clears: DeletePlan['clears'] = [];
  for (const relationship of relationshipsOf(registry, doomed.values(), RESTRICT_OR_SET_NULL)) {
    const survivors = [...childrenOf(registry, relationship, doomedIds)].filter(
      (child) => !doomed.has(child.Id)
    );
    if (survivors.length === 0) continue;
    if (relationship.deleteConstraint === 'Restrict') {
      throw restricted(doomed, relationship, survivors);
    }
    for (const child of survivors) {
      clears.push({ object: relationship.childObject, record: child, field: relationship.field });
    }
  }
  return { deletes: [...doomed.values()], clears };
}

/** What a record is called in messages: its name field (Name, CaseNumber...), else its id. */
function recordName(object: SObjectDescribe, record: SfRecord): string {
  const nameField = object.fields.find((field) => field.nameField === true);
  const name = nameField === undefined ? undefined : record[nameField.name];
  return typeof name === 'string' && name !== '' ? name : record.Id;
}

/** DELETE_FAILED naming the first restricted parent and its children through `relationship`. */
function restricted(
  doomed: ReadonlyMap<string, PlannedRecord>,
  relationship: ChildRelationship,
  survivors: SfRecord[]
): SalesforceApiError {
  const field = relationship.field.name;
  // childrenOf only yields children whose lookup names a doomed record.
  const parentId = (survivors[0] as SfRecord)[field] as string;
  const parent = doomed.get(parentId) as PlannedRecord;
  const children = survivors.filter((child) => child[field] === parentId);
  return writeErrors.deleteRestricted(
    recordName(parent.object, parent.record),
    relationship.childObject,
    children.map((child) => recordName(relationship.childObject, child))
  );
}
