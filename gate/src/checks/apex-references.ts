import { readFile } from 'node:fs/promises';
import { parseApexTree } from '../apex-ast.ts';
import type { Finding } from '../finding.ts';
import type { SchemaRefs, Verdict } from '../schema-refs.ts';
import { filesEnding, rel, type Workspace } from '../workspace.ts';

/*
 * Field references in Apex that a deploy resolves and apex-ls does not always: apex-ls stops
 * checking a standard object's fields once the project has an `objects/<Standard>/` folder
 * (Account here: any `acc.Anything__c` passes), and it never reads the inside of static SOQL.
 * Both are read here from jorje's tree (Salesforce's own Apex parser, through
 * prettier-plugin-apex), which parses inline SOQL into clauses and fields with their positions.
 *
 * Variables are typed from their declarations (class fields and properties, method parameters,
 * locals, for-each, catch and `switch ... when Type name` variables) as a record, or a list,
 * array or map of records. Fields read through an expression are checked when its type follows
 * from those: `rec?.Field__c`, `this.field.X__c`, `rows[0].X__c`, `rows.get(0).X__c`,
 * `byId.get(id).X__c`, `((Account) so).X__c`, and `Trigger.new[0].X__c` in a trigger. Other
 * method results are not typed (that would take every method's signature, apex-ls's job).
 * Inside one method, a name declared twice with different types is left unchecked rather than
 * guessed. Dynamic SOQL (Database.query) and `record.get('Field__c')` are strings at compile
 * time: a deploy does not check them either.
 */

type JsonNode = { [key: string]: unknown };

interface Identifier {
  value: string;
  loc?: { line?: number; startLine?: number; column?: number };
}

const AST = 'apex.jorje.data.ast.';
const SOQL = 'apex.jorje.data.soql.';

function isNode(value: unknown): value is JsonNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function classOf(node: JsonNode): string {
  return typeof node['@class'] === 'string' ? node['@class'] : '';
}

/** jorje wraps optional children as `{ value: ... }`; `{}` when absent. */
function optional(value: unknown): JsonNode | undefined {
  return isNode(value) && isNode(value.value) ? value.value : undefined;
}

function identifiers(value: unknown): Identifier[] {
  return Array.isArray(value) ? value.filter(isNode).map((n) => n as unknown as Identifier) : [];
}

/** Every child node of `node`, whatever the key. */
function* childNodes(node: JsonNode, skip: ReadonlySet<string> = new Set()): Generator<JsonNode> {
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc' || skip.has(key)) continue;
    if (Array.isArray(value)) yield* value.filter(isNode);
    else if (isNode(value)) yield value;
  }
}

/** What an Apex value holds, as far as field references go: a record, or records by index or key. */
interface ApexType {
  object: string;
  shape: 'record' | 'list' | 'map';
}

const record = (object: string | undefined): ApexType | undefined =>
  object === undefined ? undefined : { object, shape: 'record' };

/** `Account` or `Schema.Account` as a declared type; undefined for generics, arrays, others. */
function sobjectType(typeRef: unknown, refs: SchemaRefs): string | undefined {
  if (!isNode(typeRef) || classOf(typeRef) !== `${AST}TypeRefs$ClassTypeRef`) return undefined;
  if (Array.isArray(typeRef.typeArguments) && typeRef.typeArguments.length > 0) return undefined;
  const names = identifiers(typeRef.names).map((n) => n.value);
  if (names.length === 2 && names[0]?.toLowerCase() === 'schema') names.shift();
  const [name, ...more] = names;
  return name === undefined || more.length > 0 ? undefined : refs.objectName(name);
}

/** A declared type: `Account`, `List<Account>`, `Account[]`, `Map<Id, Account>`; else undefined. */
function apexType(typeRef: unknown, refs: SchemaRefs): ApexType | undefined {
  if (!isNode(typeRef)) return undefined;
  if (classOf(typeRef) === `${AST}TypeRefs$ArrayTypeRef`) {
    const held = sobjectType(typeRef.heldType, refs);
    return held === undefined ? undefined : { object: held, shape: 'list' };
  }
  const args = Array.isArray(typeRef.typeArguments) ? typeRef.typeArguments : [];
  if (args.length === 0) return record(sobjectType(typeRef, refs));
  const generic = identifiers(typeRef.names).map((n) => n.value.toLowerCase());
  const held = sobjectType(args[args.length - 1], refs);
  if (held === undefined || generic.length !== 1) return undefined;
  if (generic[0] === 'list' && args.length === 1) return { object: held, shape: 'list' };
  if (generic[0] === 'map' && args.length === 2) return { object: held, shape: 'map' };
  return undefined;
}

