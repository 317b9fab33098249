/**
 * SOQL parser: tokens to a QueryNode, with Salesforce's syntax rules and MALFORMED_QUERY
 * messages (`unexpected token: 'FORM'`, `'<EOF>'` at the end). Faithful details:
 * - clauses in SOQL's fixed order (WHERE, WITH, GROUP BY, HAVING, ORDER BY, LIMIT, OFFSET, FOR);
 * - AND and OR cannot be mixed without parentheses (Salesforce rejects `a AND b OR c` at the
 *   OR); NOT applies to the condition that follows it;
 * - an alias follows an expression only where the SELECT list goes on or ends (whether the
 *   query may alias it is the resolver's question: only aggregate queries alias plain fields).
 * Schema checks (unknown object or field, literal types) are the org emulator's, in
 * simulators/salesforce/src/soql/resolve.ts; this parser is the project's one SOQL parser (the
 * emulator's and the services'; docs/salesforce-emulator.md, "One SOQL parser").
 */
import type {
  CallNode,
  ConditionNode,
  ExpressionNode,
  FieldPathNode,
  GroupByNode,
  LiteralNode,
  OrderByItem,
  QueryNode,
  SelectItem,
  TypeofNode
} from './ast.ts';
import { isFixedDateLiteral, isParameterisedDateLiteral } from './date-literal-names.ts';
import { type Token, tokenize } from './lexer.ts';
import { malformedQuery, unexpectedToken } from './syntax-error.ts';

/** Words that end a field list or cannot name a field or an alias. */
const RESERVED = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'IN',
  'LIKE',
  'NULL',
  'TRUE',
  'FALSE',
  'ORDER',
  'BY',
  'LIMIT',
  'OFFSET',
  'WITH',
  'GROUP',
  'HAVING',
  'ASC',
  'DESC',
  'NULLS',
  'INCLUDES',
  'EXCLUDES',
  'TYPEOF',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'USING',
  'SCOPE',
  'FOR',
  'UPDATE'
]);

const MAX_INTEGER = 2_147_483_647;

class Parser {
  private index = 0;
  /** Offset just past the last token read (0 before the first). */
  private lastEnd = 0;

  constructor(
    private readonly query: string,
    private readonly tokens: Token[]
  ) {}

