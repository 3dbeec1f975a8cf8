/**
 * The validator interpreter of the schema DSL. `parseWithSchema` checks a value against a schema
 * and returns a clean copy (nulls removed, as the Kubernetes API server prunes them; fields the
 * schema marks `drop` left out) or the list of field errors, each with its full path.
 */
import { type Check, type FieldError, Int32Max, type Infer, type ObjectSchema, type PathSegment, type Report, type Schema, fieldSchema } from './dsl';

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
  return max >= Int32Max ? `>= ${min}` : `${min}..${max}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Walks value and schema together. `path` is one mutable stack (pushed and popped around each
 * child) and is formatted only when an error is reported.
 */
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
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        out[i] = parseNode(schema.items, value[i], path, errors);
        path.pop();
      }
      if (errors.length === before) runChecks(schema.checks, out, path, errors);
      return out;
    }
    case 'map': {
      if (!isPlainObject(value)) return fail('must be a mapping of names to values');
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        path.push({ mapKey: key });
        const keyProblem = schema.keys?.check(key);
        if (keyProblem !== undefined) errors.push({ path: formatPath(path), message: `invalid key: ${keyProblem}` });
        // defineProperty: a key named "__proto__" stays an entry instead of replacing the prototype.
        const item = parseNode(schema.values, value[key], path, errors);
        Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
        path.pop();
      }
      return out;
    }
    case 'object':
      return parseObject(schema, value, path, errors);
  }
}

function parseObject(schema: ObjectSchema, value: unknown, path: PathSegment[], errors: FieldError[]): unknown {
  if (!isPlainObject(value)) {
    errors.push({ path: formatPath(path), message: 'must be an object (a mapping of field names to values)' });
    return undefined;
  }
  const errorAt = (key: string, message: string): void => {
    errors.push({ path: formatPath([...path, key]), message });
  };
  const before = errors.length;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (item === null || item === undefined) continue; // the API server prunes nulls; so do we
    const field = Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
    if (field === undefined) {
      if (schema.unknownFields === 'reject') errorAt(key, unknownFieldMessage(key, supportedFields(schema)));
      continue;
    }
    if (field.kind === 'unsupported') {
      errorAt(key, field.reason ? `not supported by Skein: ${field.reason}` : 'not supported by Skein');
      continue;
    }
    path.push(key);
    out[key] = parseNode(fieldSchema(field)!, item, path, errors);
    path.pop();
  }
  for (const key of requiredFields(schema)) if (!Object.hasOwn(out, key)) errorAt(key, 'required');
  for (const group of schema.oneOf) {
    const set = group.fields.filter((f) => Object.hasOwn(out, f));
    if (set.length > 1) {
      errors.push({ path: formatPath(path), message: `set only one of ${group.fields.join(', ')} (found ${set.join(' and ')})` });
    } else if (set.length === 0 && group.required) {
      errors.push({ path: formatPath(path), message: `one of ${group.fields.join(', ')} is required` });
    }
  }
  if (errors.length === before) runChecks(schema.checks, out, path, errors);
  return out;
}

const requiredCache = new WeakMap<ObjectSchema, readonly string[]>();
function requiredFields(schema: ObjectSchema): readonly string[] {
  let names = requiredCache.get(schema);
  if (names === undefined) {
    names = Object.keys(schema.fields).filter((name) => schema.fields[name]!.kind === 'required');
    requiredCache.set(schema, names);
  }
  return names;
}

/** `unknown field, did you mean "route"? (supported: …)` — the hint only for a near miss. */
export function unknownFieldMessage(key: string, supported: readonly string[]): string {
  const near = supported.find((name) => name.toLowerCase() === key.toLowerCase()) ?? supported.find((name) => editDistance(name, key) <= 2);
  const hint = near === undefined ? '' : `, did you mean "${near}"?`;
  return `unknown field${hint} (supported: ${supported.join(', ')})`;
}

/** Levenshtein distance (field names are short). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
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
  for (const check of checks) (check as Check<unknown>).run(value, report);
}
