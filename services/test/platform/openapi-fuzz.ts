// Property-based requests from an OpenAPI 3.1 document (fast-check), for
// openapi-robustness.test.ts. For each operation it generates requests around what the document
// says: valid values from the schemas, and wrong ones aimed at them (missing, extra and
// wrong-typed fields, boundary numbers, oversized strings and bodies, wrong content types,
// invalid JSON, bad authentication, malformed path parameters), with secret-looking values
// (Luhn-valid card numbers, tokens) planted in them. Whether a generated request is valid is
// decided afterwards by checking it against the document (`classify`), not assumed by the
// generator: a document that says less or more than the service enforces makes the test fail.
//
// The JSON Schema support is the subset the services' documents use; any other keyword throws,
// so a document that outgrows it is noticed. String lengths count UTF-16 code units, as zod
// (and Apex) do; JSON Schema counts code points, which differs only for characters outside the
// Basic Multilingual Plane.
import fc from 'fast-check';
import type { OpenAPIV3_1 } from 'openapi-types';
import { CARD_NUMBER_FREE, isPanLikeKey } from '../../src/payments/schemas.ts';

type Schema = Record<string, unknown>;
type Document = OpenAPIV3_1.Document;

const ANNOTATIONS = new Set([
  'description',
  'title',
  'default',
  'examples',
  'example',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$comment'
]);
const KEYWORDS = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'maxItems',
  'anyOf',
  'oneOf',
  'allOf'
]);

/** A number written as is into the JSON text (`1e400`, `-0`, `9007199254740993`). */
export class RawNumber {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold RawNumbers and own `__proto__` keys. */
export function jsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) =>
    v instanceof RawNumber ? `\u0000raw${raws.push(v.text) - 1}\u0000` : v
  );
  return (text ?? '').replace(
    /"\\u0000raw(\d+)\\u0000"/g,
    (_m, i: string) => raws[Number(i)] ?? ''
  );
}

/** An object with `key` as an own, enumerable property, even `__proto__`. */
export function withKey(
  object: Record<string, unknown>,
  key: string,
  value: unknown
): Record<string, unknown> {
  const copy = { ...object };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function regex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return new RegExp(pattern);
  }
}

