/**
 * `GET limits`: the org's allocations as `{Name: {Max, Remaining}}`, those of an Enterprise
 * Edition org (the Organization record says so) with its base allocations and no per-license
 * additions. What API use consumes moves: DailyApiRequests (this request included, as in an
 * org), DailyBulkV2QueryJobs (jobs created), DailyBulkApiBatches (one per 10,000 ingested
 * records), DataStorageMB (2 KB per record, recycle bin included, as Salesforce counts most
 * records) and FileStorageMB (file and attachment bytes); used megabytes are rounded up. The
 * other entries are static so clients that read them find them.
 */
import type { FastifyInstance } from 'fastify';
import type { DailyUsageLimit, EmulatorContext } from '../../model.ts';

/** Enterprise Edition base storage: 10 GB of data and 10 GB of files. */
const DATA_STORAGE_MB = 10_240;
const FILE_STORAGE_MB = 10_240;
const MB = 1024 * 1024;
/** "Most records are stored as 2 KB" (Salesforce Help, Data and File Storage Allocations). */
const RECORD_BYTES = 2048;

/** Objects whose records use file storage or are setup data, not data storage. */
const NOT_DATA_STORAGE = new Set([
  'ContentVersion',
  'ContentDocument',
  'ContentDocumentLink',
  'Attachment',
  'Document',
  'User',
  'Organization',
  'RecordType',
  'Group',
  'Profile',
  'PermissionSet',
  'PermissionSetAssignment'
]);

function dataStorageUsedMb(ctx: EmulatorContext): number {
  let records = 0;
  for (const object of ctx.schema.objects()) {
    if (object.kind === 'platformEvent' || object.kind === 'customMetadata') continue;
    if (NOT_DATA_STORAGE.has(object.name)) continue;
    records += ctx.store.count(object.name, { includeDeleted: true });
  }
  return Math.ceil((records * RECORD_BYTES) / MB);
}

function fileStorageUsedMb(ctx: EmulatorContext): number {
  let bytes = 0;
  const sizes: Array<[string, string]> = [
    ['ContentVersion', 'ContentSize'],
    ['Attachment', 'BodyLength']
  ];
  for (const [objectName, sizeField] of sizes) {
    if (!ctx.schema.getObject(objectName)) continue;
    for (const record of ctx.store.scan(objectName, { includeDeleted: true })) {
      const size = record[sizeField];
      if (typeof size === 'number') bytes += size;
    }
  }
  return Math.ceil(bytes / MB);
}

/** Allocations whose use is counted per day by the API-call counter. */
const DAILY_USAGE: Record<DailyUsageLimit, number> = {
  DailyBulkApiBatches: 15_000,
  DailyBulkV2QueryJobs: 10_000
};

const STATIC_LIMITS: Record<string, number> = {
  ActiveScratchOrgs: 40,
  AnalyticsExternalDataSizeMB: 40960,
  ConcurrentAsyncGetReportInstances: 200,
  ConcurrentSyncReportRuns: 20,
  DailyAsyncApexExecutions: 250000,
  DailyAsyncApexTests: 500,
  DailyBulkV2QueryFileStorageMB: 976562,
  DailyDeliveredPlatformEvents: 10000,
  DailyDurableGenericStreamingApiEvents: 10000,
  DailyDurableStreamingApiEvents: 10000,
  DailyFunctionsApiCallLimit: 235000,
  DailyGenericStreamingApiEvents: 10000,
  DailyScratchOrgs: 80,
  DailyStandardVolumePlatformEvents: 10000,
  DailyStreamingApiEvents: 10000,
  DailyWorkflowEmails: 1000,
  DurableStreamingApiConcurrentClients: 20,
  HourlyAsyncReportRuns: 1200,
  HourlyDashboardRefreshes: 200,
  HourlyDashboardResults: 5000,
  HourlyDashboardStatuses: 999999999,
  HourlyLongTermIdMapping: 100000,
  HourlyManagedContentPublicRequests: 50000,
  HourlyODataCallout: 10000,
  HourlyPublishedPlatformEvents: 50000,
  HourlyPublishedStandardVolumePlatformEvents: 1000,
  HourlyShortTermIdMapping: 100000,
  HourlySyncReportRuns: 500,
  HourlyTimeBasedWorkflow: 50,
  MassEmail: 5000,
  MonthlyPlatformEventsUsageEntitlement: 0,
  Package2VersionCreates: 6,
  Package2VersionCreatesWithoutValidation: 500,
  PermissionSets: 1500,
  PrivateConnectOutboundCalloutHourlyLimitMB: 0,
  PublishCallbackUsageInApex: 5000000,
  SingleEmail: 5000,
  StreamingApiConcurrentClients: 20
};

export function limitsBody(
  ctx: EmulatorContext
): Record<string, { Max: number; Remaining: number }> {
  const body: Record<string, { Max: number; Remaining: number }> = {};
  const dailyMax = ctx.apiCalls.dailyMax;
  const remaining = (max: number, used: number): [number, number] => [max, Math.max(0, max - used)];
  const entries: Array<[string, number, number]> = [
    ['DailyApiRequests', ...remaining(dailyMax, ctx.apiCalls.total())],
    ...Object.entries(DAILY_USAGE).map(([name, max]): [string, number, number] => [
      name,
      ...remaining(max, ctx.apiCalls.usage(name as DailyUsageLimit))
    ]),
    ['DataStorageMB', ...remaining(DATA_STORAGE_MB, dataStorageUsedMb(ctx))],
    ['FileStorageMB', ...remaining(FILE_STORAGE_MB, fileStorageUsedMb(ctx))],
    ...Object.entries(STATIC_LIMITS).map(([name, max]): [string, number, number] => [
      name,
      max,
      max
    ])
  ];
  entries.sort(([a], [b]) => a.localeCompare(b));
  for (const [name, max, remaining] of entries) body[name] = { Max: max, Remaining: remaining };
  return body;
}

export async function limitsRoutes(
  app: FastifyInstance,
  options: { ctx: EmulatorContext }
): Promise<void> {
  app.get('/limits', async () => limitsBody(options.ctx));
}