/** Name -> type, or null when declared with several types or none we follow (left unchecked). */
type Scope = Map<string, ApexType | null>;

const sameType = (a: ApexType | null, b: ApexType | null): boolean =>
  a === b || (a !== null && b !== null && a.object === b.object && a.shape === b.shape);

function declare(scope: Scope, name: string, type: ApexType | undefined): void {
  const key = name.toLowerCase();
  const known = scope.get(key);
  const value = type ?? null;
  scope.set(key, known === undefined || sameType(known, value) ? value : null);
}

/** What the code of one method (or trigger) sees. */
interface Context {
  /** Locals and parameters over the class's fields. */
  scope: Scope;
  /** The class's fields and properties alone, for `this.name`. */
  fields: Scope;
  /** A trigger's object, for `Trigger.new` and friends. */
  triggerObject?: string;
}

/** Every variable a method (or trigger) body declares, by the declarations jorje emits. */
function collectLocals(node: JsonNode, scope: Scope, refs: SchemaRefs): void {
  const kind = classOf(node);
  if (kind === `${AST}VariableDecls`) {
    const type = apexType(node.type, refs);
    for (const decl of Array.isArray(node.decls) ? node.decls.filter(isNode) : []) {
      const name = (decl.name as Identifier | undefined)?.value;
      if (name) declare(scope, name, type);
    }
  } else if (kind === `${AST}ForControl$EnhancedForControl`) {
    // jorje puts the variable's name in the init and its type on the control itself.
    const init = isNode(node.init) ? node.init : {};
    const name = identifiers(init.name)[0]?.value;
    if (name) declare(scope, name, apexType(node.type, refs));
  } else if (kind === `${AST}CatchBlock` && isNode(node.parameter)) {
    const name = (node.parameter.name as Identifier | undefined)?.value;
    if (name) declare(scope, name, apexType(node.parameter.typeRef, refs));
  } else if (kind === `${AST}WhenBlock$TypeWhen`) {
    // `switch on so { when Account acc { ... } }`
    const name = (node.name as Identifier | undefined)?.value;
    if (name) declare(scope, name, apexType(node.typeRef, refs));
  }
  for (const child of childNodes(node)) collectLocals(child, scope, refs);
}

/** Fields and properties a class declares (its scope for every method). */
function classScope(decl: JsonNode, outer: Scope, refs: SchemaRefs): Scope {
  const scope: Scope = new Map(outer);
  for (const member of Array.isArray(decl.members) ? decl.members.filter(isNode) : []) {
    const vars = isNode(member.variableDecls) ? member.variableDecls : undefined;
    const property = isNode(member.propertyDecl) ? member.propertyDecl : undefined;
    if (vars) {
      const type = apexType(vars.type, refs);
      for (const d of Array.isArray(vars.decls) ? vars.decls.filter(isNode) : []) {
        const name = (d.name as Identifier | undefined)?.value;
        if (name) scope.set(name.toLowerCase(), type ?? null);
      }
    } else if (property) {
      const name = (property.name as Identifier | undefined)?.value;
      if (name) scope.set(name.toLowerCase(), apexType(property.type, refs) ?? null);
    }
  }
  return scope;
}

function lineOf(id: Identifier | undefined): { line?: number; column?: number } {
  const line = id?.loc?.startLine ?? id?.loc?.line;
  const column = id?.loc?.column;
  // jorje's columns are 1-based already.
  return { line, column: column !== undefined && column > 0 ? column : undefined };
}

/** `Owner.Name` in SOQL: the identifiers of a FieldIdentifier chain, outermost first. */
function soqlPath(fieldIdentifier: unknown): Identifier[] {
  const path: Identifier[] = [];
  let current = isNode(fieldIdentifier) ? fieldIdentifier : undefined;
  while (current) {
    const field = current.field as Identifier | undefined;
    if (field) path.unshift(field);
    current = optional(current.entity);
  }
  return path;
}

