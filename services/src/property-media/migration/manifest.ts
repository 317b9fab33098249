// The migration manifest: a CSV file with a header row and one image per line,
//
//   listing_number,source,sort_order,caption
//   L-000123,images/L-000123/front.jpg,1,Street view
//   L-000123,https://old-cms.example.com/img/991.jpg,2,
//
// `source` is a path relative to the manifest's folder or an http(s) URL; `sort_order` a whole
// number (empty: none); `caption` up to 255 characters. Each line is checked on its own: a bad
// line is reported with its line number and column and skipped, the other lines go ahead (one
// typo must not hold back a million images). Read as a stream, so a 10-million-line manifest
// never sits in memory.
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import { derivedImageKey, isListingNumber } from '../keys.ts';

const FORMULA_START = /^(?:[=+@\t\r]|-\S)/;

export const MANIFEST_COLUMNS = ['listing_number', 'source', 'sort_order', 'caption'] as const;

const CAPTION_MAX = 255;
const SOURCE_MAX = 2_048;
const SORT_MAX = 999_999;

export interface ManifestRow {
  /** 1-based line of the file (the header is line 1). */
  line: number;
  listingNumber: string;
  source: string;
  sortOrder: number | undefined;
  caption: string | undefined;
  storageKey: string;
}

export interface ManifestIssue {
  line: number;
  column: (typeof MANIFEST_COLUMNS)[number] | 'row';
  message: string;
}

/** The header is wrong: nothing of the file can be read safely. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

export function isUrlSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** One line's cells to a row, or the issues that keep it out. */
export function validateRow(
  line: number,
  cells: Record<string, string | undefined>
): ManifestRow | ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const listingNumber = (cells.listing_number ?? '').trim();
  const source = (cells.source ?? '').trim();
  const sortText = (cells.sort_order ?? '').trim();
  const caption = (cells.caption ?? '').trim();

  if (listingNumber === '') issues.push({ line, column: 'listing_number', message: 'is empty' });
  else if (!isListingNumber(listingNumber))
    issues.push({
      line,
      column: 'listing_number',
      message: `'${listingNumber.slice(0, 60)}' is not a listing number (1-40 letters, digits, '-' or '_')`
    });

  if (source === '') issues.push({ line, column: 'source', message: 'is empty' });
  else if (source.length > SOURCE_MAX)
    issues.push({ line, column: 'source', message: `is longer than ${SOURCE_MAX} characters` });
  else if (isUrlSource(source)) {
    try {
      new URL(source);
    } catch {
      issues.push({
        line,
        column: 'source',
        message: `'${source.slice(0, 80)}' is not a valid URL`
      });
    }
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source))
    issues.push({ line, column: 'source', message: 'only http(s) URLs and file paths are read' });
  else if (path.isAbsolute(source) || source.split(/[\\/]/).includes('..'))
    issues.push({
      line,
      column: 'source',
      message: 'must be a path inside the manifest folder (no absolute path, no ..)'
    });

  let sortOrder: number | undefined;
  if (sortText !== '') {
    if (!/^\d+$/.test(sortText) || Number(sortText) > SORT_MAX)
      issues.push({
        line,
        column: 'sort_order',
        message: `'${sortText.slice(0, 20)}' is not a whole number from 0 to ${SORT_MAX}`
      });
    else sortOrder = Number(sortText);
  }
  if (caption.length > CAPTION_MAX)
    issues.push({ line, column: 'caption', message: `is longer than ${CAPTION_MAX} characters` });
  // Captions reach reports, and reports reach spreadsheets: a caption a spreadsheet would run as
  // a formula is refused (CSV injection), not stored.
  if (FORMULA_START.test(caption))
    issues.push({
      line,
      column: 'caption',
      message:
        'starts like a spreadsheet formula (=, +, @, or - not followed by a space): reword it'
    });

  if (issues.length > 0) return issues;
  return {
    line,
    listingNumber,
    source,
    sortOrder,
    caption: caption === '' ? undefined : caption,
    storageKey: derivedImageKey(listingNumber, source)
  };
}

export type ManifestEntry = { row: ManifestRow } | { issues: ManifestIssue[] };

/**
 * The manifest's lines in order, each a row or its issues. A line repeating an earlier line's
 * listing and source (the same storage key) is an issue too: it names one image twice.
 * @throws ManifestError when the header lacks a column or the file is not CSV at all.
 */
export async function* readManifest(file: string): AsyncGenerator<ManifestEntry> {
  // relax_quotes: a stray quote inside a field (`He said "hi"`) is text, not the end of the
  // manifest; max_record_size: an unclosed quote cannot swallow the rest of a large file.
  const parser = parse({
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    info: true,
    max_record_size: 64 * 1024
  });
  // pipeline: a read error (no such file, a folder) fails the parser instead of hanging it.
  pipeline(createReadStream(file), parser, () => undefined);
  let header: string[] | undefined;
  const seen = new Map<string, number>();
  try {
    for await (const record of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      const line = record.info.lines;
      if (!header) {
        header = record.record.map((cell) => cell.trim().toLowerCase());
        const missing = MANIFEST_COLUMNS.filter(
          (column) => column !== 'caption' && column !== 'sort_order' && !header!.includes(column)
        );
        if (missing.length > 0)
          throw new ManifestError(
            `${file}: the header (line 1) lacks ${missing.join(', ')}; expected ${MANIFEST_COLUMNS.join(',')}`
          );
        continue;
      }
      if (record.record.length > header.length) {
        yield {
          issues: [
            {
              line,
              column: 'row',
              message: `has ${record.record.length} cells, the header ${header.length} (a caption with a comma needs quotes)`
            }
          ]
        };
        continue;
      }
      const cells: Record<string, string | undefined> = {};
      header.forEach((name, i) => (cells[name] = record.record[i]));
      const checked = validateRow(line, cells);
      if (Array.isArray(checked)) {
        yield { issues: checked };
        continue;
      }
      const first = seen.get(checked.storageKey);
      if (first !== undefined) {
        yield {
          issues: [
            { line, column: 'source', message: `repeats line ${first} (same listing and source)` }
          ]
        };
        continue;
      }
      seen.set(checked.storageKey, line);
      yield { row: checked };
    }
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new ManifestError(`${file}: no such file`);
    if (code === 'EISDIR') throw new ManifestError(`${file}: a folder, not a manifest`);
    if (code?.startsWith('CSV_') || (error as Error).name === 'CsvError')
      throw new ManifestError(`${file}: not readable as CSV: ${(error as Error).message}`);
    throw error;
  }
  if (!header)
    throw new ManifestError(`${file}: empty (expected a header ${MANIFEST_COLUMNS.join(',')})`);
}
