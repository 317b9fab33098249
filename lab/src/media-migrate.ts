// `npm run media:migrate -- <manifest>`: the property image migration (docs/property-media.md):
// uploads the manifest's images to the media storage and upserts their Property_Image__c
// records (the transfer phase), then makes their thumbnails and sets Thumbnail_Key__c (the
// thumbnail phase, CPU-bound, with its own concurrency; --no-thumbnails leaves it to a later run,
// --thumbnails-only runs only it), with a progress bar on a terminal and the run's report at the
// end (--json: as JSON). Run it again at any time: it uploads nothing already uploaded, records
// nothing twice, makes no thumbnail twice, and resumes a run that was killed.
//
// Against the org in SF_INSTANCE_URL as the migration's own user (MEDIA_SF_CLIENT_ID / _SECRET,
// its connected app; else SF_* holds that user's credentials), progress in DATABASE_URL, images
// into the storage of the media configuration (MEDIA_STORAGE). Unset (outside production): an org
// emulator in this process with a demo Property__c for every listing the manifest names, the
// embedded PostgreSQL and the embedded storage, so the command shows the whole flow on a fresh
// machine; the stand-in org keeps its records in a file (--demo-org) as the progress database and
// the storage keep theirs, so a later run (a resumed one, --thumbnails-only) finds the records
// the earlier runs made.
//
// Exit codes: 0 every image of the manifest uploaded and recorded; 1 some are not (bad lines,
// refused or failing images, refused records: the report says which; run again to retry) or an
// unexpected error; 2 bad usage, configuration or an unreadable manifest (nothing was done);
// 4 the kill switch is off; 5 interrupted (run again to resume).
import path from 'node:path';
import type { Writable } from 'node:stream';
import {
  MEDIA_CLIENT_ID,
  MEDIA_CLIENT_SECRET,
  startSalesforceEmulator,
  type RunningEmulator
} from '../../simulators/salesforce/src/emulator.ts';
import {
  booleanValue,
  intInRange,
  parseCommandLine,
  stringValue,
  UsageError,
  type CommandSpec
} from '../../toolkit/src/cli/args.ts';
import { ConfigError, loadConfigs } from '../../toolkit/src/env.ts';
import { projectRoot } from '../../toolkit/src/project.ts';
import { mediaConfig } from '../../services/src/property-media/config.ts';
import { openStorage, type OpenedStorage } from '../../services/src/property-media/open-storage.ts';
import { migrationConfig } from '../../services/src/property-media/migration/config.ts';
import {
  ManifestError,
  readManifest
} from '../../services/src/property-media/migration/manifest.ts';
import { createMigrationProgress } from '../../services/src/property-media/migration/progress-bar.ts';
import {
  describeReport,
  MigrationSwitchedOffError,
  runMigration
} from '../../services/src/property-media/migration/run-migration.ts';
import {
  MigrationSalesforceConfigError,
  migrationSalesforceClients
} from '../../services/src/property-media/migration/salesforce.ts';
import {
  platformConfig,
  SalesforceError,
  startPlatform,
  type Platform,
  type SalesforceClients
} from '../../services/src/platform/index.ts';

/** The demo's embedded PostgreSQL (progress) and, beside it, its stand-in org's records. */
const DEMO_DATABASE_DIR = '.data/media-migrate-demo';
const DEFAULT_DEMO_ORG = `${DEMO_DATABASE_DIR}-org.json`;

