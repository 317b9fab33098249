/**
 * The Salesforce org emulator's shared model: the contracts between its parts (schema, record
 * store, SOQL engine, event bus, sessions, API-call accounting) and the HTTP/gRPC surfaces built
 * on them. Each part lives in its own folder and depends on these types, not on each other.
 */

// ---------------------------------------------------------------------------------------------
// Schema (derived from the project's force-app metadata plus a catalogue of standard objects;
// the model lives in the toolkit, which the verification gate shares)
// ---------------------------------------------------------------------------------------------

export type {
  FieldType,
  PicklistValue,
  FieldDescribe,
  DeleteConstraint,
  SObjectKind,
  SObjectDescribe,
  ChildRelationship,
  Schema
} from '../../../toolkit/src/salesforce-schema/model.ts';
import type { Schema, SObjectDescribe } from '../../../toolkit/src/salesforce-schema/model.ts';

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

/**
 * A stored record: field API names (as declared in the schema) to JSON values. Dates are
 * `YYYY-MM-DD` strings, datetimes ISO-8601 UTC strings with milliseconds and `+0000`
 * (`2026-11-29T03:00:00.000+0000`), as the REST API returns them.
 */
export type SfRecord = Record<string, unknown> & { Id: string };

/** Who is acting: owner and CreatedById/LastModifiedById of what they write. */
export interface Principal {
  userId: string;
  username: string;
  organizationId: string;
}

/** One error in Salesforce's REST error shape (the body is an array of these). */
export interface ApiErrorItem {
  message: string;
  errorCode: string;
  fields?: string[];
}

/**
 * An error the emulator answers with. `toBody()` is Salesforce's shape:
 * `[{"message": "...", "errorCode": "INVALID_FIELD", "fields": [...]}]`.
 */
export class SalesforceApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly errorCode: string,
    message: string,
    /**
     * Fields the error is about. Record-save errors carry the key even when empty
     * (`"fields": []`), query and session errors have none: pass undefined to omit it.
     */
    readonly fields?: string[]
  ) {
    super(message);
    this.name = 'SalesforceApiError';
  }

  toBody(): ApiErrorItem[] {
    return [
      this.fields !== undefined
        ? { message: this.message, errorCode: this.errorCode, fields: this.fields }
        : { message: this.message, errorCode: this.errorCode }
    ];
  }
}

export interface UpsertResult {
  id: string;
  created: boolean;
}

export interface RecordStore {
  /** Validates against the schema, assigns an 18-char id, system fields, defaults, auto-numbers. */
  insert(objectName: string, fields: Record<string, unknown>, by: Principal): SfRecord;
  update(objectName: string, id: string, fields: Record<string, unknown>, by: Principal): SfRecord;
  /** Upsert on an external-id (or Id) field; MULTIPLE_CHOICES (300) when the key matches several. */
  upsert(
    objectName: string,
    keyField: string,
    keyValue: string,
    fields: Record<string, unknown>,
    by: Principal
  ): UpsertResult;
  delete(objectName: string, id: string, by: Principal): void;
  /**
   * Sets fields of a live record as the platform does on its own, without validation or audit
   * fields (a multipart file's size and checksum, known only once its bytes are stored).
   */
  patchAsSystem(objectName: string, id: string, changes: Record<string, unknown>): void;
  get(objectName: string, id: string): SfRecord | undefined;
  /** Any object, by id prefix. */
  getById(id: string): { object: SObjectDescribe; record: SfRecord } | undefined;
  /**
   * Every live record of an object, in insertion order, including rows of generated datasets
   * (produced lazily: a million-row dataset costs no memory until read). With `includeDeleted`
   * also the recycle bin (for queryAll), with `IsDeleted = true`.
   */
  scan(objectName: string, options?: ScanOptions): Iterable<SfRecord>;
  /** How many records `scan` with the same options yields (without building generated rows). */
  count(objectName: string, options?: ScanOptions): number;
  /**
   * Registers `count` synthetic records produced on demand by `make(index)` (index 0..count-1),
   * with deterministic ids that increase with the index. Used by tests and benchmarks for
   * volumes that must not sit in memory.
   */
  addGeneratedDataset(
    objectName: string,
    count: number,
    make: (index: number) => Record<string, unknown>,
    options?: GeneratedDatasetOptions
  ): void;
  /** Called after every successful insert (e.g. platform events go to the event bus). */
  onInsert(listener: (object: SObjectDescribe, record: SfRecord) => void): void;
  reset(): void;
  /** Writes / reads all stored (not generated) records, for the optional persistence. */
  snapshot(): Record<string, SfRecord[]>;
  restore(data: Record<string, SfRecord[]>): void;
}

