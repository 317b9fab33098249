import { readFile } from 'node:fs/promises';
import type { RequiredOptions } from 'prettier';
import { parsers } from 'prettier-plugin-apex';

/**
 * The declared surface of an Apex class - inner classes, fields, properties, method signatures,
 * annotations and ApexDoc - read from a real Apex AST: the one prettier-plugin-apex gets from
 * jorje (Salesforce's own Apex parser, shipped as the native executable
 * `@prettier-apex/apex-ast-serializer-*`, so no JVM starts). apex-ls has no API for signatures.
 * Only declarations are read; method bodies are ignored.
 */
export interface ApexClass {
  /** The name as declared, e.g. `PaymentView`. */
  name: string;
  /** `PaymentController.PaymentView` for an inner class, the name for a top-level one. */
  qualifiedName: string;
  /** Absolute path of the .cls file. */
  file: string;
  line: number;
  outer?: ApexClass;
  /** Inner classes by lower-case name (Apex names are case-insensitive). */
  inner: Map<string, ApexClass>;
  superClass?: ApexTypeRef;
  methods: ApexMethod[];
  /** Instance and static fields and properties, in declaration order. */
  fields: ApexField[];
}

/** A type as written, e.g. `List<PaymentController.PaymentView>` or `String[]`. */
export interface ApexTypeRef {
  /** Dotted name parts, e.g. `['PaymentController', 'PaymentView']`; `[]` for an array. */
  names: string[];
  typeArguments: ApexTypeRef[];
  /** The element type of `T[]`. */
  arrayOf?: ApexTypeRef;
}

export interface ApexMember {
  name: string;
  line: number;
  annotations: string[];
  isStatic: boolean;
  visibility: 'private' | 'protected' | 'public' | 'global';
  doc?: ApexDoc;
}

export interface ApexMethod extends ApexMember {
  parameters: { name: string; type: ApexTypeRef; line: number }[];
  returnType: ApexTypeRef;
}

export interface ApexField extends ApexMember {
  type: ApexTypeRef;
}

/** The `/** ... *\/` comment right before a member, split into its text and tags. */
export interface ApexDoc {
  /** The whole comment without its `/**`, `*` and `*\/` decoration. */
  text: string;
  /** The `@description` (or untagged) text, on one line. */
  description: string;
  /** `@param name text` by parameter name. */
  params: Map<string, string>;
  returns?: string;
}

/*
 * The few jorje AST nodes read here, as the serializer emits them. prettier-plugin-apex 2.3.0
 * publishes typings for the whole AST (`jorje`), but its index.d.ts points at a path the package
 * does not ship, so they resolve to `any`; these structural types stand in for them.
 */
interface JorjeLocation {
  startIndex: number;
  endIndex: number;
  line?: number;
  startLine?: number;
}

interface JorjeNode {
  '@class': string;
  /** jorje leaves it out on some nodes; prettier-plugin-apex fills it in. */
  loc?: JorjeLocation;
}

interface JorjeIdentifier extends JorjeNode {
  value: string;
}

interface JorjeTypeRef extends JorjeNode {
  names: JorjeIdentifier[];
  typeArguments: JorjeTypeRef[];
  /** Only on `TypeRefs$ArrayTypeRef`: the element type. */
  heldType?: JorjeTypeRef;
}

interface JorjeModifier extends JorjeNode {
  /** Only on `Modifier$Annotation`. */
  name?: JorjeIdentifier;
}

interface JorjeClassDecl extends JorjeNode {
  name: JorjeIdentifier;
  superClass: { value?: JorjeTypeRef };
  members: JorjeMember[];
}

/** A `BlockMember$...`: exactly one of these is present, by kind. */
interface JorjeMember extends JorjeNode {
  body?: JorjeClassDecl;
  methodDecl?: {
    modifiers: JorjeModifier[];
    name: JorjeIdentifier;
    parameters: { name: JorjeIdentifier; typeRef: JorjeTypeRef }[];
    type: { value?: JorjeTypeRef };
  };
  variableDecls?: {
    modifiers: JorjeModifier[];
    type: JorjeTypeRef;
    decls: { name: JorjeIdentifier }[];
  };
  propertyDecl?: { modifiers: JorjeModifier[]; type: JorjeTypeRef; name: JorjeIdentifier };
}

interface JorjeParserOutput {
  hiddenTokenMap: [unknown, JorjeNode & { location: JorjeLocation; value: string }][];
  unit?: JorjeNode & { body?: JorjeClassDecl };
}

const MODIFIER = 'apex.jorje.data.ast.Modifier$';

function lineOf(node: JorjeNode): number {
  return node.loc?.startLine ?? node.loc?.line ?? 0;
}

function startOf(node: JorjeNode): number {
  return node.loc?.startIndex ?? 0;
}

async function parseJorje(source: string): Promise<JorjeParserOutput | undefined> {
  const ast = await parsers.apex.parse(source, {
    parser: 'apex',
    apexStandaloneParser: 'native'
  } as unknown as RequiredOptions);
  return (ast as { [key: string]: JorjeParserOutput | undefined })[
    'apex.jorje.semantic.compiler.parser.ParserOutput'
  ];
}

/**
 * The whole jorje tree of a class or trigger (method bodies and inline SOQL included) as the
 * serializer emits it, for checks that walk statements; throws when the source does not parse.
 */
export async function parseApexTree(source: string): Promise<unknown> {
  const unit = (await parseJorje(source))?.unit;
  if (!unit) throw new Error('no compilation unit');
  return unit;
}