export const MEDIA_MIGRATE_CLI: CommandSpec = {
  usage: 'npm run media:migrate -- <manifest.csv>',
  summary:
    'Uploads the images a manifest names (CSV: listing_number, source, sort_order, caption) to the media storage and upserts their Property_Image__c records with Bulk API 2.0 (the transfer phase), then makes their 480 px WebP thumbnails and sets Thumbnail_Key__c (the thumbnail phase); resumes where the last run stopped. Configuration: environment variables (docs/property-media.md); without SF_INSTANCE_URL an org emulator with a demo property per listing stands in.',
  options: {
    concurrency: {
      type: 'string',
      valueName: 'n',
      defaultText: 'MEDIA_MIGRATE_CONCURRENCY (8)',
      description: 'Images uploaded at once.'
    },
    json: { type: 'boolean', description: 'Print the final report as JSON (no progress bar).' },
    'retry-failed': {
      type: 'boolean',
      description:
        'First give refused images and images out of attempts a fresh start (after fixing the cause).'
    },
    'thumbnail-concurrency': {
      type: 'string',
      valueName: 'n',
      defaultText: 'the CPU count',
      description: 'Thumbnails made at once (CPU-bound: about one per core).'
    },
    'no-thumbnails': {
      type: 'boolean',
      description:
        'Skip the thumbnail phase; a later run without this option makes the missing thumbnails.'
    },
    'thumbnails-only': {
      type: 'boolean',
      description:
        'Only the thumbnail phase (for instance on machines sized for CPU, while others transfer).'
    },
    'demo-org': {
      type: 'string',
      valueName: 'file',
      defaultText: DEFAULT_DEMO_ORG,
      description:
        "Without SF_INSTANCE_URL: where the stand-in org keeps its records between runs (delete it with the demo's progress and storage to start over)."
    }
  },
  examples: [
    'npm run media:migrate -- ./export/manifest.csv',
    'npm run media:migrate -- ./export/manifest.csv --concurrency 32 --json',
    'npm run media:generate -- --count 200 --bytes 2000000 --out .data/media-demo && npm run media:migrate -- .data/media-demo/manifest.csv'
  ],
  notes: [
    'Exit codes: 0 everything uploaded and recorded; 1 some images not (the report says why; run again to retry); 2 usage, configuration or manifest refused before any work; 4 switched off (Integration_Setting__mdt PropertyMedia); 5 interrupted (run again to resume).'
  ]
};

export const EXIT = { ok: 0, incomplete: 1, refused: 2, off: 4, interrupted: 5 } as const;

export interface MediaMigrateIo {
  env?: Record<string, string | undefined>;
  stdout?: Writable & { isTTY?: boolean };
  stderr?: Writable;
  signal?: AbortSignal;
}

/** The manifest is the one positional argument; the rest are options. */
function splitArguments(argv: readonly string[]): { manifest: string | undefined; rest: string[] } {
  const rest: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('-')) {
      rest.push(arg);
      const option = MEDIA_MIGRATE_CLI.options[arg.replace(/^--?/, '')];
      if (option?.type === 'string' && !arg.includes('=') && i + 1 < argv.length)
        rest.push(argv[++i]!);
    } else positional.push(arg);
  }
  if (positional.length > 1)
    throw new UsageError(`Give one manifest; got ${positional.length} (${positional.join(', ')}).`);
  return { manifest: positional[0], rest };
}

/**
 * A stand-in org: the shipped metadata, the records earlier runs left in `persistPath`, and a
 * Property__c for every listing of the manifest it does not have yet.
 */
async function standInOrg(manifest: string, persistPath: string): Promise<RunningEmulator> {
  const listings = new Set<string>();
  for await (const entry of readManifest(manifest))
    if ('row' in entry) listings.add(entry.row.listingNumber);
  const emulator = await startSalesforceEmulator({
    projectDir: projectRoot(),
    httpPort: 0,
    grpcPort: 0,
    config: { persistPath }
  });
  const { store, adminUser } = emulator.ctx;
  for (const property of store.scan('Property__c'))
    listings.delete(String(property.Listing_Number__c));
  for (const listing of listings)
    store.insert(
      'Property__c',
      { Name: `Demo property ${listing}`, Listing_Number__c: listing, Status__c: 'Active' },
      adminUser
    );
  return emulator;
}