/** One end of a range: its value and whether the value itself is inside. */
export interface RangeBound<T> {
  value: T;
  inclusive: boolean;
}

/** A range with optional ends (none: everything). */
export interface ValueRange<T> {
  low?: RangeBound<T>;
  high?: RangeBound<T>;
}

/**
 * What a scan reads. The ranges restrict it to records whose Id (canonical 18-character form,
 * compared as Salesforce orders ids) and SystemModstamp (epoch ms) lie inside them, so a query
 * with `Id >= ... AND Id < ...` reads only its chunk: a generated dataset turns the ranges into
 * a range of row indexes instead of walking every row. `order` yields records by Id.
 */
export interface ScanOptions {
  includeDeleted?: boolean;
  /** Skips the first `fromIndex` records the scan would yield. */
  fromIndex?: number;
  idRange?: ValueRange<string>;
  modstampRange?: ValueRange<number>;
  order?: 'idAsc' | 'idDesc';
}

/** How a generated dataset's rows are stamped. */
export interface GeneratedDatasetOptions {
  /**
   * Spreads CreatedDate, LastModifiedDate and SystemModstamp over [from, to], non-decreasing
   * with the row index (row 0 at `from`, the last row at `to`), so a SystemModstamp watermark
   * selects a subset and is answered from the index range. Without it every row carries the
   * registration time (or whatever `make` sets, which is then filtered row by row).
   */
  modstamps?: { from: Date; to: Date };
  /**
   * The row index whose `field` may hold `value` (verified against the row), so an upsert or
   * look-up by external id finds a generated row without scanning the dataset. Without it such
   * a look-up walks the dataset's rows.
   */
  rowOfKey?: (field: string, value: string) => number | undefined;
}

// ---------------------------------------------------------------------------------------------
// SOQL
// ---------------------------------------------------------------------------------------------

export interface QueryOptions {
  /** queryAll: include deleted records. */
  includeDeleted?: boolean;
  /** API version for `attributes.url` (`/services/data/v65.0/sobjects/...`); default 65.0. */
  apiVersion?: string;
}

/** One element of a query's rows, as the `columns=true` metadata describes it. */
export interface QueryColumn {
  /** Its key in the row: a path (`Account.Name`), an alias, `expr0`, a relationship name. */
  name: string;
  /** As written, for aggregate columns: `COUNT(Id)`, `calendar_year(CreatedDate)`. */
  displayName: string;
  /** An aggregate query's computed value, or a parent-to-child sub-query. */
  aggregate: boolean;
  /** A sub-query: its object and its columns. */
  children?: { objectName: string; columns: QueryColumn[] };
}

