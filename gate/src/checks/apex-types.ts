import path from 'node:path';
import ts from 'typescript';
import {
  apexTypeText,
  parseApexClass,
  type ApexClass,
  type ApexField,
  type ApexTypeRef
} from '../apex-ast.ts';
import type { CheckResult, Finding } from '../finding.ts';
import { filesEnding, rel, type Workspace } from '../workspace.ts';
import { lwcCompilerOptions } from './typecheck.ts';

/**
 * The hand-written types of `@salesforce/apex/Class.method` (force-app/types/*.d.ts) against the
 * Apex they describe. tsc trusts those declarations and the org never sees them, so without this
 * check a renamed parameter, a changed type or a new field drifts silently until it fails in the
 * browser. For every `declare module '@salesforce/apex/Class.method'`:
 *
 * - the class and method exist; the method is `@AuraEnabled`, `static` and public or global;
 * - the parameter names are exactly the Apex ones (an LWC passes one object keyed by name) and
 *   each type agrees; the return type agrees;
 * - each `Apex.<Name>` interface standing for an Apex class has exactly the class's
 *   `@AuraEnabled` instance fields and properties (inherited ones included), with agreeing types.
 *
 * Types agree as Aura serializes them to JSON: Id, String, Date, Datetime -> string; Integer,
 * Long, Decimal, Double -> number; Boolean -> boolean; Object -> anything; List<T>, Set<T>, T[]
 * -> T[]; Map<String|Id, T> -> Record<string, T>; a class -> the `Apex.<SameName>` interface;
 * void -> void or undefined. A string literal union counts as string. Other Apex types (SObjects,
 * Blob, Time, ...) are reported as warnings: not checked.
 *
 * Null. Every Apex value may be null, so null is decided where the risk is, by the ApexDoc:
 * - a TypeScript parameter may be optional (`name?:`) or admit null only when its ApexDoc
 *   `@param` says the method accepts it ("null" or "optional" in the text, e.g. "null means 50"):
 *   an omitted key reaches Apex as null, and only a documented method is known to handle that;
 * - a return type, or an interface property, must admit null (`| null`, `| undefined` or `?`)
 *   when the ApexDoc `@return` or the field's doc says it may be null;
 * - anything else may be declared either way.
 */
export async function checkApexTypes(ws: Workspace): Promise<CheckResult> {
  const declarationFiles = ws.files.filter((f) => f.endsWith('.d.ts'));
  const program = ts.createProgram({
    rootNames: declarationFiles,
    options: { ...lwcCompilerOptions(ws), types: [], noEmit: true }
  });
  const seam = new Seam(ws, program.getTypeChecker());
  let methods = 0;
  for (const file of declarationFiles) {
    const source = program.getSourceFile(file);
    if (!source) continue;
    for (const statement of source.statements) {
      if (!ts.isModuleDeclaration(statement) || !ts.isStringLiteral(statement.name)) continue;
      const match = /^@salesforce\/apex\/(?:\w+\.)?(\w+)\.(\w+)$/.exec(statement.name.text);
      if (!match?.[1] || !match[2]) continue;
      methods += 1;
      await seam.checkMethod(statement, match[1], match[2]);
    }
  }
  await seam.checkInterfaces();
  return {
    findings: seam.findings,
    summary: methods ? `${methods} methods, ${seam.interfacesChecked} types` : 'no Apex methods'
  };
}

/** What TypeScript must declare for an Apex type. */
type Expected =
  | { kind: 'string' | 'number' | 'boolean' | 'void' | 'any' }
  | { kind: 'list' | 'map'; of: Expected }
  | { kind: 'class'; apex: ApexClass }
  | { kind: 'unchecked' };

/** What a TypeScript type is, seen the same way. */
interface Declared {
  shape:
    | { kind: 'string' | 'number' | 'boolean' | 'void' | 'any' | 'other' }
    | { kind: 'list' | 'map'; of: Declared }
    | { kind: 'interface'; name: string; type: ts.Type; symbol: ts.Symbol };
  /** The union includes null or undefined. */
  nullable: boolean;
}

