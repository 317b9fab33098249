/**
 * Reads the SFDX project's source-format metadata: every `objects/<Object>/` folder under the
 * package directories (in any slice, e.g. force-app/main/<slice>/objects/...), its optional
 * `<Object>.object-meta.xml`, `fields/*.field-meta.xml` and `recordTypes/*.recordType-meta.xml`,
 * global value sets, and custom metadata records. Folders for one object found in several slices are merged, as a deploy does.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';

/** One parsed XML element: child elements by name (repeated ones as arrays), text as string. */
export type XmlNode = { [key: string]: unknown };

export interface ObjectMetadata {
  name: string;
  /** The CustomObject element, when an object-meta.xml exists (standard objects often lack it). */
  object?: XmlNode;
  /** CustomField elements by field API name. */
  fields: Map<string, XmlNode>;
  /** RecordType elements by developer name. */
  recordTypes: Map<string, XmlNode>;
}

export interface CustomMetadataRecordSource {
  /** `Integration_Setting__mdt`. */
  objectName: string;
  /** `Default`. */
  developerName: string;
  record: XmlNode;
  file: string;
}

export interface ProjectMetadata {
  objects: Map<string, ObjectMetadata>;
  /** GlobalValueSet elements by name, for picklists with `<valueSetName>`. */
  globalValueSets: Map<string, XmlNode>;
  customMetadataRecords: CustomMetadataRecordSource[];
}

/** Elements (by their path's tail) that may repeat and must therefore always parse as arrays. */
const REPEATED = [
  'valueSetDefinition.value',
  'CustomMetadata.values',
  'GlobalValueSet.customValue',
  'picklist.picklistValues'
];

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, jpath) => REPEATED.some((tail) => String(jpath).endsWith(tail))
});

/** Folders never holding deployable metadata. */
export const SKIPPED_DIRS = new Set([
  'node_modules',
  '__tests__',
  'lwc',
  'aura',
  'staticresources'
]);

export function text(node: XmlNode | undefined, key: string): string | undefined {
  const value = node?.[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function flag(node: XmlNode | undefined, key: string): boolean {
  return text(node, key)?.toLowerCase() === 'true';
}

export function child(node: XmlNode | undefined, key: string): XmlNode | undefined {
  const value = node?.[key];
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as XmlNode)
    : undefined;
}

export function children(node: XmlNode | undefined, key: string): XmlNode[] {
  const value = node?.[key];
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (typeof item === 'object' && item !== null ? (item as XmlNode) : {}));
}

async function parseFile(file: string): Promise<XmlNode> {
  const xml = await readFile(file, 'utf8');
  try {
    return parser.parse(xml) as XmlNode;
  } catch (error) {
    throw new Error(`Cannot parse ${file}: ${(error as Error).message}`, { cause: error });
  }
}

export async function rootElement(file: string, element: string): Promise<XmlNode> {
  const root = child(await parseFile(file), element);
  if (root === undefined) throw new Error(`${file} has no <${element}> root element`);
  return root;
}

export async function listDir(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** The package directories named in sfdx-project.json, resolved against the project. */
export async function packageDirectories(projectDir: string): Promise<string[]> {
  const file = path.join(projectDir, 'sfdx-project.json');
  let project: unknown;
  try {
    project = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the SFDX project file ${file}: ${(error as Error).message}`, {
      cause: error
    });
  }
  const dirs = (project as { packageDirectories?: unknown }).packageDirectories;
  if (!Array.isArray(dirs) || dirs.length === 0) {
    throw new Error(`${file} lists no packageDirectories`);
  }
  return dirs.map((entry, i) => {
    const dirPath = (entry as { path?: unknown } | null)?.path;
    if (typeof dirPath !== 'string' || dirPath === '') {
      throw new Error(`${file}: packageDirectories[${i}].path must be a non-empty string`);
    }
    return path.resolve(projectDir, dirPath);
  });
}

async function readObjectFolder(dir: string, name: string, into: ObjectMetadata): Promise<void> {
  for (const entry of await listDir(dir)) {
    const file = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === `${name}.object-meta.xml`) {
      into.object = await rootElement(file, 'CustomObject');
    } else if (entry.isDirectory() && entry.name === 'recordTypes') {
      for (const typeEntry of await listDir(file)) {
        const match = /^(.+)\.recordType-meta\.xml$/.exec(typeEntry.name);
        if (!typeEntry.isFile() || !match?.[1]) continue;
        const recordType = await rootElement(path.join(file, typeEntry.name), 'RecordType');
        into.recordTypes.set(text(recordType, 'fullName') ?? match[1], recordType);
      }
    } else if (entry.isDirectory() && entry.name === 'fields') {
      for (const fieldEntry of await listDir(file)) {
        if (!fieldEntry.isFile() || !fieldEntry.name.endsWith('.field-meta.xml')) continue;
        const fieldFile = path.join(file, fieldEntry.name);
        const field = await rootElement(fieldFile, 'CustomField');
        const fieldName =
          text(field, 'fullName') ?? fieldEntry.name.replace(/\.field-meta\.xml$/, '');
        into.fields.set(fieldName, field);
      }
    }
  }
}

async function walk(dir: string, metadata: ProjectMetadata): Promise<void> {
  for (const entry of await listDir(dir)) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name))
      continue;
    const sub = path.join(dir, entry.name);
    if (entry.name === 'objects') {
      for (const objectEntry of await listDir(sub)) {
        if (!objectEntry.isDirectory()) continue;
        const name = objectEntry.name;
        const existing = metadata.objects.get(name) ?? {
          name,
          fields: new Map(),
          recordTypes: new Map()
        };
        metadata.objects.set(name, existing);
        await readObjectFolder(path.join(sub, name), name, existing);
      }
    } else if (entry.name === 'globalValueSets') {
      for (const file of await listDir(sub)) {
        const match = /^(.+)\.globalValueSet-meta\.xml$/.exec(file.name);
        if (!file.isFile() || !match?.[1]) continue;
        metadata.globalValueSets.set(
          match[1],
          await rootElement(path.join(sub, file.name), 'GlobalValueSet')
        );
      }
    } else if (entry.name === 'customMetadata') {
      for (const file of await listDir(sub)) {
        // <Type>.<DeveloperName>.md-meta.xml, Type without its __mdt suffix.
        const match = /^([^.]+)\.([^.]+)\.md-meta\.xml$/.exec(file.name);
        if (!file.isFile() || !match?.[1] || !match[2]) continue;
        const recordFile = path.join(sub, file.name);
        metadata.customMetadataRecords.push({
          objectName: `${match[1]}__mdt`,
          developerName: match[2],
          record: await rootElement(recordFile, 'CustomMetadata'),
          file: recordFile
        });
      }
    } else {
      await walk(sub, metadata);
    }
  }
}

/** Everything schema-related in the project's package directories. */
export async function readProjectMetadata(projectDir: string): Promise<ProjectMetadata> {
  const metadata: ProjectMetadata = {
    objects: new Map(),
    globalValueSets: new Map(),
    customMetadataRecords: []
  };
  for (const dir of await packageDirectories(projectDir)) await walk(dir, metadata);
  metadata.customMetadataRecords.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return metadata;
}