/** A parsed, schema-resolved query, ready to run any number of times. */
export interface PreparedQuery {
  readonly objectName: string;
  /** Output columns in SELECT order, as API names (`Name`, `Account.Name`). */
  readonly columns: string[];
  /** The same with what `?columns=true` tells of them (aggregates, sub-queries). */
  readonly columnDetails: QueryColumn[];
  readonly hasOrderBy: boolean;
  readonly hasLimit: boolean;
  readonly isAggregate: boolean;
  /** `SELECT COUNT() FROM ...`: REST answers totalSize only, Bulk API 2.0 rejects it. */
  readonly isCountQuery: boolean;
  readonly limit?: number;
  readonly offset?: number;
  /**
   * Rows as REST returns them (`attributes` objects, nested parent records such as
   * `{ Account: { attributes, Name } }`), streamed. Callers page over the iterator.
   */
  run(options?: QueryOptions): Iterable<Record<string, unknown>>;
  /** Flat rows for Bulk API CSV: column name -> value (null for missing parents). */
  runFlat(options?: QueryOptions): Iterable<Record<string, unknown>>;
  /** COUNT(): the count; any other query: the number of rows it returns after OFFSET/LIMIT. */
  count(options?: QueryOptions): number;
}

export interface SoqlEngine {
  /**
   * Parses and resolves against the schema. Throws SalesforceApiError with the real error
   * codes: MALFORMED_QUERY (syntax), INVALID_FIELD (unknown field, with Salesforce's caret
   * message), INVALID_TYPE (unknown object).
   */
  prepare(soql: string): PreparedQuery;
}

// ---------------------------------------------------------------------------------------------
// Platform events
// ---------------------------------------------------------------------------------------------

export interface BusEvent {
  /** Monotonic per org; the Pub/Sub API sends it as 8 bytes big-endian. */
  replayId: bigint;
  topic: string;
  objectName: string;
  /** Field values of the event (custom fields plus CreatedDate, CreatedById, EventUuid). */
  payload: Record<string, unknown>;
  eventUuid: string;
  publishedAt: Date;
}

export interface EventBus {
  publish(objectName: string, payload: Record<string, unknown>): BusEvent;
  /** Events still retained, oldest first, with replayId > afterReplayId (or all). */
  retained(objectName: string, afterReplayId?: bigint): BusEvent[];
  /** The oldest retained replay id for a topic, or undefined when none retained. */
  earliestReplayId(objectName: string): bigint | undefined;
  latestReplayId(objectName: string): bigint | undefined;
  subscribe(objectName: string, listener: (event: BusEvent) => void): () => void;
  /** Drops events older than the retention window (runs on clock advance). */
  expire(): void;
  reset(): void;
}

// ---------------------------------------------------------------------------------------------
// Auth and accounting
// ---------------------------------------------------------------------------------------------

export interface Session {
  accessToken: string;
  principal: Principal;
  issuedAt: Date;
  expiresAt: Date;
}

export interface SessionStore {
  /** Issues a token for a user (by username) valid for the configured lifetime. */
  issue(username: string): Session;
  /** Undefined for unknown, revoked or expired tokens: answer 401 INVALID_SESSION_ID. */
  validate(accessToken: string): Session | undefined;
  revoke(accessToken: string): void;
  /** Expire every token now (tests exercise clients' refresh paths). */
  expireAll(): void;
  reset(): void;
}

/** Counts API calls as an org does: every authenticated REST/Bulk/Pub/Sub request counts. */
export interface ApiCallCounter {
  increment(kind: 'rest' | 'bulk' | 'pubsub'): void;
  total(): number;
  byKind(): Record<string, number>;
  /** Daily allocation reported by /limits (DailyApiRequests.Max). */
  readonly dailyMax: number;
  /** Other daily allocations the org consumes: Bulk API 2.0 query jobs, ingest batches. */
  addUsage(limit: DailyUsageLimit, amount?: number): void;
  usage(limit: DailyUsageLimit): number;
  reset(): void;
}

/** The /limits entries besides DailyApiRequests that API use consumes. */
export type DailyUsageLimit = 'DailyBulkV2QueryJobs' | 'DailyBulkApiBatches';

/** Emulated time: tests advance it to expire tokens and platform events. */
export interface Clock {
  now(): Date;
  advance(ms: number): void;
  /** Subscribe to advances (the bus expires events). */
  onAdvance(listener: () => void): void;
  reset(): void;
}