/** Query parts holding no field of the queried object (binds are Apex). */
const NOT_FIELDS = new Set([
  'from',
  'with',
  'using',
  'options',
  'tracking',
  'updateStats',
  'bind',
  'limit',
  'offset'
]);

export class ApexReferenceReader {
  readonly findings: Finding[] = [];

  constructor(
    private readonly refs: SchemaRefs,
    private readonly file: string
  ) {}

  private report(verdict: Verdict, at: Identifier | undefined, what: string): void {
    if (!verdict) return;
    this.findings.push({
      check: 'references',
      file: this.file,
      ...lineOf(at),
      severity: verdict.severity,
      message: `${what}: ${verdict.message}`
    });
  }

  /** Walks a compilation unit: classes (with inner classes) or a trigger. */
  readUnit(unit: JsonNode): void {
    const body = isNode(unit.body) ? unit.body : undefined;
    if (classOf(unit) === 'apex.jorje.data.ast.CompilationUnit$ClassDeclUnit' && body) {
      this.readClass(body, new Map());
    } else if (classOf(unit).includes('TriggerDeclUnit')) {
      const scope: Scope = new Map();
      collectLocals(unit, scope, this.refs);
      const target = identifiers(unit.target).map((n) => n.value);
      const triggerObject = target.length === 1 ? this.refs.objectName(target[0] ?? '') : undefined;
      this.readCode(unit, { scope, fields: new Map(), triggerObject });
    }
  }

  private readClass(decl: JsonNode, outer: Scope): void {
    const scope = classScope(decl, outer, this.refs);
    for (const member of Array.isArray(decl.members) ? decl.members.filter(isNode) : []) {
      if (isNode(member.body)) {
        this.readClass(member.body, scope);
      } else if (isNode(member.methodDecl)) {
        const method = member.methodDecl;
        const locals: Scope = new Map(scope);
        const inner: Scope = new Map();
        for (const p of Array.isArray(method.parameters) ? method.parameters.filter(isNode) : []) {
          const name = (p.name as Identifier | undefined)?.value;
          if (name) declare(inner, name, apexType(p.typeRef, this.refs));
        }
        collectLocals(method, inner, this.refs);
        for (const [name, type] of inner) locals.set(name, type);
        this.readCode(method, { scope: locals, fields: scope });
      } else {
        // Field initialisers and property accessors see the class scope only.
        this.readCode(member, { scope, fields: scope });
      }
    }
  }

  private readCode(node: JsonNode, context: Context): void {
    const kind = classOf(node);
    // A query's own fields here; the Apex of its binds (`:acc.Name`) with the rest below.
    if (kind === `${AST}Expr$SoqlExpr` && isNode(node.query)) {
      this.readQuery(node.query, undefined);
    } else if (kind === `${AST}Expr$VariableExpr`) {
      const base = optional(node.dottedExpr);
      const names = identifiers(node.names);
      if (!base) this.readVariable(names, context.scope);
      else if (classOf(base) === `${AST}Expr$ThisVariableExpr`) {
        this.readVariable(names, context.fields, 'this.');
      } else this.readThrough(base, names, node.isSafeNav === true, context);
    } else if (kind === `${AST}Expr$NewExpr` && isNode(node.creator)) {
      const creator = node.creator;
      const type = sobjectType(creator.type, this.refs);
      if (classOf(creator) === `${AST}NewObject$NewKeyValue` && type) {
        for (const pair of Array.isArray(creator.keyValues)
          ? creator.keyValues.filter(isNode)
          : []) {
          const name = pair.name as Identifier | undefined;
          if (name)
            this.report(
              this.refs.checkPath(type, [name.value]),
              name,
              `new ${type}(${name.value} = ...)`
            );
        }
      }
    }
    for (const child of childNodes(node)) this.readCode(child, context);
  }