export async function mediaMigrateCommand(
  argv: readonly string[],
  io: MediaMigrateIo = {}
): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const say = (text: string) => stdout.write(`${text}\n`);
  const { manifest, rest } = splitArguments(argv);
  const parsed = parseCommandLine(MEDIA_MIGRATE_CLI, rest);
  if (parsed.help) {
    say(parsed.text);
    return EXIT.ok;
  }
  if (!manifest) throw new UsageError('Give the manifest (a CSV file) to migrate.');
  const json = booleanValue(parsed.values, 'json');
  const concurrencyText = stringValue(parsed.values, 'concurrency');
  const env = { ...(io.env ?? process.env) };
  env.LOG_LEVEL ??= 'warn';
  // The migration needs no port of its own; the embedded storage takes any free one.
  env.MEDIA_EMBEDDED_PORT ??= '0';

  let emulator: RunningEmulator | undefined;
  let platform: Platform | undefined;
  let storage: OpenedStorage | undefined;
  let salesforce: SalesforceClients | undefined;
  try {
    const production = env.NODE_ENV?.trim() === 'production';
    if (!production && !env.SF_INSTANCE_URL?.trim()) {
      try {
        emulator = await standInOrg(
          manifest,
          path.resolve(projectRoot(), stringValue(parsed.values, 'demo-org') ?? DEFAULT_DEMO_ORG)
        );
      } catch (error) {
        if (error instanceof ManifestError) {
          stderr.write(`${error.message}\n`);
          return EXIT.refused;
        }
        throw error;
      }
      env.SF_INSTANCE_URL = emulator.instanceUrl;
      // The stand-in org's migration app: the run is media@emulator.local, who holds exactly
      // Property_Media_Migration, as it would in an org.
      env.SF_CLIENT_ID = MEDIA_CLIENT_ID;
      env.SF_CLIENT_SECRET = MEDIA_CLIENT_SECRET;
      delete env.MEDIA_SF_CLIENT_ID;
      delete env.MEDIA_SF_CLIENT_SECRET;
      if (!env.DATABASE_URL?.trim()) {
        env.EMBEDDED_PG_DIR ??= path.join(projectRoot(), DEMO_DATABASE_DIR);
        env.EMBEDDED_PG_PORT ??= '0';
      }
      if (!json)
        say(
          'No SF_INSTANCE_URL: recording into an org emulator in this process with a demo property per listing of the manifest.'
        );
    }
    let configs: [
      ReturnType<typeof platformConfig.load>,
      ReturnType<typeof mediaConfig.load>,
      ReturnType<typeof migrationConfig.load>
    ];
    try {
      configs = loadConfigs(env, [platformConfig, mediaConfig, migrationConfig]) as typeof configs;
    } catch (error) {
      if (error instanceof ConfigError) {
        stderr.write(`${error.message}\n`);
        return EXIT.refused;
      }
      throw error;
    }
    const [platformSettings, media, migration] = configs;
    const concurrency =
      concurrencyText === undefined
        ? migration.concurrency
        : intInRange('concurrency', concurrencyText, 1, 256);
    const thumbnailConcurrencyText = stringValue(parsed.values, 'thumbnail-concurrency');
    const thumbnailConcurrency =
      thumbnailConcurrencyText === undefined
        ? undefined
        : intInRange('thumbnail-concurrency', thumbnailConcurrencyText, 1, 256);
    const noThumbnails = booleanValue(parsed.values, 'no-thumbnails');
    const thumbnailsOnly = booleanValue(parsed.values, 'thumbnails-only');
    if (noThumbnails && thumbnailsOnly)
      throw new UsageError('--no-thumbnails and --thumbnails-only exclude each other.');

    platform = await startPlatform(platformSettings, {
      name: 'media-migrate',
      services: [],
      http: false,
      queue: false
    });
    const logger = platform.logger.child({ component: 'media-migrate' });
    try {
      salesforce = migrationSalesforceClients(
        migration,
        platformSettings.salesforce,
        logger.child({ component: 'salesforce' })
      );
    } catch (error) {
      if (error instanceof MigrationSalesforceConfigError) {
        stderr.write(`${error.message}\n`);
        return EXIT.refused;
      }
      throw error;
    }
    storage = await openStorage(media.storage, { maxSockets: concurrency * 2 });
    try {
      const report = await runMigration({
        pool: platform.database.pool,
        storage,
        salesforce,
        manifest,
        settings: {
          concurrency,
          multipartBytes: migration.multipartBytes,
          maxBytes: media.limits.maxBytes,
          maxAttempts: migration.maxAttempts,
          recordsPerJob: migration.recordsPerJob,
          thumbnails: !noThumbnails,
          transfer: !thumbnailsOnly,
          ...(thumbnailConcurrency === undefined ? {} : { thumbnailConcurrency }),
          retryFailed: booleanValue(parsed.values, 'retry-failed')
        },
        logger,
        ...(json ? {} : { progress: createMigrationProgress(stdout) }),
        ...(io.signal ? { signal: io.signal } : {})
      });
      say(json ? JSON.stringify(report) : describeReport(report));
      const clean =
        report.outcome === 'completed' && report.manifestIssues.length === 0 && report.failed === 0;
      return clean ? EXIT.ok : EXIT.incomplete;
    } catch (error) {
      if (error instanceof ManifestError) {
        stderr.write(`${error.message}\n`);
        return EXIT.refused;
      }
      if (error instanceof MigrationSwitchedOffError) {
        stderr.write(`${error.message}\n`);
        return EXIT.off;
      }
      if (io.signal?.aborted) {
        stderr.write('Interrupted: progress is kept; run the migration again to resume it.\n');
        return EXIT.interrupted;
      }
      if (error instanceof SalesforceError) {
        stderr.write(`Salesforce: ${error.message}\n`);
        return EXIT.incomplete;
      }
      throw error;
    }
  } finally {
    salesforce?.close();
    await storage?.close();
    await platform?.stop();
    await emulator?.close();
  }
}