/** A connected app of the client-credentials flow and the user its tokens run as. */
export interface ClientCredentialsApp {
  clientId: string;
  clientSecret: string;
  /** The app's "Run As" user. */
  username: string;
}

export interface EmulatorConfig {
  /** SFDX project whose force-app metadata defines the custom schema. */
  projectDir: string;
  apiVersion: string;
  organizationId: string;
  /** Platform event retention, 72 h as in a real org. */
  eventRetentionMs: number;
  accessTokenLifetimeMs: number;
  dailyApiMax: number;
  /** OAuth client (connected app) the token endpoint accepts. */
  clientId: string;
  clientSecret: string;
  /**
   * The connected app's "Run As" user of the client-credentials flow (default: the integration
   * user, `integration@emulator.local`).
   */
  clientCredentialsUsername?: string;
  /**
   * Further connected apps that only do the client-credentials flow, each with its own "Run
   * As" user (default: the Finance export's app, running as `finance@emulator.local`, and the
   * property image migration's, running as `media@emulator.local`): one
   * service, one identity, one credential.
   */
  clientCredentialsApps?: ClientCredentialsApp[];
  /**
   * The connected app's callback URLs: the web-server flow's redirect_uri must be one of them
   * exactly (default: the sf CLI's `http://localhost:1717/OauthRedirect`).
   */
  oauthCallbackUrls?: string[];
  /**
   * Users who may approve the web-server flow (its `login_hint`; default: the integration user
   * only). The administrator is never one unless listed here.
   */
  oauthLoginUsers?: string[];
  /**
   * Turns off "Require Secret for Web Server Flow" and "Require Secret for Refresh Token Flow"
   * (on by default, as in a real connected app): code and refresh grants then need no
   * client_secret, and a code needs a PKCE challenge instead.
   */
  oauthPkceOnly?: boolean;
  /** PEM certificate JWT bearer assertions must be signed for. Undefined: JWT bearer disabled. */
  jwtCertificatePem?: string;
  /** Persist stored records to this JSON file (loaded at start, written on change). */
  persistPath?: string;
  /**
   * Organization-wide defaults (internal) that override the metadata's `<sharingModel>` and the
   * new-org defaults, by object API name, e.g. `{ Account: 'Private' }`: what an admin sets in
   * Setup > Sharing Settings (tests of code that must work under a Private model).
   */
  sharingModels?: Record<string, 'Private' | 'Read' | 'ReadWrite' | 'ReadWriteTransfer'>;
}

/** A user's rights on one object, profile and permission sets combined. */
export interface ObjectRights {
  create: boolean;
  read: boolean;
  edit: boolean;
  delete: boolean;
  viewAll: boolean;
  modifyAll: boolean;
}

/** Users' profiles and permission sets, and what they allow (see permissions/). */
export interface UserPermissions {
  assignment(userId: string): { profile: string; profileId: string; permissionSets: string[] };
  objectRights(principal: Principal, objectName: string): ObjectRights;
  /**
   * The context a user's API requests run in: their view of the schema (objects and fields
   * they can read, create/update flags narrowed), a store that enforces object permissions,
   * field-level security and record access, and SOQL over both. An administrator's is `ctx`.
   */
  contextFor(ctx: EmulatorContext, principal: Principal): EmulatorContext;
  /** Whether the user holds "Modify All Data" (sees and acts on everyone's Bulk jobs...). */
  modifyAllData(principal: Principal): boolean;
  reset(): void;
}

/** Everything the HTTP and gRPC surfaces share. */
export interface EmulatorContext {
  config: EmulatorConfig;
  schema: Schema;
  store: RecordStore;
  soql: SoqlEngine;
  bus: EventBus;
  sessions: SessionStore;
  apiCalls: ApiCallCounter;
  clock: Clock;
  /** The ready-made integration user (username `integration@emulator.local`). */
  integrationUser: Principal;
  /** The System Administrator (`admin@emulator.local`): the test driver's user. */
  adminUser: Principal;
  permissions: UserPermissions;
}