  /** `record.Field__c`, `contact.Account.Name`, `Account.Name` (a field token). */
  private readVariable(names: Identifier[], scope: Scope, prefix = ''): void {
    const [head, ...rest] = names;
    if (!head || rest.length === 0) return;
    const declared = scope.get(head.value.toLowerCase());
    if (declared !== undefined || prefix) {
      // A list or map has methods, not fields; apex-ls checks those.
      if (!declared || declared.shape !== 'record') return;
      this.checkFields(declared.object, rest, `${prefix}${names.map((n) => n.value).join('.')}`);
      return;
    }
    // Not a variable: `Account.Name` or `Schema.Account.Name` name an SObjectField token.
    const tokens = head.value.toLowerCase() === 'schema' ? rest : names;
    const [objectId, fieldId] = tokens;
    const object = objectId && this.refs.objectName(objectId.value);
    if (!object || !fieldId || fieldId.value.toLowerCase() === 'sobjecttype') return;
    this.report(
      this.refs.checkPath(object, [fieldId.value], { lastMayBeRelationship: true }),
      fieldId,
      `${object}.${fieldId.value}`
    );
  }

  private checkFields(object: string, names: Identifier[], what: string): void {
    const verdict = this.refs.checkPath(
      object,
      names.map((n) => n.value),
      { lastMayBeRelationship: true }
    );
    this.report(verdict, this.culprit(object, names), what);
  }

  /** `expr.Field__c` and `expr?.Field__c`, when the type of `expr` is known. */
  private readThrough(base: JsonNode, names: Identifier[], safe: boolean, context: Context): void {
    const type = this.typeOf(base, context);
    if (!type || type.shape !== 'record' || names.length === 0) return;
    const what = `${render(base)}${safe ? '?.' : '.'}${names.map((n) => n.value).join('.')}`;
    this.checkFields(type.object, names, what);
  }

  /** `head.a.b` from a known type: each segment a parent (record) or child (list) relationship. */
  private follow(type: ApexType | undefined, segments: Identifier[]): ApexType | undefined {
    let current = type;
    for (const segment of segments) {
      if (!current || current.shape !== 'record') return undefined;
      const parent = this.refs.parentObject(current.object, segment.value);
      const child = parent ? undefined : this.refs.childObject(current.object, segment.value);
      current = parent ? record(parent) : child ? { object: child, shape: 'list' } : undefined;
    }
    return current;
  }

  /** `names` read from the scope (or from `base`), as a variable expression spells them. */
  private typeOfNames(base: JsonNode | undefined, names: Identifier[], context: Context) {
    if (base && classOf(base) !== `${AST}Expr$ThisVariableExpr`) {
      return this.follow(this.typeOf(base, context), names);
    }
    const [head, ...rest] = names;
    const scope = base ? context.fields : context.scope;
    return head ? this.follow(scope.get(head.value.toLowerCase()) ?? undefined, rest) : undefined;
  }

  /** The type of an expression, where it follows from declarations alone; else undefined. */
  private typeOf(node: JsonNode, context: Context): ApexType | undefined {
    const kind = classOf(node);
    if (kind === `${AST}Expr$VariableExpr`) {
      return this.typeOfNames(optional(node.dottedExpr), identifiers(node.names), context);
    }
    if (kind === `${AST}Expr$TriggerVariableExpr` && context.triggerObject) {
      const variable = (node.variable as Identifier | undefined)?.value.toLowerCase();
      if (variable === 'new' || variable === 'old') {
        return { object: context.triggerObject, shape: 'list' };
      }
      if (variable === 'newmap' || variable === 'oldmap') {
        return { object: context.triggerObject, shape: 'map' };
      }
      return undefined;
    }
    if (kind === `${AST}Expr$ArrayExpr` && isNode(node.expr)) {
      const list = this.typeOf(node.expr, context);
      return list?.shape === 'list' ? record(list.object) : undefined;
    }
    if (kind === `${AST}Expr$MethodCallExpr`) {
      const names = identifiers(node.names);
      const method = names.pop()?.value.toLowerCase();
      const base = optional(node.dottedExpr);
      const target =
        names.length > 0 || !base
          ? this.typeOfNames(base, names, context)
          : this.typeOf(base, context);
      if (!target || target.shape === 'record') return undefined;
      if (method === 'get') return record(target.object);
      if (method === 'values' && target.shape === 'map') return { ...target, shape: 'list' };
      return undefined;
    }
    if (kind === `${AST}Expr$NestedExpr` && isNode(node.expr))
      return this.typeOf(node.expr, context);
    if (kind === `${AST}Expr$CastExpr`) return apexType(node.type, this.refs);
    return undefined;
  }

