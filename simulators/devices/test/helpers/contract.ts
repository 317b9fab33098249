// A checker for the device reading contract, driven by the schema file itself (its types,
// required and unknown properties, patterns, bounds and the size limit), so the tests check
// against what the contract says rather than a copy of it. It covers the keywords that schema
// uses; the contract test below proves it accepts the examples and refuses the invalid ones.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface PropertySchema {
  type: string | string[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

interface ReadingSchema {
  required: string[];
  additionalProperties: boolean;
  properties: Record<string, PropertySchema>;
  examples: unknown[];
  'x-invalid-examples': Array<{ why: string; message: unknown }>;
  'x-topic': { maxPayloadBytes: number; qos: number };
}

export const readingSchema = JSON.parse(
  readFileSync(
    resolve(import.meta.dirname, '../../../../toolkit/contracts/device-reading.schema.json'),
    'utf8'
  )
) as ReadingSchema;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The problems of a parsed message (empty when it is valid). */
export function readingProblems(message: unknown): string[] {
  if (typeof message !== 'object' || message === null || Array.isArray(message))
    return ['not an object'];
  const record = message as Record<string, unknown>;
  const problems: string[] = [];
  for (const name of readingSchema.required)
    if (!(name in record)) problems.push(`${name} missing`);
  for (const [name, value] of Object.entries(record)) {
    const property = readingSchema.properties[name];
    if (!property) {
      if (!readingSchema.additionalProperties) problems.push(`${name} unknown`);
      continue;
    }
    const types = Array.isArray(property.type) ? property.type : [property.type];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) {
      problems.push(`${name} is ${actual}`);
      continue;
    }
    if (typeof value === 'string' && property.pattern && !new RegExp(property.pattern).test(value))
      problems.push(`${name} does not match ${property.pattern}`);
    if (typeof value === 'string' && name === 'ts' && Number.isNaN(Date.parse(value)))
      problems.push('ts is not a date-time');
    if (typeof value === 'number') {
      if (property.minimum !== undefined && value < property.minimum) problems.push(`${name} low`);
      if (property.maximum !== undefined && value > property.maximum) problems.push(`${name} high`);
    }
  }
  return problems;
}

/** Problems of a raw payload: size, JSON, then the schema. */
export function payloadProblems(payload: Buffer): string[] {
  if (payload.length > readingSchema['x-topic'].maxPayloadBytes) return ['oversized'];
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return ['not JSON'];
  }
  return readingProblems(parsed);
}
