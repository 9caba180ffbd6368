// Schema validation (ajv) with messages in the one-line form: the field path, what the schema
// expected in words, and what the file holds there.

import { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { describeValue, fieldError, TOP_LEVEL } from './errors.js';

// verbose: errors carry their schema, so an unknown property is answered with the known ones.
const ajv = new Ajv({ allErrors: false, strict: false, verbose: true });

export function compileSchema<T>(schema: object): ValidateFunction<T> {
  return ajv.compile<T>(schema);
}

function valueAt(data: unknown, instancePath: string): unknown {
  let v: unknown = data;
  for (const part of instancePath.split('/').slice(1)) {
    const key = part.replaceAll('~1', '/').replaceAll('~0', '~');
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  }
  return v;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'an object',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
};

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

/** What the failing keyword asked for, in words. */
function expectedWords(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return typeWords(p.type);
    case 'required':
      return 'a value (it is required)';
    case 'additionalProperties':
      return `one of the properties ${knownProperties(e)}`;
    case 'enum':
      return `one of ${JSON.stringify(p.allowedValues)}`;
    case 'const':
      return JSON.stringify(p.allowedValue);
    case 'minimum':
      return `a number at least ${String(p.limit)}`;
    case 'maximum':
      return `a number at most ${String(p.limit)}`;
    case 'minLength':
      return p.limit === 1 ? 'a non-empty string' : `a string of at least ${String(p.limit)} characters`;
    case 'maxLength':
      return `a string of at most ${String(p.limit)} characters`;
    case 'minItems':
      return `at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `at most ${String(p.limit)} items`;
    case 'uniqueItems':
      return `no duplicate items (items ${String(p.j)} and ${String(p.i)} are equal)`;
    default:
      return (e.message ?? 'a valid value').replace(/^must (be )?/, '');
  }
}

function knownProperties(e: ErrorObject): string {
  const props = (e.parentSchema as { properties?: object } | undefined)?.properties;
  return props ? Object.keys(props).join(', ') : 'the schema allows';
}

/** The field a failing keyword is about: a missing or unknown property is named itself. */
function errorField(e: ErrorObject): string {
  const parts = e.instancePath.split('/').slice(1);
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') parts.push(String(p.missingProperty));
  if (e.keyword === 'additionalProperties') parts.push(String(p.additionalProperty));
  return parts.length ? parts.join('.') : TOP_LEVEL;
}

function foundWords(data: unknown, e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return 'nothing';
  if (e.keyword === 'additionalProperties') return `an unknown property '${String(p.additionalProperty)}'`;
  return describeValue(valueAt(data, e.instancePath));
}

export function schemaError(file: string, data: unknown, e: ErrorObject): Error {
  return fieldError(file, errorField(e), expectedWords(e), foundWords(data, e));
}

/** The most specific of several errors (the deepest path), for a schema with alternatives. */
export function deepestError(errors: ErrorObject[]): ErrorObject {
  return errors.reduce((best, e) => (e.instancePath.length > best.instancePath.length ? e : best), errors[0]);
}

/** Validates `data`, or throws the one-line error of the first problem. */
export function validateSchema<T>(file: string, validate: ValidateFunction<T>, data: unknown): T {
  if (validate(data)) return data;
  const errors = validate.errors ?? [];
  throw schemaError(file, data, deepestError(errors));
}