/** A place in a .d.ts for a finding. */
interface Where {
  file: string;
  line: number;
}

const NUMBERS = new Set(['integer', 'long', 'decimal', 'double']);
const STRINGS = new Set(['id', 'string', 'date', 'datetime']);

/** True when ApexDoc text says the value may be null ("never null" does not count). */
function docAdmitsNull(text: string | undefined, alsoOptional = false): boolean {
  if (!text) return false;
  const cleaned = text.replace(/\b(?:never|not|non)[\s-]*null\b/gi, '');
  return (alsoOptional ? /\b(?:null|optional)\b/i : /\bnull\b/i).test(cleaned);
}

class Seam {
  readonly findings: Finding[] = [];
  interfacesChecked = 0;
  private readonly classFiles = new Map<string, string>();
  private readonly projectFiles: Set<string>;
  private readonly parsed = new Map<string, Promise<ApexClass | undefined>>();
  /** Interfaces to compare with their Apex class, keyed so each pair is compared once. */
  private readonly pending = new Map<string, { apex: ApexClass; declared: Declared }>();
  private readonly done = new Set<string>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly ws: Workspace,
    private readonly checker: ts.TypeChecker
  ) {
    this.projectFiles = new Set(ws.files);
    for (const file of filesEnding(ws, '.cls')) {
      this.classFiles.set(path.basename(file, '.cls').toLowerCase(), file);
    }
  }

  async checkMethod(
    module: ts.ModuleDeclaration,
    className: string,
    methodName: string
  ): Promise<void> {
    const label = `@salesforce/apex/${className}.${methodName}`;
    const at = this.where(module);
    const fail = (where: Where, message: string): void => this.error(where, `${label}: ${message}`);

    const apex = await this.topLevel(className);
    if (!apex) return fail(at, `the project has no Apex class ${className}`);
    const candidates = apex.methods.filter(
      (m) => m.name.toLowerCase() === methodName.toLowerCase()
    );
    const auraEnabled = candidates.filter((m) => hasAnnotation(m.annotations, 'AuraEnabled'));
    const method = auraEnabled[0] ?? candidates[0];
    if (!method) return fail(at, `${apex.name} has no method ${methodName} (${this.apexAt(apex)})`);
    const apexAt = this.apexAt(apex, method.line);
    // Not @AuraEnabled fails, and the signature is still compared: both are worth knowing.
    if (auraEnabled.length === 0) {
      fail(at, `${apex.name}.${method.name} is not @AuraEnabled (${apexAt})`);
    }
    if (auraEnabled.length > 1 || (auraEnabled.length === 0 && candidates.length > 1)) {
      return fail(
        at,
        `${apex.name}.${method.name} is overloaded; @AuraEnabled methods cannot be (${apexAt})`
      );
    }
    if (!method.isStatic) {
      fail(
        at,
        `${apex.name}.${method.name} is not static; an LWC can call only static methods (${apexAt})`
      );
    }
    if (method.visibility !== 'public' && method.visibility !== 'global') {
      fail(
        at,
        `${apex.name}.${method.name} is ${method.visibility}; an LWC can call only public or global methods (${apexAt})`
      );
    }

    // The module's default export: `const m: Apex.Method<Params, Result>` or a function.
    const moduleSymbol = this.checker.getSymbolAtLocation(module.name);
    let exported = moduleSymbol
      ? this.checker.getExportsOfModule(moduleSymbol).find((s) => s.escapedName === 'default')
      : undefined;
    if (exported && exported.flags & ts.SymbolFlags.Alias) {
      exported = this.checker.getAliasedSymbol(exported);
    }
    const declaration = exported?.valueDeclaration ?? exported?.declarations?.[0];
    if (!exported || !declaration) return fail(at, 'declares no default export');
    const signatures = this.checker.getTypeOfSymbol(exported).getCallSignatures();
    const signature = signatures[0];
    if (!signature || signatures.length > 1) {
      return fail(
        this.where(declaration),
        'the default export must be callable one way: Apex.Method<Params, Result>'
      );
    }
    const [paramsNode, resultNode] = signatureNodes(declaration);

    // Parameters: one object keyed by the Apex parameter names.
    const paramsSymbol = signature.getParameters()[0];
    const paramsType = paramsSymbol
      ? this.checker.getNonNullableType(this.checker.getTypeOfSymbol(paramsSymbol))
      : undefined;
    const declaredParams =
      paramsType && !(paramsType.flags & (ts.TypeFlags.Void | ts.TypeFlags.Never))
        ? this.checker.getPropertiesOfType(paramsType)
        : [];
    const paramsAt = paramsNode ? this.where(paramsNode) : this.where(declaration);
    for (const parameter of method.parameters) {
      if (!declaredParams.some((p) => p.name === parameter.name)) {
        fail(
          paramsAt,
          `parameter ${parameter.name} (${apexTypeText(parameter.type)} in Apex) is missing here (${this.apexAt(apex, parameter.line)})`
        );
      }
    }
    for (const property of declaredParams) {
      const where = this.whereSymbol(property) ?? paramsAt;
      const parameter = method.parameters.find((p) => p.name === property.name);
      if (!parameter) {
        const sameButCase = method.parameters.find(
          (p) => p.name.toLowerCase() === property.name.toLowerCase()
        );
        fail(
          where,
          sameButCase
            ? `parameter ${property.name} is spelled ${sameButCase.name} in Apex (${apexAt})`
            : `parameter ${property.name} is not a parameter of the Apex method, which takes (${method.parameters.map((p) => p.name).join(', ')}) (${apexAt})`
        );
        continue;
      }
      const declared = this.declared(this.checker.getTypeOfSymbol(property));
      const expected = await this.expected(parameter.type, apex);
      if (!this.agrees(expected, declared)) {
        fail(
          where,
          `parameter ${parameter.name} is ${apexTypeText(parameter.type)} in Apex but ${this.text(property)} here (${this.apexAt(apex, parameter.line)})`
        );
      } else if (expected.kind === 'unchecked') {
        this.unchecked(where, `${label}: parameter ${parameter.name}`, parameter.type);
      }
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0 || declared.nullable;
      if (optional && !docAdmitsNull(method.doc?.params.get(parameter.name), true)) {
        fail(
          where,
          `parameter ${parameter.name} is optional or nullable here, but the ApexDoc of ${apex.name}.${method.name} does not say it accepts null: make it required here, or handle null in Apex and say so in its @param (${apexAt})`
        );
      }
    }

    // The result: Promise<T>.
    const returned = signature.getReturnType();
    const resultAt = resultNode ? this.where(resultNode) : this.where(declaration);
    if (returned.getSymbol()?.getName() !== 'Promise') {
      return fail(resultAt, `must return a Promise, not ${this.checker.typeToString(returned)}`);
    }
    const result = this.checker.getTypeArguments(returned as ts.TypeReference)[0];
    if (!result) return;
    const declared = this.declared(result);
    const expected = await this.expected(method.returnType, apex);
    if (!this.agrees(expected, declared)) {
      fail(
        resultAt,
        `returns ${apexTypeText(method.returnType)} in Apex but ${resultNode?.getText() ?? this.checker.typeToString(result)} here (${apexAt})`
      );
    } else if (expected.kind === 'unchecked') {
      this.unchecked(resultAt, `${label}: the result`, method.returnType);
    }
    if (expected.kind !== 'void' && !declared.nullable && docAdmitsNull(method.doc?.returns)) {
      fail(
        resultAt,
        `the ApexDoc @return says it may be null ("${method.doc?.returns}") but the result here does not admit null (${apexAt})`
      );
    }
  }

  /** Compares each queued `Apex.<Name>` interface with its class, and the ones they lead to. */
  async checkInterfaces(): Promise<void> {
    for (;;) {
      const next = [...this.pending.entries()].find(([key]) => !this.done.has(key));
      if (!next) return;
      const [key, { apex, declared }] = next;
      this.done.add(key);
      if (declared.shape.kind !== 'interface') continue;
      this.interfacesChecked += 1;
      await this.checkInterface(
        apex,
        declared.shape.name,
        declared.shape.type,
        declared.shape.symbol
      );
    }
  }

  private async checkInterface(
    apex: ApexClass,
    name: string,
    type: ts.Type,
    symbol: ts.Symbol
  ): Promise<void> {
    const label = `Apex.${name}`;
    const at = this.whereSymbol(symbol);
    if (!at) return; // declared outside the project (a library): not ours to check
    const fields = await this.auraFields(apex);
    const properties = this.checker.getPropertiesOfType(type);
    for (const field of fields) {
      if (!properties.some((p) => p.name === field.name)) {
        this.error(
          at,
          `${label} has no property ${field.name}, an @AuraEnabled ${apexTypeText(field.type)} of ${apex.qualifiedName} (${this.apexAt(field.owner, field.line)})`
        );
      }
    }
    for (const property of properties) {
      const where = this.whereSymbol(property) ?? at;
      const field = fields.find((f) => f.name === property.name);
      if (!field) {
        const similar = [...fields, ...apex.fields].find(
          (f) => f.name.toLowerCase() === property.name.toLowerCase()
        );
        this.error(
          where,
          `${label}.${property.name}: ` +
            (similar && similar.name !== property.name
              ? `${apex.qualifiedName} spells it ${similar.name}`
              : similar
                ? `${apex.qualifiedName}.${similar.name} is not @AuraEnabled (or is static), so the LWC never receives it`
                : `${apex.qualifiedName} has no @AuraEnabled field ${property.name}`) +
            ` (${this.apexAt(apex)})`
        );
        continue;
      }
      const apexAt = this.apexAt(field.owner, field.line);
      const declared = this.declared(this.checker.getTypeOfSymbol(property));
      const expected = await this.expected(field.type, field.owner);
      if (!this.agrees(expected, declared)) {
        this.error(
          where,
          `${label}.${field.name} is ${apexTypeText(field.type)} in ${apex.qualifiedName} but ${this.text(property)} here (${apexAt})`
        );
      } else if (expected.kind === 'unchecked') {
        this.unchecked(where, `${label}.${field.name}`, field.type);
      }
      const optional = (property.flags & ts.SymbolFlags.Optional) !== 0 || declared.nullable;
      if (!optional && docAdmitsNull(field.doc?.description)) {
        this.error(
          where,
          `${label}.${field.name} does not admit null here, but its ApexDoc says it may be null ("${field.doc?.description}") (${apexAt})`
        );
      }
    }
  }

  /** The @AuraEnabled instance fields and properties an LWC receives, inherited ones included. */
  private async auraFields(apex: ApexClass): Promise<(ApexField & { owner: ApexClass })[]> {
    const own = apex.fields
      .filter((f) => hasAnnotation(f.annotations, 'AuraEnabled') && !f.isStatic)
      .map((f) => ({ ...f, owner: apex }));
    const parent = apex.superClass ? await this.resolve(apex.superClass, apex) : undefined;
    const inherited = parent && parent !== apex ? await this.auraFields(parent) : [];
    return [...inherited.filter((f) => !own.some((o) => o.name === f.name)), ...own];
  }

  /** Whether the declared type is what Aura sends for the Apex type; queues interfaces. */
  private agrees(expected: Expected, declared: Declared): boolean {
    const shape = declared.shape;
    switch (expected.kind) {
      case 'any':
      case 'unchecked':
        return true;
      case 'list':
      case 'map':
        return shape.kind === expected.kind && this.agrees(expected.of, shape.of);
      case 'class': {
        if (shape.kind !== 'interface' || shape.name !== expected.apex.name) return false;
        const key = `${expected.apex.file}#${expected.apex.qualifiedName}#${shape.name}`;
        if (!this.pending.has(key)) this.pending.set(key, { apex: expected.apex, declared });
        return true;
      }
      default:
        return shape.kind === expected.kind;
    }
  }

  private async expected(ref: ApexTypeRef, context: ApexClass): Promise<Expected> {
    if (ref.arrayOf) return { kind: 'list', of: await this.expected(ref.arrayOf, context) };
    const names = ref.names[0]?.toLowerCase() === 'system' ? ref.names.slice(1) : ref.names;
    const name = names.join('.').toLowerCase();
    const [first, second] = ref.typeArguments;
    if (STRINGS.has(name)) return { kind: 'string' };
    if (NUMBERS.has(name)) return { kind: 'number' };
    if (name === 'boolean') return { kind: 'boolean' };
    if (name === 'void') return { kind: 'void' };
    if (name === 'object') return { kind: 'any' };
    if ((name === 'list' || name === 'set') && first && !second) {
      return { kind: 'list', of: await this.expected(first, context) };
    }
    if (name === 'map' && first && second) {
      const key = await this.expected(first, context);
      if (key.kind === 'string') return { kind: 'map', of: await this.expected(second, context) };
      return { kind: 'unchecked' };
    }
    const apex = await this.resolve(ref, context);
    return apex ? { kind: 'class', apex } : { kind: 'unchecked' };
  }

  private declared(type: ts.Type): Declared {
    let nullable = false;
    let single = type;
    if (type.isUnion()) {
      const members = type.types.filter(
        (t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void))
      );
      nullable = members.length < type.types.length;
      const all = (flags: ts.TypeFlags): boolean => members.every((t) => t.flags & flags);
      if (members.length === 0) return { shape: { kind: 'void' }, nullable };
      if (all(ts.TypeFlags.StringLike)) return { shape: { kind: 'string' }, nullable };
      if (all(ts.TypeFlags.NumberLike)) return { shape: { kind: 'number' }, nullable };
      if (all(ts.TypeFlags.BooleanLike)) return { shape: { kind: 'boolean' }, nullable };
      if (members.length > 1 || !members[0]) return { shape: { kind: 'other' }, nullable };
      single = members[0];
    }
    return { shape: this.shapeOf(single), nullable };
  }

  private shapeOf(type: ts.Type): Declared['shape'] {
    const flags = type.flags;
    if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return { kind: 'any' };
    if (flags & ts.TypeFlags.StringLike) return { kind: 'string' };
    if (flags & ts.TypeFlags.NumberLike) return { kind: 'number' };
    if (flags & ts.TypeFlags.BooleanLike) return { kind: 'boolean' };
    if (flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined)) return { kind: 'void' };
    if (this.checker.isArrayType(type)) {
      const element = this.checker.getTypeArguments(type as ts.TypeReference)[0];
      return element ? { kind: 'list', of: this.declared(element) } : { kind: 'other' };
    }
    const symbol = type.aliasSymbol ?? type.getSymbol();
    const qualified = symbol ? this.checker.getFullyQualifiedName(symbol) : '';
    if (symbol && /^Apex\.\w+$/.test(qualified)) {
      return { kind: 'interface', name: qualified.slice('Apex.'.length), type, symbol };
    }
    const index = this.checker.getIndexInfoOfType(type, ts.IndexKind.String);
    if (index && this.checker.getPropertiesOfType(type).length === 0) {
      return { kind: 'map', of: this.declared(index.type) };
    }
    return { kind: 'other' };
  }

  /** Apex name resolution, simplified: inner classes of the enclosing classes, then top level. */
  private async resolve(ref: ApexTypeRef, context: ApexClass): Promise<ApexClass | undefined> {
    const [first, second, ...rest] = ref.names.map((n) => n.toLowerCase());
    if (!first || rest.length > 0) return undefined;
    if (second === undefined) {
      for (let scope: ApexClass | undefined = context; scope; scope = scope.outer) {
        const inner = scope.inner.get(first);
        if (inner) return inner;
        if (scope.name.toLowerCase() === first) return scope;
      }
      return this.topLevel(first);
    }
    return (await this.topLevel(first))?.inner.get(second);
  }

  private topLevel(name: string): Promise<ApexClass | undefined> {
    const key = name.toLowerCase();
    let parsed = this.parsed.get(key);
    if (!parsed) {
      const file = this.classFiles.get(key);
      parsed = file
        ? parseApexClass(file).catch((error: Error) => {
            this.error(
              { file: rel(this.ws, file), line: 1 },
              `cannot read the Apex class: ${error.message.split(/\r?\n/)[0]}`
            );
            return undefined;
          })
        : Promise.resolve(undefined);
      this.parsed.set(key, parsed);
    }
    return parsed;
  }

  private error(where: Where, message: string): void {
    this.findings.push({ check: 'apex-types', ...where, severity: 'error', message });
  }

  private unchecked(where: Where, what: string, type: ApexTypeRef): void {
    const message = `${what}: Apex type ${apexTypeText(type)} has no TypeScript mapping in this check, not compared`;
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.findings.push({ check: 'apex-types', ...where, severity: 'warning', message });
  }

  private where(node: ts.Node): Where {
    const source = node.getSourceFile();
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    return { file: rel(this.ws, source.fileName), line };
  }

  /** Where a symbol is declared, if that is inside the project. */
  private whereSymbol(symbol: ts.Symbol): Where | undefined {
    const declaration = symbol.declarations?.[0];
    if (!declaration) return undefined;
    const file = declaration.getSourceFile().fileName;
    return this.projectFiles.has(path.resolve(file)) ? this.where(declaration) : undefined;
  }

  /** A property's type as written (`string | null`), else as the checker prints it. */
  private text(symbol: ts.Symbol): string {
    const declaration = symbol.declarations?.[0];
    if (declaration && ts.isPropertySignature(declaration) && declaration.type) {
      return declaration.type.getText();
    }
    return this.checker.typeToString(this.checker.getTypeOfSymbol(symbol));
  }

  private apexAt(apex: ApexClass, line = apex.line): string {
    return `${rel(this.ws, apex.file)}:${line}`;
  }
}

function hasAnnotation(annotations: string[], name: string): boolean {
  return annotations.some((a) => a.toLowerCase() === name.toLowerCase());
}

/**
 * The nodes where the parameter object and the result are written, for finding lines: the type
 * arguments of `Apex.Method<Params, Result>`, or a function's parameter and return type.
 */
function signatureNodes(declaration: ts.Declaration): [ts.Node | undefined, ts.Node | undefined] {
  let signature: ts.SignatureDeclaration | undefined;
  if (ts.isFunctionDeclaration(declaration)) signature = declaration;
  else if (ts.isVariableDeclaration(declaration) && declaration.type) {
    const type = declaration.type;
    if (ts.isTypeReferenceNode(type) && type.typeArguments?.length === 2) {
      return [type.typeArguments[0], type.typeArguments[1]];
    }
    if (ts.isFunctionTypeNode(type)) signature = type;
  }
  if (!signature) return [undefined, undefined];
  // `Promise<Result>`: the finding is about Result.
  const result = signature.type;
  const promised =
    result && ts.isTypeReferenceNode(result) && result.typeArguments?.length === 1
      ? result.typeArguments[0]
      : result;
  return [signature.parameters[0]?.type, promised];
}
