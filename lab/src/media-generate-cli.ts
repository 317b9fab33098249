// `npm run media:generate`: a synthetic migration manifest and its JPEG images (any count, about
// any size, the same bytes for the same seed), for trying `npm run media:migrate` and for the
// property-media benchmark.
import path from 'node:path';
import {
  intInRange,
  parseCommandLine,
  stringValue,
  UsageError,
  type CommandSpec
} from '../../toolkit/src/cli/args.ts';
import { runMain } from '../../toolkit/src/cli/main.ts';
import { generateImages } from '../../services/src/property-media/migration/generate.ts';

export const MEDIA_GENERATE_CLI: CommandSpec = {
  usage: 'npm run media:generate --',
  summary:
    'Writes <out>/manifest.csv and <out>/images/<listing>/NNN.jpg: noisy gradient JPEGs of about --bytes each, spread over --listings listings, deterministic from --seed.',
  options: {
    out: {
      type: 'string',
      valueName: 'dir',
      defaultText: '.data/media-demo',
      description: 'Folder to write.'
    },
    count: { type: 'string', valueName: 'n', defaultText: '100', description: 'Images.' },
    bytes: {
      type: 'string',
      valueName: 'n',
      defaultText: '1000000',
      description: 'Target size of each image in bytes (within a few percent).'
    },
    listings: {
      type: 'string',
      valueName: 'n',
      defaultText: 'count / 20',
      description: 'Listings.'
    },
    seed: { type: 'string', valueName: 'text', defaultText: 'demo', description: 'Seed.' }
  },
  examples: ['npm run media:generate -- --count 2000 --bytes 50000 --out .data/media-bench']
};

await runMain(async (argv) => {
  const parsed = parseCommandLine(MEDIA_GENERATE_CLI, argv);
  if (parsed.help) {
    process.stdout.write(`${parsed.text}\n`);
    return 0;
  }
  const number = (name: string, fallback: number, min: number, max: number) => {
    const text = stringValue(parsed.values, name);
    return text === undefined ? fallback : intInRange(name, text, min, max);
  };
  const count = number('count', 100, 1, 10_000_000);
  const bytes = number('bytes', 1_000_000, 200, 100 * 1024 * 1024);
  const listings = number('listings', Math.max(1, Math.ceil(count / 20)), 1, 10_000_000);
  const dir = path.resolve(stringValue(parsed.values, 'out') ?? '.data/media-demo');
  if (listings > count) throw new UsageError('--listings cannot exceed --count.');
  const started = performance.now();
  const set = await generateImages({
    dir,
    count,
    bytes,
    listings,
    seed: stringValue(parsed.values, 'seed') ?? 'demo',
    onImage: (n) => {
      if (n % 500 === 0) process.stdout.write(`${n}/${count} images\n`);
    }
  });
  process.stdout.write(
    `${set.manifest}: ${count} images over ${set.listings.length} listings, ${(set.totalBytes / 1_000_000).toFixed(1)} MB, in ${((performance.now() - started) / 1000).toFixed(1)} s\n`
  );
  return 0;
});
