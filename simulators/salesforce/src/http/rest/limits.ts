/**
 * `GET limits`: the org's allocations as `{Name: {Max, Remaining}}`. DailyApiRequests comes from
 * the emulator's API-call counter (this request included, as in an org); the other entries
 * carry a Developer Edition org's allocations so clients that read them find them.
 */
import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../../model.ts';

const STATIC_LIMITS: Record<string, number> = {
  ActiveScratchOrgs: 3,
  AnalyticsExternalDataSizeMB: 40960,
  ConcurrentAsyncGetReportInstances: 200,
  ConcurrentSyncReportRuns: 20,
  DailyAsyncApexExecutions: 250000,
  DailyAsyncApexTests: 500,
  DailyBulkApiBatches: 15000,
  DailyBulkV2QueryFileStorageMB: 976562,
  DailyBulkV2QueryJobs: 10000,
  DailyDeliveredPlatformEvents: 10000,
  DailyDurableGenericStreamingApiEvents: 10000,
  DailyDurableStreamingApiEvents: 10000,
  DailyFunctionsApiCallLimit: 235000,
  DailyGenericStreamingApiEvents: 10000,
  DailyScratchOrgs: 6,
  DailyStandardVolumePlatformEvents: 10000,
  DailyStreamingApiEvents: 10000,
  DailyWorkflowEmails: 15,
  DataStorageMB: 5,
  DurableStreamingApiConcurrentClients: 20,
  FileStorageMB: 20,
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
  MassEmail: 10,
  MonthlyPlatformEventsUsageEntitlement: 0,
  Package2VersionCreates: 6,
  Package2VersionCreatesWithoutValidation: 500,
  PermissionSets: 1500,
  PrivateConnectOutboundCalloutHourlyLimitMB: 0,
  PublishCallbackUsageInApex: 5000000,
  SingleEmail: 15,
  StreamingApiConcurrentClients: 20
};

export function limitsBody(
  ctx: EmulatorContext
): Record<string, { Max: number; Remaining: number }> {
  const body: Record<string, { Max: number; Remaining: number }> = {};
  const dailyMax = ctx.apiCalls.dailyMax;
  const entries: Array<[string, number, number]> = [
    ['DailyApiRequests', dailyMax, Math.max(0, dailyMax - ctx.apiCalls.total())],
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