  private peek(ahead = 0): Token {
    const token = this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)];
    if (!token) throw new Error('no tokens');
    return token;
  }

  private next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) {
      this.index++;
      this.lastEnd = token.offset + token.text.length;
    }
    return token;
  }

  private isWord(token: Token, word: string): boolean {
    return token.type === 'ident' && token.text.toUpperCase() === word;
  }

  private isPunct(token: Token, char: string): boolean {
    return token.type === 'punct' && token.text === char;
  }

  private unexpected(token: Token = this.peek()): Error {
    return unexpectedToken(this.query, token.offset, token.text);
  }

  private expectWord(word: string): Token {
    const token = this.peek();
    if (!this.isWord(token, word)) throw this.unexpected(token);
    return this.next();
  }

  private expectPunct(char: string): Token {
    const token = this.peek();
    if (!this.isPunct(token, char)) throw this.unexpected(token);
    return this.next();
  }

  private acceptWord(word: string): boolean {
    if (!this.isWord(this.peek(), word)) return false;
    this.next();
    return true;
  }

  private isNameToken(token: Token): boolean {
    return token.type === 'ident' && !RESERVED.has(token.text.toUpperCase());
  }

  parseStatement(): QueryNode {
    const query = this.parseQuery(false);
    const rest = this.peek();
    if (rest.type !== 'eof') throw this.unexpected(rest);
    return query;
  }

  private parseQuery(nested: boolean): QueryNode {
    const start = this.expectWord('SELECT').offset;
    const select = this.commaList(() => this.parseSelectItem());
    this.expectWord('FROM');
    const fromToken = this.peek();
    const from: QueryNode['from'] = { name: fromToken.text, offset: fromToken.offset };
    // `FROM Group` names the Group object: GROUP BY cannot follow FROM.
    if (this.isWord(fromToken, 'GROUP')) this.next();
    else from.name = this.parsePath().text;
    if (this.isNameToken(this.peek())) from.alias = this.next().text;
    if (this.acceptWord('USING')) {
      this.expectWord('SCOPE');
      if (this.peek().type !== 'ident') throw this.unexpected();
      const scope = this.next();
      from.scope = { name: scope.text, offset: scope.offset };
    }
    const query: QueryNode = {
      select,
      from,
      orderBy: [],
      start,
      whereInsertAt: this.lastEnd,
      end: this.lastEnd
    };
    if (this.acceptWord('WHERE')) {
      const conditionStart = this.peek().offset;
      query.where = this.parseCondition();
      query.whereSpan = { start: conditionStart, end: this.lastEnd };
    }
    if (this.isWord(this.peek(), 'WITH')) {
      query.withOffset = this.next().offset;
      const mode = this.peek();
      if (mode.type !== 'ident' || this.isWord(mode, 'DATA')) throw this.unexpected(mode);
      query.with = this.next().text.toUpperCase();
    }
    if (this.isWord(this.peek(), 'GROUP')) {
      query.groupBy = this.parseGroupBy();
      if (this.acceptWord('HAVING')) query.having = this.parseCondition();
    }
    if (this.isWord(this.peek(), 'ORDER')) {
      query.orderByOffset = this.next().offset;
      this.expectWord('BY');
      query.orderBy = this.commaList(() => this.parseOrderItem());
    }
    if (this.isWord(this.peek(), 'LIMIT')) {
      this.next();
      query.limit = this.parseInteger();
    }
    if (this.isWord(this.peek(), 'OFFSET')) {
      this.next();
      query.offset = this.parseInteger();
    }
    if (!nested && this.isWord(this.peek(), 'FOR')) {
      const offset = this.next().offset;
      const what = this.peek();
      const mode = what.text.toUpperCase();
      if (mode !== 'VIEW' && mode !== 'REFERENCE' && mode !== 'UPDATE') {
        throw this.unexpected(what);
      }
      this.next();
      query.for = { mode, offset };
    }
    query.end = this.lastEnd;
    return query;
  }

  private parseInteger(): { value: number; offset: number } {
    const token = this.peek();
    if (token.type !== 'number' || token.text.includes('.')) throw this.unexpected(token);
    this.next();
    const value = Number(token.text);
    if (value > MAX_INTEGER) {
      throw malformedQuery(this.query, token.offset, `numeric value out of range: ${token.text}`);
    }
    return { value, offset: token.offset };
  }

  /** `GROUP BY a, b` or `GROUP BY ROLLUP(a, b)` / `CUBE(a, b)`. */
  private parseGroupBy(): GroupByNode {
    const offset = this.next().offset;
    this.expectWord('BY');
    const word = this.peek().text.toUpperCase();
    if ((word === 'ROLLUP' || word === 'CUBE') && this.isPunct(this.peek(1), '(')) {
      this.next();
      this.next();
      const expressions = this.parseExpressionList();
      this.expectPunct(')');
      return { mode: word, expressions, offset };
    }
    return { mode: 'PLAIN', expressions: this.parseExpressionList(), offset };
  }

  /** One or more items separated by commas. */
  private commaList<T>(item: () => T): T[] {
    const items = [item()];
    while (this.isPunct(this.peek(), ',')) {
      this.next();
      items.push(item());
    }
    return items;
  }

  private parseExpressionList(): ExpressionNode[] {
    return this.commaList(() => this.parseExpression());
  }

  /** A field path, or a function call such as `CALENDAR_YEAR(CreatedDate)` or `COUNT()`. */
  private parseExpression(): ExpressionNode {
    const token = this.peek();
    if (token.type === 'ident' && this.isPunct(this.peek(1), '(')) return this.parseCall();
    return this.parsePath();
  }

  private parseCall(): CallNode {
    const nameToken = this.next();
    this.expectPunct('(');
    const args = this.isPunct(this.peek(), ')') ? [] : this.parseExpressionList();
    const close = this.expectPunct(')');
    return {
      kind: 'call',
      name: nameToken.text.toUpperCase(),
      args,
      offset: nameToken.offset,
      text: this.query.slice(nameToken.offset, close.offset + 1)
    };
  }

  private parseOrderItem(): OrderByItem {
    const item: OrderByItem = { expression: this.parseExpression(), descending: false };
    if (this.acceptWord('DESC')) item.descending = true;
    else this.acceptWord('ASC');
    if (this.acceptWord('NULLS')) {
      const which = this.peek();
      if (this.isWord(which, 'FIRST')) item.nulls = 'FIRST';
      else if (this.isWord(which, 'LAST')) item.nulls = 'LAST';
      else throw this.unexpected(which);
      this.next();
    }
    return item;
  }

  private parseSelectItem(): SelectItem {
    const token = this.peek();
    if (this.isPunct(token, '(')) {
      this.next();
      if (!this.isWord(this.peek(), 'SELECT')) throw this.unexpected();
      const query = this.parseQuery(true);
      this.expectPunct(')');
      return { kind: 'subquery', query, offset: token.offset };
    }
    if (this.isWord(token, 'TYPEOF')) return this.parseTypeof();
    if (this.isWord(token, 'FIELDS') && this.isPunct(this.peek(1), '(')) return this.parseFields();
    if (!this.isNameToken(token)) throw this.unexpected(token);
    const item: SelectItem = { kind: 'expression', expression: this.parseExpression() };
    const after = this.peek();
    if (this.isNameToken(after)) {
      // A name after an expression is its alias only where the list goes on or ends.
      const following = this.peek(1);
      if (!this.isPunct(following, ',') && !this.isWord(following, 'FROM')) {
        throw this.unexpected(after);
      }
      item.alias = { name: this.next().text, offset: after.offset };
    }
    return item;
  }

  private parseFields(): SelectItem {
    const offset = this.next().offset;
    this.expectPunct('(');
    const scope = this.next();
    const upper = scope.text.toUpperCase();
    if (upper !== 'ALL' && upper !== 'STANDARD' && upper !== 'CUSTOM') {
      throw this.unexpected(scope);
    }
    this.expectPunct(')');
    return { kind: 'fields', scope: upper, offset };
  }

  /** `TYPEOF field WHEN Type THEN fields ... [ELSE fields] END`. */
  private parseTypeof(): TypeofNode {
    const offset = this.next().offset;
    const path = this.parsePath();
    if (!this.isWord(this.peek(), 'WHEN')) throw this.unexpected();
    const branches: TypeofNode['branches'] = [];
    while (this.acceptWord('WHEN')) {
      // An object name, reserved word or not (`WHEN Group THEN`).
      const type = this.peek();
      if (type.type !== 'ident') throw this.unexpected(type);
      this.next();
      this.expectWord('THEN');
      branches.push({ type: type.text, typeOffset: type.offset, fields: this.parsePathList() });
    }
    const otherwise = this.acceptWord('ELSE') ? this.parsePathList() : [];
    this.expectWord('END');
    return { kind: 'typeof', path, branches, otherwise, offset };
  }

  private parsePathList(): FieldPathNode[] {
    const paths = [this.parsePath()];
    while (this.isPunct(this.peek(), ',') && !this.isWord(this.peek(1), 'WHEN')) {
      this.next();
      paths.push(this.parsePath());
    }
    return paths;
  }

  private parsePath(): FieldPathNode {
    const first = this.peek();
    if (!this.isNameToken(first)) throw this.unexpected(first);
    this.next();
    const segments = [first.text];
    while (this.isPunct(this.peek(), '.')) {
      this.next();
      const segment = this.peek();
      if (segment.type !== 'ident') throw this.unexpected(segment);
      segments.push(this.next().text);
    }
    return { kind: 'path', segments, offset: first.offset, text: segments.join('.') };
  }

  private parseCondition(): ConditionNode {
    const first = this.parseUnary();
    const token = this.peek();
    if (!this.isWord(token, 'AND') && !this.isWord(token, 'OR')) return first;
    const word = token.text.toUpperCase();
    const operands = [first];
    while (this.isWord(this.peek(), word)) {
      this.next();
      operands.push(this.parseUnary());
    }
    // SOQL requires parentheses to combine AND with OR.
    const other = word === 'AND' ? 'OR' : 'AND';
    if (this.isWord(this.peek(), other)) throw this.unexpected();
    return { kind: word === 'AND' ? 'and' : 'or', operands };
  }

  private parseUnary(): ConditionNode {
    const token = this.peek();
    if (this.isWord(token, 'NOT')) {
      this.next();
      return { kind: 'not', operand: this.parseUnary() };
    }
    if (this.isPunct(token, '(')) {
      this.next();
      const inner = this.parseCondition();
      this.expectPunct(')');
      return inner;
    }
    return this.parseSimpleCondition();
  }

  private parseSimpleCondition(): ConditionNode {
    const left = this.parseExpression();
    const token = this.peek();
    if (this.isWord(token, 'NOT') || this.isWord(token, 'IN')) {
      const negated = this.isWord(token, 'NOT');
      if (negated) {
        this.next();
        if (!this.isWord(this.peek(), 'IN')) throw this.unexpected();
      }
      const offset = this.next().offset;
      this.expectPunct('(');
      if (this.isWord(this.peek(), 'SELECT')) {
        const query = this.parseQuery(true);
        this.expectPunct(')');
        return { kind: 'inQuery', left, negated, query, offset };
      }
      const values = this.parseValueList();
      return { kind: 'in', left, negated, values, offset };
    }
    if (this.isWord(token, 'INCLUDES') || this.isWord(token, 'EXCLUDES')) {
      const offset = this.next().offset;
      this.expectPunct('(');
      const values = this.parseValueList();
      return { kind: 'includes', left, excludes: this.isWord(token, 'EXCLUDES'), values, offset };
    }
    if (this.isWord(token, 'LIKE')) {
      this.next();
      return {
        kind: 'compare',
        left,
        operator: 'LIKE',
        value: this.parseValue(),
        operatorOffset: token.offset
      };
    }
    if (token.type === 'operator') {
      this.next();
      const operator = token.text === '<>' ? '!=' : (token.text as '=' | '!=' | '<' | '>');
      return {
        kind: 'compare',
        left,
        operator,
        value: this.parseValue(),
        operatorOffset: token.offset
      };
    }
    throw this.unexpected(token);
  }

  /** `(v1, v2, ...)` after the opening parenthesis. */
  private parseValueList(): LiteralNode[] {
    const values = this.commaList(() => this.parseValue());
    this.expectPunct(')');
    return values;
  }

  private parseValue(): LiteralNode {
    const token = this.peek();
    const { offset, text } = token;
    switch (token.type) {
      case 'string':
        this.next();
        return { kind: 'string', value: token.value ?? '', offset, text };
      case 'number':
        this.next();
        return { kind: 'number', value: Number(text), offset, text };
      case 'date':
        this.next();
        this.checkDate(token);
        return { kind: 'date', value: text, offset, text };
      case 'datetime': {
        this.next();
        this.checkDate(token);
        return { kind: 'datetime', epochMs: parseDateTimeLiteral(text), offset, text };
      }
      case 'punct':
        if (text === '-' || text === '+') {
          const number = this.peek(1);
          if (number.type !== 'number') throw this.unexpected(number);
          this.next();
          this.next();
          const value = Number(number.text) * (text === '-' ? -1 : 1);
          return { kind: 'number', value, offset, text: text + number.text };
        }
        throw this.unexpected(token);
      case 'ident': {
        const upper = text.toUpperCase();
        if (upper === 'NULL') {
          this.next();
          return { kind: 'null', offset, text };
        }
        if (upper === 'TRUE' || upper === 'FALSE') {
          this.next();
          return { kind: 'boolean', value: upper === 'TRUE', offset, text };
        }
        if (isFixedDateLiteral(upper)) {
          this.next();
          return { kind: 'dateLiteral', name: upper, offset, text };
        }
        if (isParameterisedDateLiteral(upper)) {
          this.next();
          this.expectPunct(':');
          const n = this.parseInteger();
          return {
            kind: 'dateLiteral',
            name: upper,
            n: n.value,
            offset,
            text: `${text}:${n.value}`
          };
        }
        throw this.unexpected(token);
      }
      default:
        throw this.unexpected(token);
    }
  }

  private checkDate(token: Token): void {
    const [year, month, day] = token.text.slice(0, 10).split('-').map(Number);
    const date = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1));
    const time = /T(\d{2}):(\d{2}):(\d{2})/.exec(token.text);
    const badTime =
      time !== null && (Number(time[1]) > 23 || Number(time[2]) > 59 || Number(time[3]) > 59);
    if (badTime || date.getUTCMonth() !== (month ?? 1) - 1 || date.getUTCDate() !== day) {
      throw malformedQuery(this.query, token.offset, `Invalid date: ${token.text}`);
    }
  }
}

/** Epoch milliseconds of `2026-11-29T03:00:00Z`, `...+01:00` or `...-0800`. */
export function parseDateTimeLiteral(text: string): number {
  const match =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):?(\d{2}))$/.exec(
      text
    );
  if (!match) return Number.NaN;
  const [, y, mo, d, h, mi, s, fraction, zone, sign, zh, zm] = match;
  const ms = fraction ? Number(fraction.slice(0, 3).padEnd(3, '0')) : 0;
  let epoch = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (zone !== 'Z') {
    const offsetMinutes = Number(zh) * 60 + Number(zm);
    epoch -= (sign === '-' ? -1 : 1) * offsetMinutes * 60_000;
  }
  return epoch;
}

/** Parses one SOQL statement; throws SoqlSyntaxError (Salesforce's MALFORMED_QUERY) on syntax errors. */
export function parseSoql(query: string): QueryNode {
  return new Parser(query, tokenize(query)).parseStatement();
}