/** Parses a .cls file; throws with the parser's message when it is not valid Apex. */
export async function parseApexClass(file: string): Promise<ApexClass> {
  const source = await readFile(file, 'utf8');
  const output = await parseJorje(source);
  const unit = output?.unit;
  if (
    !output ||
    unit?.['@class'] !== 'apex.jorje.data.ast.CompilationUnit$ClassDeclUnit' ||
    !unit.body
  ) {
    throw new Error('not a class (an interface, enum or trigger)');
  }
  const comments = output.hiddenTokenMap
    .map(([, token]) => token)
    .filter((token) => token['@class'] === 'apex.jorje.parser.impl.HiddenTokens$BlockComment')
    .sort((a, b) => a.location.startIndex - b.location.startIndex);
  const docBefore = (node: JorjeNode): ApexDoc | undefined => {
    const start = startOf(node);
    const comment = comments.findLast((c) => c.location.endIndex <= start);
    if (!comment || !comment.value.startsWith('/**')) return undefined;
    if (source.slice(comment.location.endIndex, start).trim() !== '') return undefined;
    return parseApexDoc(comment.value);
  };
  return readClass(unit.body, file, docBefore);
}

function readClass(
  decl: JorjeClassDecl,
  file: string,
  docBefore: (node: JorjeNode) => ApexDoc | undefined,
  outer?: ApexClass
): ApexClass {
  const cls: ApexClass = {
    name: decl.name.value,
    qualifiedName: outer ? `${outer.qualifiedName}.${decl.name.value}` : decl.name.value,
    file,
    line: lineOf(decl.name),
    outer,
    inner: new Map(),
    superClass: decl.superClass.value ? typeRef(decl.superClass.value) : undefined,
    methods: [],
    fields: []
  };
  for (const member of decl.members) {
    const { body, methodDecl, variableDecls, propertyDecl } = member;
    if (body) {
      const inner = readClass(body, file, docBefore, cls);
      cls.inner.set(inner.name.toLowerCase(), inner);
    } else if (methodDecl) {
      cls.methods.push({
        ...modifiers(methodDecl.modifiers),
        name: methodDecl.name.value,
        line: lineOf(methodDecl.name),
        doc: docBefore(member),
        parameters: methodDecl.parameters.map((p) => ({
          name: p.name.value,
          type: typeRef(p.typeRef),
          line: lineOf(p.name)
        })),
        // A constructor has no type; it is never an LWC's method anyway.
        returnType: methodDecl.type.value
          ? typeRef(methodDecl.type.value)
          : { names: ['void'], typeArguments: [] }
      });
    } else if (variableDecls) {
      for (const variable of variableDecls.decls) {
        cls.fields.push({
          ...modifiers(variableDecls.modifiers),
          name: variable.name.value,
          line: lineOf(variable.name),
          doc: docBefore(member),
          type: typeRef(variableDecls.type)
        });
      }
    } else if (propertyDecl) {
      cls.fields.push({
        ...modifiers(propertyDecl.modifiers),
        name: propertyDecl.name.value,
        line: lineOf(propertyDecl.name),
        doc: docBefore(member),
        type: typeRef(propertyDecl.type)
      });
    }
    // Inner enums and interfaces, initializer blocks: nothing an LWC receives.
  }
  return cls;
}

function modifiers(list: JorjeModifier[]): Omit<ApexMember, 'name' | 'line' | 'doc'> {
  const kinds = new Set(list.map((m) => m['@class'].slice(MODIFIER.length)));
  const annotations = list.flatMap((m) =>
    m['@class'] === `${MODIFIER}Annotation` && m.name ? [m.name.value] : []
  );
  const visibility = kinds.has('GlobalModifier')
    ? 'global'
    : kinds.has('PublicModifier')
      ? 'public'
      : kinds.has('ProtectedModifier')
        ? 'protected'
        : 'private';
  return { annotations, isStatic: kinds.has('StaticModifier'), visibility };
}

function typeRef(ref: JorjeTypeRef): ApexTypeRef {
  if (ref.heldType) return { names: [], typeArguments: [], arrayOf: typeRef(ref.heldType) };
  return { names: ref.names.map((n) => n.value), typeArguments: ref.typeArguments.map(typeRef) };
}

/** `List<Map<String, Foo.Bar>>`, `String[]`: a type as Apex source writes it. */
export function apexTypeText(ref: ApexTypeRef): string {
  if (ref.arrayOf) return `${apexTypeText(ref.arrayOf)}[]`;
  const args = ref.typeArguments.length
    ? `<${ref.typeArguments.map(apexTypeText).join(', ')}>`
    : '';
  return `${ref.names.join('.')}${args}`;
}

function parseApexDoc(comment: string): ApexDoc {
  const text = comment
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, '').trimEnd())
    .join('\n')
    .trim();
  const doc: ApexDoc = { text, description: '', params: new Map() };
  // A tag runs until the next line that starts with a tag; untagged text leads the description.
  for (const block of text.split(/\n(?=@)/)) {
    const [, tag = 'description', rest = ''] = /^(?:@(\w+)\s*)?([\s\S]*)$/.exec(block) ?? [];
    const value = rest.replace(/\s+/g, ' ').trim();
    if (tag === 'description') doc.description = `${doc.description} ${value}`.trim();
    else if (tag === 'return') doc.returns = value;
    else if (tag === 'param') {
      const [, name, about = ''] = /^(\w+)\s*(.*)$/.exec(value) ?? [];
      if (name) doc.params.set(name, about);
    }
  }
  return doc;
}