/** 16-digit card numbers that pass the Luhn check: what no answer may ever quote. */
export const cardNumber: fc.Arbitrary<string> = fc
  .array(fc.integer({ min: 0, max: 9 }), { minLength: 14, maxLength: 14 })
  .map((digits) => {
    const body = [4, ...digits];
    let sum = 0;
    for (let i = 0; i < body.length; i++) {
      let d = body[body.length - 1 - i] ?? 0;
      if (i % 2 === 0) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    return [...body, (10 - (sum % 10)) % 10].join('');
  });

export class SchemaTools {
  constructor(private readonly document: Document) {}

  resolve(schema: unknown): Schema {
    let current = schema as Schema;
    for (let depth = 0; typeof current.$ref === 'string'; depth++) {
      const ref = current.$ref;
      const name = ref.replace('#/components/schemas/', '');
      const target = this.document.components?.schemas?.[name];
      if (!ref.startsWith('#/components/schemas/') || !target || depth > 20)
        throw new Error(`unresolvable $ref ${ref}`);
      current = target as Schema;
    }
    for (const key of Object.keys(current)) {
      if (!KEYWORDS.has(key) && !ANNOTATIONS.has(key) && !key.startsWith('x-'))
        throw new Error(`JSON Schema keyword "${key}" is not supported by openapi-fuzz.ts`);
    }
    if ('format' in current && !('pattern' in current) && current.type === 'string')
      throw new Error(`format "${String(current.format)}" without a pattern is not supported`);
    return current;
  }

  private isType(type: string, value: unknown): boolean {
    switch (type) {
      case 'string':
        return typeof value === 'string';
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value);
      case 'boolean':
        return typeof value === 'boolean';
      case 'null':
        return value === null;
      case 'array':
        return Array.isArray(value);
      case 'object':
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      default:
        throw new Error(`unknown JSON Schema type ${type}`);
    }
  }

  /** Whether `value` satisfies the schema. */
  validate(schema: unknown, value: unknown): boolean {
    const s = this.resolve(schema);
    if (s.type !== undefined) {
      const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
      if (!types.some((type) => this.isType(type, value))) return false;
    }
    if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, value))) return false;
    if ('const' in s && !deepEqual(s.const, value)) return false;
    if (Array.isArray(s.allOf) && !s.allOf.every((sub) => this.validate(sub, value))) return false;
    if (Array.isArray(s.anyOf) && !s.anyOf.some((sub) => this.validate(sub, value))) return false;
    if (Array.isArray(s.oneOf) && s.oneOf.filter((sub) => this.validate(sub, value)).length !== 1)
      return false;
    if (typeof value === 'string') {
      if (typeof s.minLength === 'number' && value.length < s.minLength) return false;
      if (typeof s.maxLength === 'number' && value.length > s.maxLength) return false;
      if (typeof s.pattern === 'string' && !regex(s.pattern).test(value)) return false;
      // The document's extension for what JSON Schema cannot say (payments' keys).
      if (s[CARD_NUMBER_FREE] === true && isPanLikeKey(value)) return false;
    }
    if (typeof value === 'number') {
      if (typeof s.minimum === 'number' && value < s.minimum) return false;
      if (typeof s.maximum === 'number' && value > s.maximum) return false;
      if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) return false;
      if (typeof s.exclusiveMaximum === 'number' && value >= s.exclusiveMaximum) return false;
      if (typeof s.multipleOf === 'number' && !Number.isInteger(value / s.multipleOf)) return false;
    }
    if (Array.isArray(value)) {
      if (typeof s.minItems === 'number' && value.length < s.minItems) return false;
      if (typeof s.maxItems === 'number' && value.length > s.maxItems) return false;
      if (s.items !== undefined && !value.every((item) => this.validate(s.items, item)))
        return false;
    }
    if (this.isType('object', value)) {
      const object = value as Record<string, unknown>;
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      for (const name of (s.required ?? []) as string[]) {
        if (!Object.hasOwn(object, name)) return false;
      }
      for (const [key, child] of Object.entries(object)) {
        if (s.propertyNames !== undefined && !this.validate(s.propertyNames, key)) return false;
        if (Object.hasOwn(properties, key)) {
          if (!this.validate(properties[key], child)) return false;
        } else if (s.additionalProperties === false) {
          return false;
        } else if (
          typeof s.additionalProperties === 'object' &&
          !this.validate(s.additionalProperties, child)
        ) {
          return false;
        }
      }
    }
    return true;
  }

  /** Values the schema accepts (filtered through validate, so a wrong generator cannot lie). */
  valid(schema: unknown): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const checked = (arbitrary: fc.Arbitrary<unknown>) =>
      arbitrary.filter((value) => this.validate(s, value));
    if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
    if ('const' in s) return fc.constant(s.const);
    for (const combinator of ['anyOf', 'oneOf'] as const) {
      const members = s[combinator];
      if (Array.isArray(members)) return checked(fc.oneof(...members.map((m) => this.valid(m))));
    }
    const types = (Array.isArray(s.type) ? s.type : [s.type]) as Array<string | undefined>;
    const arbitraries = types.map((type): fc.Arbitrary<unknown> => {
      switch (type) {
        case 'string': {
          const min = (s.minLength as number | undefined) ?? 0;
          const max = Math.min((s.maxLength as number | undefined) ?? 200, min + 200);
          if (typeof s.pattern === 'string') return checked(fc.stringMatching(regex(s.pattern)));
          return fc.oneof(
            fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: max }),
            fc.string({ unit: 'grapheme', minLength: min, maxLength: max }),
            fc.constantFrom('x'.repeat(min), 'y'.repeat(max))
          );
        }
        case 'integer':
        case 'number': {
          const min = (s.minimum as number | undefined) ?? -(2 ** 31);
          const max = (s.maximum as number | undefined) ?? 2 ** 31 - 1;
          const inRange =
            type === 'integer'
              ? fc.integer({ min: Math.ceil(min), max: Math.floor(max) })
              : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
          return fc.oneof(inRange, fc.constantFrom(min, max));
        }
        case 'boolean':
          return fc.boolean();
        case 'null':
          return fc.constant(null);
        case 'array':
          return fc.array(s.items === undefined ? fc.jsonValue() : this.valid(s.items), {
            minLength: (s.minItems as number | undefined) ?? 0,
            maxLength: Math.min((s.maxItems as number | undefined) ?? 3, 3)
          });
        case 'object': {
          const properties = (s.properties ?? {}) as Record<string, unknown>;
          const record = Object.fromEntries(
            Object.entries(properties).map(([name, child]) => [name, this.valid(child)])
          );
          return fc.record(record, { requiredKeys: (s.required ?? []) as string[] });
        }
        case undefined:
          return fc.jsonValue({ maxDepth: 2 });
        default:
          throw new Error(`unknown JSON Schema type ${type}`);
      }
    });
    return checked(arbitraries.length === 1 ? arbitraries[0]! : fc.oneof(...arbitraries));
  }

  /** Values aimed at the edges of the schema and past them: mostly (not always) invalid. */
  wrong(schema: unknown, secret: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    const edges: unknown[] = [null, true, false, 0, -1, 1.5, '', [], {}, 'text', ['text']];
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    if (type === 'string') {
      const min = (s.minLength as number | undefined) ?? 0;
      const max = s.maxLength as number | undefined;
      if (min > 0) edges.push('x'.repeat(min - 1));
      if (max !== undefined) edges.push('x'.repeat(max + 1), 'y'.repeat(max));
      edges.push(' ', 'z'.repeat(20_000), '\u0000', 'é', '😀'.repeat(30), 'null', '0');
    }
    if (type === 'integer' || type === 'number') {
      const min = (s.minimum as number | undefined) ?? 0;
      const max = (s.maximum as number | undefined) ?? 2 ** 31;
      edges.push(
        min - 1,
        min,
        max,
        max + 1,
        min + 0.5,
        2 ** 53,
        -(2 ** 53),
        1e308,
        -1e308,
        Number.MIN_VALUE,
        String(min),
        new RawNumber('9007199254740993'),
        new RawNumber('1e400'),
        new RawNumber('-1e400'),
        new RawNumber('-0'),
        new RawNumber('1.0'),
        new RawNumber('1E2')
      );
    }
    if (Array.isArray(s.enum)) {
      for (const value of s.enum)
        if (typeof value === 'string') edges.push(value.toLowerCase(), `${value} `);
    }
    return fc.oneof(
      { arbitrary: fc.constantFrom(...edges), weight: 5 },
      { arbitrary: secret, weight: 2 },
      { arbitrary: secret.map((pan) => Number(pan)), weight: 1 },
      { arbitrary: fc.string({ unit: 'grapheme', maxLength: 300 }), weight: 2 },
      { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 1 }
    );
  }

  /** Header-safe (printable ASCII) values aimed at a schema's edges. */
  wrongText(schema: unknown, secret: fc.Arbitrary<string>): fc.Arbitrary<string> {
    const s = this.resolve(schema);
    const edges = ['', 'x', 'null', '0', '-1', 'true', '{}', '[]', '%00', '..', "' OR 1=1 --"];
    if (typeof s.maxLength === 'number') edges.push('x'.repeat(s.maxLength + 1));
    if (typeof s.minLength === 'number' && s.minLength > 0) edges.push('x'.repeat(s.minLength - 1));
    return fc.oneof(
      fc.constantFrom(...edges),
      fc.string({ unit: 'grapheme-ascii', maxLength: 300 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1000, maxLength: 2000 }),
      secret,
      secret.map((pan) => `${pan} ${pan}`),
      this.valid(s).map((v) => `${String(v)} !`)
    );
  }
}
