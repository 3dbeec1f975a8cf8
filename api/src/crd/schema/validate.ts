/**
 * The validator interpreter of the schema DSL. `parseWithSchema` checks a value against a schema
 * and returns a clean copy (nulls removed, as the Kubernetes API server prunes them; fields the
 * schema marks `drop` left out) or the list of field errors, each with its full path.
 */
import { type Check, type FieldError, type Infer, type ObjectSchema, type PathSegment, type Report, type Schema, fieldSchema } from './dsl';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export function parseWithSchema<S extends Schema>(schema: S, value: unknown, path: readonly PathSegment[] = []): ParseResult<Infer<S>> {
  const errors: FieldError[] = [];
  const out = parseNode(schema, value, [...path], errors);
  return errors.length === 0 ? { ok: true, value: out as Infer<S> } : { ok: false, errors };
}

/** `spec.http[0].headers[x-user]`: fields joined by dots, list indexes and map keys in brackets. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'object') out += `[${seg.mapKey}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** Integer ranges as the messages print them: `0..100`, or `>= 0` for "any non-negative int32". */
export function describeRange(min: number, max: number): string {
  return max >= 2_147_483_647 ? `>= ${min}` : `${min}..${max}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseNode(schema: Schema, value: unknown, path: PathSegment[], errors: FieldError[]): unknown {
  const fail = (message: string): undefined => {
    errors.push({ path: formatPath(path), message });
    return undefined;
  };
  switch (schema.kind) {
    case 'string': {
      if (typeof value !== 'string') return fail(schema.format ? `must be a string (${schema.format.name})` : 'must be a string');
      const problem = schema.format?.check(value);
      return problem === undefined ? value : fail(problem);
    }
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < schema.min || value > schema.max) {
        return fail(`must be an integer ${describeRange(schema.min, schema.max)}`);
      }
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < schema.min || value > schema.max) {
        return fail(`must be a number ${schema.min}..${schema.max}`);
      }
      return value;
    case 'bool':
      return typeof value === 'boolean' ? value : fail('must be a boolean (true or false)');
    case 'enum': {
      if (typeof value === 'string' && schema.values.includes(value)) return value;
      if (typeof value === 'string' && Object.hasOwn(schema.rejected, value)) {
        return fail(`${JSON.stringify(value)} is not supported by Skein: ${schema.rejected[value]}`);
      }
      return fail(`must be one of ${schema.values.join(', ')}`);
    }
    case 'array': {
      if (!Array.isArray(value)) return fail('must be a list');
      const before = errors.length;
      if (schema.minItems !== undefined && value.length < schema.minItems) fail(`must have at least ${schema.minItems} item(s)`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems) fail(`must have at most ${schema.maxItems} items`);
      const out = value.map((item, i) => parseNode(schema.items, item, [...path, i], errors));
      if (errors.length === before) runChecks(schema.checks, out, path, errors);
      return out;
    }
    case 'map': {
      if (!isPlainObject(value)) return fail('must be a mapping of names to values');
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const keyPath = [...path, { mapKey: key }];
        const keyProblem = schema.keys?.check(key);
        if (keyProblem !== undefined) errors.push({ path: formatPath(keyPath), message: `invalid key: ${keyProblem}` });
        out[key] = parseNode(schema.values, item, keyPath, errors);
      }
      return out;
    }
    case 'object':
      return parseObject(schema, value, path, errors);
  }
}

function parseObject(schema: ObjectSchema, value: unknown, path: PathSegment[], errors: FieldError[]): unknown {
  const at = (seg: string): string => formatPath([...path, seg]);
  if (!isPlainObject(value)) {
    errors.push({ path: formatPath(path), message: 'must be an object (a mapping of field names to values)' });
    return undefined;
  }
  const before = errors.length;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === null || item === undefined) continue; // the API server prunes nulls; so do we
    const field = Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
    if (field === undefined) {
      if (schema.unknownFields === 'reject') {
        errors.push({ path: at(key), message: `unknown field (supported: ${supportedFields(schema).join(', ')})` });
      }
      continue;
    }
    if (field.kind === 'unsupported') {
      errors.push({ path: at(key), message: field.reason ? `not supported by Skein: ${field.reason}` : 'not supported by Skein' });
      continue;
    }
    out[key] = parseNode(fieldSchema(field)!, item, [...path, key], errors);
  }
  for (const [key, field] of Object.entries(schema.fields)) {
    if (field.kind === 'required' && !(key in out)) errors.push({ path: at(key), message: 'required' });
  }
  for (const group of schema.oneOf) {
    const set = group.fields.filter((f) => f in out);
    if (set.length > 1) {
      errors.push({ path: formatPath(path), message: `set only one of ${group.fields.join(', ')} (found ${set.join(' and ')})` });
    } else if (set.length === 0 && group.required) {
      errors.push({ path: formatPath(path), message: `one of ${group.fields.join(', ')} is required` });
    }
  }
  if (errors.length === before) runChecks(schema.checks, out, path, errors);
  return out;
}

function supportedFields(schema: ObjectSchema): string[] {
  return Object.entries(schema.fields)
    .filter(([, field]) => field.kind !== 'unsupported')
    .map(([name]) => name);
}

/** Checks were typed against the schema's inferred type; the value has just been validated to it. */
function runChecks(checks: readonly Check<never>[], value: unknown, path: PathSegment[], errors: FieldError[]): void {
  const report: Report = (relative, message) => {
    const rel: readonly PathSegment[] = Array.isArray(relative) ? relative : [relative as PathSegment];
    errors.push({ path: formatPath([...path, ...rel]), message });
  };
  for (const check of checks) (check as Check<unknown>)(value, report);
}