  /** The identifier of the first segment that does not resolve, for the finding's column. */
  private culprit(objectName: string, segments: Identifier[]): Identifier | undefined {
    for (let i = 1; i <= segments.length; i++) {
      const prefix = segments.slice(0, i).map((s) => s.value);
      if (this.refs.checkPath(objectName, prefix, { lastMayBeRelationship: true })) {
        return segments[i - 1];
      }
    }
    return segments[0];
  }

  /**
   * One SOQL query: its FROM object (or, for a subquery, the child relationship of `parent`),
   * then every field it names in SELECT, WHERE, GROUP BY, HAVING and ORDER BY, relationship
   * paths included. Semi-join subqueries in WHERE are queries of their own.
   */
  private readQuery(query: JsonNode, parent: string | undefined): void {
    const from = isNode(query.from) && Array.isArray(query.from.exprs) ? query.from.exprs : [];
    const first = from.find(isNode);
    if (!first) return;
    const table = soqlPath(first.table);
    const tableId = table[table.length - 1];
    if (!tableId || table.length !== 1) return;
    let object: string | undefined;
    if (parent) {
      this.report(
        this.refs.checkChildRelationship(parent, tableId.value),
        tableId,
        `subquery FROM ${tableId.value}`
      );
      object = this.refs.childObject(parent, tableId.value);
    } else {
      const verdict = this.refs.checkObject(tableId.value);
      this.report(verdict, tableId, `FROM ${tableId.value}`);
      object = verdict ? undefined : this.refs.objectName(tableId.value);
    }
    if (!object) return;
    const alias = (optional(first.alias) as Identifier | undefined)?.value?.toLowerCase();
    const selectAliases = new Set<string>();
    const walk = (node: JsonNode): void => {
      const kind = classOf(node);
      if (kind === `${SOQL}SelectExpr$SelectCaseExpr` && isNode(node.expr)) {
        this.readTypeOf(node.expr, object);
        return;
      }
      if (kind === `${SOQL}ColonExpr`) return;
      if (kind === `${SOQL}QueryExpr$ApexExpr`) return;
      if (kind === `${SOQL}SelectExpr$SelectInnerQuery` && isNode(node.query)) {
        this.readQuery(node.query, object);
        return;
      }
      if (kind === `${SOQL}Query`) {
        this.readQuery(node, undefined);
        return;
      }
      if (kind === `${SOQL}SelectExpr$SelectColumnExpr`) {
        const aliasId = optional(node.alias) as Identifier | undefined;
        if (aliasId) selectAliases.add(aliasId.value.toLowerCase());
      }
      if (kind === `${SOQL}Field`) {
        // FIELDS(ALL | STANDARD | CUSTOM) names a field set, not a field.
        const fn = optional(node.function1) as Identifier | undefined;
        if (fn?.value.toUpperCase() === 'FIELDS') return;
        this.readField(object, soqlPath(node.field), alias, selectAliases);
        return;
      }
      for (const child of childNodes(node, NOT_FIELDS)) walk(child);
    };
    // SELECT first, so that its aliases are known when ORDER BY / HAVING use them.
    if (isNode(query.select)) walk(query.select);
    for (const child of childNodes(query, new Set([...NOT_FIELDS, 'select']))) walk(child);
  }

