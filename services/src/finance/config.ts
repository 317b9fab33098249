// Configuration of the Finance export (Scenario 5): the mapping it reads, the nightly schedule,
// and how it splits and pages the Bulk API 2.0 query (docs/finance.md shows this table;
// `npm run docs:config` writes it).
import path from 'node:path';
import {
  boolean,
  defineConfig,
  integer,
  optional,
  text,
  withDefault
} from '../../../toolkit/src/env.ts';
import { projectRoot } from '../../../toolkit/src/project.ts';
import type { ExportSettings } from './export-job.ts';
import { isTimeZone, parseDailyTime, type DailyTime } from './schedule.ts';

/** The shipped mapping: the static resource the Apex contract test reads too. */
export const DEFAULT_MAPPING_FILE =
  'force-app/main/finance/staticresources/FinanceExportMapping.json';

/** Bulk API 1.0 PK chunking's largest chunk; the default is its default (100,000). */
export const MAX_CHUNK_SIZE = 250_000;

export const financeConfig = defineConfig({
  name: 'finance',
  subject: 'finance export',
  docs: 'docs/finance.md',
  variables: {
    FINANCE_MAPPING_FILE: withDefault(text(), DEFAULT_MAPPING_FILE, {
      description:
        'The field mapping (query, Finance table, column per field): JSON, see docs/finance.md. The default is the shipped static resource, relative to the repository root; a value you set is relative to the working directory.'
    }),
    FINANCE_SCHEDULE_ENABLED: withDefault(boolean(), 'true', {
      description:
        '`npm run service:finance` (and `npm start`) run the export every night at FINANCE_SCHEDULE_TIME. `false`: only `npm run finance:export` runs it.'
    }),
    FINANCE_SCHEDULE_TIME: withDefault(
      text({ pattern: /^([01]\d|2[0-3]):[0-5]\d$/, patternMessage: 'must be HH:MM (00:00-23:59)' }),
      '02:00',
      { description: 'Local time of day of the nightly run, in FINANCE_SCHEDULE_TIME_ZONE.' }
    ),
    FINANCE_SCHEDULE_TIME_ZONE: withDefault(text(), 'UTC', {
      description:
        'IANA time zone of FINANCE_SCHEDULE_TIME (`Europe/London`): the run follows daylight saving. A night missed while the service was down is caught up when it starts (one run covers every missed night).'
    }),
    FINANCE_RETRY_MINUTES: withDefault(integer(1, 24 * 60), '30', {
      description:
        'After a night that failed or was switched off, the schedule tries again this many minutes later (until the next night).'
    }),
    FINANCE_CHUNK_SIZE: withDefault(integer(1, MAX_CHUNK_SIZE), '100000', {
      description:
        'Most rows per Bulk API 2.0 query job: a larger export is split into Id ranges of about this many rows (the counterpart of PK chunking, whose default is 100,000 and maximum 250,000).'
    }),
    FINANCE_CONCURRENCY: withDefault(integer(1, 16), '4', {
      description:
        'Id-range jobs read at once (each holds a database connection while it loads a page).'
    }),
    FINANCE_PAGE_SIZE: withDefault(integer(1, 1_000_000), '50000', {
      description:
        'Rows per results page (`maxRecords`): one API call each. Salesforce may send fewer (its size limits); larger pages mean fewer calls and longer transactions.'
    }),
    FINANCE_GZIP: withDefault(boolean(), 'true', {
      description:
        'Ask for gzip-compressed results (`Accept-Encoding: gzip`, several times fewer bytes). Turn off only next to a local emulator.'
    }),
    FINANCE_WINDOW_LAG_SECONDS: withDefault(integer(0, 3_600), '120', {
      description:
        'A run exports changes up to this long before it starts, so transactions still committing (whose SystemModstamp is earlier than their commit) are in the next run rather than missed.'
    }),
    FINANCE_PAGE_RETRIES: withDefault(integer(0, 10), '3', {
      description:
        'Re-reads of one results page after a network failure or a body cut short (its load rolled back), before the run stops to be resumed.'
    }),
    FINANCE_SF_CLIENT_ID: optional(text(), {
      description:
        "Consumer key of the Finance export's own connected app, whose client-credentials flow runs as the export's API-only user (permission set `Finance_Export_Integration`). Set, the export logs in with it against `SF_INSTANCE_URL` instead of the platform's `SF_*` credentials, so it runs as its own user in a process that hosts other services (`npm start`). Unset, it uses the platform's credentials: give a dedicated `npm run service:finance` the Finance user's `SF_*`. Needs `FINANCE_SF_CLIENT_SECRET`."
    }),
    FINANCE_SF_CLIENT_SECRET: optional(text(), {
      secret: true,
      description:
        'Consumer secret of the Finance connected app (`FINANCE_SF_CLIENT_ID`). Needs `FINANCE_SF_CLIENT_ID`.'
    })
  },
  rules(values) {
    const issues = [];
    const zone = values.FINANCE_SCHEDULE_TIME_ZONE;
    if (zone !== undefined && !isTimeZone(zone))
      issues.push({
        variable: 'FINANCE_SCHEDULE_TIME_ZONE',
        message: `'${zone}' is not an IANA time zone (e.g. UTC, Europe/London, America/New_York)`
      });
    const id = values.FINANCE_SF_CLIENT_ID;
    const secret = values.FINANCE_SF_CLIENT_SECRET;
    if (id !== undefined && secret === undefined)
      issues.push({
        variable: 'FINANCE_SF_CLIENT_SECRET',
        message: 'is required when FINANCE_SF_CLIENT_ID is set'
      });
    if (secret !== undefined && id === undefined)
      issues.push({
        variable: 'FINANCE_SF_CLIENT_ID',
        message: 'is required when FINANCE_SF_CLIENT_SECRET is set'
      });
    return issues;
  },
  build: (v, context) => ({
    mappingFile:
      v.FINANCE_MAPPING_FILE === DEFAULT_MAPPING_FILE
        ? path.join(projectRoot(), DEFAULT_MAPPING_FILE)
        : path.resolve(v.FINANCE_MAPPING_FILE),
    schedule: {
      enabled: v.FINANCE_SCHEDULE_ENABLED,
      time: parseDailyTime(v.FINANCE_SCHEDULE_TIME),
      timeZone: v.FINANCE_SCHEDULE_TIME_ZONE,
      retryMs: v.FINANCE_RETRY_MINUTES * 60_000
    },
    export: {
      chunkSize: v.FINANCE_CHUNK_SIZE,
      concurrency: v.FINANCE_CONCURRENCY,
      pageSize: v.FINANCE_PAGE_SIZE,
      gzip: v.FINANCE_GZIP,
      lagMs: v.FINANCE_WINDOW_LAG_SECONDS * 1000,
      pageRetries: v.FINANCE_PAGE_RETRIES
    },
    salesforce:
      v.FINANCE_SF_CLIENT_ID && v.FINANCE_SF_CLIENT_SECRET
        ? { clientId: v.FINANCE_SF_CLIENT_ID, clientSecret: v.FINANCE_SF_CLIENT_SECRET }
        : undefined,
    production: context.production
  })
});

export interface FinanceConfig {
  mappingFile: string;
  schedule: { enabled: boolean; time: DailyTime; timeZone: string; retryMs: number };
  export: ExportSettings;
  /** The Finance connected app (FINANCE_SF_CLIENT_*), when the export logs in on its own. */
  salesforce?: { clientId: string; clientSecret: string };
  production: boolean;
}
