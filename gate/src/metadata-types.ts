import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/*
 * The Metadata API's types, read from `@salesforce/types` (`lib/metadata.d.ts`): Salesforce's
 * package of TypeScript types generated from the Metadata API WSDL (repository forcedotcom/wsdl,
 * "contains the full Salesforce WSDL files"). It is the copy @salesforce/source-deploy-retrieve
 * (the library behind `sf project deploy start`, which the gate already runs) depends on, so it
 * stays current whenever the CLI libraries are updated; no hand-written XSD to drift.
 *
 * Why not jsforce's `lib/api/metadata/schema.js`: it is generated from a much older WSDL (its
 * Flow has no apiVersion, environments or collectionProcessors), so it would reject valid
 * metadata. The generated .d.ts keeps each type's elements in the WSDL's sequence order (an
 * extended type's after its base's), and metadata-schema.ts checks that order as the Metadata
 * API does.
 *
 * The package does not say which API version its WSDL is; the WSDL's header does
 * ("Salesforce.com Metadata API version 66.0"), so the releases are mapped here, read from the
 * headers of forcedotcom/wsdl at each release tag. A release missing from the table reports its
 * version as unknown until it is added.
 */

/** @salesforce/types release (major.minor) -> the Metadata API version of its WSDL. */
const WSDL_API_VERSIONS: Record<string, string> = {
  '1.1': '60.0',
  '1.2': '61.0',
  '1.3': '62.0',
  '1.4': '64.0',
  '1.5': '65.0',
  '1.6': '65.0',
  '1.7': '66.0'
};

export interface MetadataType {
  name: string;
  /** Element name -> the type of its content (a MetadataType name, or a simple type). */
  elements: Map<string, string>;
}

export interface MetadataTypes {
  /** The installed @salesforce/types version, for messages. */
  version: string;
  /** The Metadata API version of its WSDL, when the table above knows the release. */
  apiVersion: string | undefined;
  get(name: string): MetadataType | undefined;
}

const require = createRequire(import.meta.url);

/** The element type of a property: `Foo[]` -> `Foo`, `Foo` -> `Foo`, keywords -> `string`... */
function elementTypeName(node: ts.TypeNode | undefined): string {
  if (!node) return 'any';
  if (ts.isArrayTypeNode(node)) return elementTypeName(node.elementType);
  if (ts.isTypeReferenceNode(node)) return node.typeName.getText();
  return node.getText();
}

/** Reads every `export type X = Base & { ... }` of the Metadata API types. */
export async function loadMetadataTypes(): Promise<MetadataTypes> {
  const sdr = require.resolve('@salesforce/source-deploy-retrieve');
  const fromSdr = createRequire(sdr);
  // The package exports `./metadata` (an empty module) but not its package.json or .d.ts.
  const lib = path.dirname(fromSdr.resolve('@salesforce/types/metadata'));
  const packageJson = path.join(lib, '..', 'package.json');
  const { version } = JSON.parse(await readFile(packageJson, 'utf8')) as { version: string };
  const file = path.join(lib, 'metadata.d.ts');
  const source = ts.createSourceFile(
    file,
    await readFile(file, 'utf8'),
    ts.ScriptTarget.Latest,
    true
  );
  const own = new Map<string, Map<string, string>>();
  const bases = new Map<string, string[]>();
  for (const statement of source.statements) {
    if (!ts.isTypeAliasDeclaration(statement)) continue;
    const name = statement.name.text;
    const parts = ts.isIntersectionTypeNode(statement.type)
      ? statement.type.types
      : [statement.type];
    const elements = new Map<string, string>();
    const parents: string[] = [];
    let objectType = false;
    for (const part of parts) {
      if (ts.isTypeLiteralNode(part)) {
        objectType = true;
        for (const member of part.members) {
          if (ts.isPropertySignature(member) && member.name) {
            elements.set(member.name.getText(), elementTypeName(member.type));
          }
        }
      } else if (ts.isTypeReferenceNode(part)) {
        parents.push(part.typeName.getText());
      }
    }
    if (objectType) {
      own.set(name, elements);
      bases.set(name, parents);
    }
  }
  const resolved = new Map<string, MetadataType>();
  const get = (name: string): MetadataType | undefined => {
    const cached = resolved.get(name);
    if (cached) return cached;
    const elements = own.get(name);
    if (!elements) return undefined;
    const all = new Map<string, string>();
    for (const base of bases.get(name) ?? []) {
      for (const [element, type] of get(base)?.elements ?? []) all.set(element, type);
    }
    for (const [element, type] of elements) all.set(element, type);
    const type = { name, elements: all };
    resolved.set(name, type);
    return type;
  };
  const apiVersion = WSDL_API_VERSIONS[version.split('.').slice(0, 2).join('.')];
  return { version, apiVersion, get };
}