  /**
   * `TYPEOF What WHEN Account THEN Phone ELSE Name END`: the relationship on the queried object,
   * each WHEN branch's fields on its object, the ELSE fields on `Name` (what a polymorphic
   * relationship is otherwise read as).
   */
  private readTypeOf(caseExpr: JsonNode, object: string): void {
    const relationship = isNode(caseExpr.op) ? soqlPath(caseExpr.op.identifier) : [];
    const names = relationship.map((r) => r.value);
    if (names.length > 0) {
      this.report(
        this.refs.checkPath(object, names, { lastMayBeRelationship: true, soql: true }),
        relationship[relationship.length - 1],
        `SOQL TYPEOF ${names.join('.')} (FROM ${object})`
      );
    }
    const branches: { type: Identifier | undefined; fields: unknown[] }[] = [];
    for (const when of Array.isArray(caseExpr.whenBranches) ? caseExpr.whenBranches : []) {
      if (!isNode(when)) continue;
      const type = isNode(when.op) ? (when.op.identifier as Identifier | undefined) : undefined;
      branches.push({ type, fields: Array.isArray(when.identifiers) ? when.identifiers : [] });
    }
    const otherwise = optional(caseExpr.elseBranch);
    if (otherwise && Array.isArray(otherwise.identifiers)) {
      branches.push({ type: undefined, fields: otherwise.identifiers });
    }
    for (const branch of branches) {
      let target = 'Name';
      if (branch.type) {
        const verdict = this.refs.checkObject(branch.type.value);
        this.report(verdict, branch.type, `SOQL TYPEOF WHEN ${branch.type.value}`);
        const known = verdict ? undefined : this.refs.objectName(branch.type.value);
        if (!known) continue;
        target = known;
      }
      for (const field of branch.fields) {
        this.readField(target, soqlPath(field), undefined, new Set());
      }
    }
  }

  private readField(
    object: string,
    path: Identifier[],
    alias: string | undefined,
    selectAliases: ReadonlySet<string>
  ): void {
    let segments = path;
    if (alias && segments.length > 1 && segments[0]?.value.toLowerCase() === alias) {
      segments = segments.slice(1);
    }
    const only = segments[0];
    if (!only || (segments.length === 1 && selectAliases.has(only.value.toLowerCase()))) return;
    // `SELECT Account.Name FROM Account` may name the object itself first.
    if (segments.length > 1 && only.value.toLowerCase() === object.toLowerCase()) {
      const direct = this.refs.checkPath(
        object,
        segments.map((s) => s.value),
        { soql: true }
      );
      if (direct) segments = segments.slice(1);
    }
    const names = segments.map((s) => s.value);
    const verdict = this.refs.checkPath(object, names, { soql: true });
    if (!verdict) return;
    let at = segments[segments.length - 1];
    for (let i = 1; i < segments.length; i++) {
      const prefix = names.slice(0, i);
      if (this.refs.checkPath(object, prefix, { lastMayBeRelationship: true, soql: true })) {
        at = segments[i - 1];
        break;
      }
    }
    this.report(verdict, at, `SOQL ${names.join('.')} (FROM ${object})`);
  }
}

/** An expression as the finding quotes it (arguments and indexes elided). */
function render(node: JsonNode): string {
  const kind = classOf(node);
  const names = identifiers(node.names)
    .map((n) => n.value)
    .join('.');
  const base = optional(node.dottedExpr);
  const dotted = (text: string): string =>
    base ? `${render(base)}${node.isSafeNav === true ? '?.' : '.'}${text}` : text;
  if (kind === `${AST}Expr$VariableExpr`) return dotted(names);
  if (kind === `${AST}Expr$MethodCallExpr`) return dotted(`${names}(...)`);
  if (kind === `${AST}Expr$ThisVariableExpr`) return 'this';
  if (kind === `${AST}Expr$TriggerVariableExpr`) {
    return `Trigger.${(node.variable as Identifier | undefined)?.value ?? ''}`;
  }
  if (kind === `${AST}Expr$ArrayExpr` && isNode(node.expr)) return `${render(node.expr)}[...]`;
  if (kind === `${AST}Expr$NestedExpr` && isNode(node.expr)) return `(${render(node.expr)})`;
  if (kind === `${AST}Expr$CastExpr` && isNode(node.type) && isNode(node.expr)) {
    const type = identifiers(node.type.names)
      .map((n) => n.value)
      .join('.');
    return `(${type}) ${render(node.expr)}`;
  }
  return '...';
}

/** (a) and (b) of the cross-reference check: every class and trigger of the project. */
export async function apexReferenceFindings(ws: Workspace, refs: SchemaRefs): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const file of filesEnding(ws, '.cls', '.trigger')) {
    let unit: unknown;
    try {
      unit = await parseApexTree(await readFile(file, 'utf8'));
    } catch {
      // Syntax errors are the apex and format checks' findings.
      continue;
    }
    if (!isNode(unit)) continue;
    const reader = new ApexReferenceReader(refs, rel(ws, file));
    reader.readUnit(unit);
    findings.push(...reader.findings);
  }
  return findings;
}
