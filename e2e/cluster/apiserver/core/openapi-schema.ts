/**
 * Custom resources against their CRD version's structural openAPIV3Schema, the way
 * apiextensions-apiserver does it: null values of non-nullable fields dropped, unknown fields
 * pruned (reported back as `unknown field "…"`, the server's warning text), defaults applied, then
 * kube-openapi validation turned into field errors with kube-openapi's wording (type, required,
 * enum, pattern, format, min/max, length, items, properties, oneOf/anyOf/allOf/not). CEL rules
 * (x-kubernetes-validations) are not evaluated: the install uses none. Pure.
 */
import { clone, isObject, jsonTypeName, type JsonObject } from './json';
import { type FieldError, invalid, notSupported, required, typeInvalid } from './status';

export type Schema = JsonObject;

/** The standard ObjectMeta fields a custom resource keeps (everything else in metadata is pruned). */
const objectMetaFields = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

const child = (path: string, name: string) => (path ? `${path}.${name}` : name);

/** Drops nulls of non-nullable fields and unknown fields; returns the pruned paths. Mutates `value`. */
export function prune(value: JsonObject, schema: Schema): string[] {
  const pruned: string[] = [];
  for (const key of Object.keys(value)) {
    if (key === 'apiVersion' || key === 'kind') continue;
    if (key === 'metadata') {
      if (isObject(value.metadata)) for (const k of Object.keys(value.metadata)) if (!objectMetaFields.has(k)) { delete value.metadata[k]; pruned.push(`metadata.${k}`); }
      continue;
    }
    pruneNode(value, key, propertySchema(schema, key), key, pruned);
  }
  return pruned;
}

function propertySchema(schema: Schema, key: string): Schema | undefined {
  if (isObject(schema.properties) && isObject(schema.properties[key])) return schema.properties[key];
  if (isObject(schema.additionalProperties)) return schema.additionalProperties;
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return {};
  return undefined;
}

function pruneNode(parent: JsonObject | unknown[], key: string | number, schema: Schema | undefined, path: string, pruned: string[]): void {
  const value = (parent as Record<string | number, unknown>)[key];
  if (schema === undefined) {
    if (Array.isArray(parent)) return;
    delete (parent as JsonObject)[key as string];
    pruned.push(path);
    return;
  }
  if (value === null && schema.nullable !== true && !Array.isArray(parent)) {
    delete (parent as JsonObject)[key as string];
    return;
  }
  if (isObject(value)) {
    if (schema['x-kubernetes-embedded-resource'] === true || (schema['x-kubernetes-preserve-unknown-fields'] === true && !schema.properties && !schema.additionalProperties)) return;
    for (const k of Object.keys(value)) pruneNode(value, k, propertySchema(schema, k), child(path, k), pruned);
  } else if (Array.isArray(value) && isObject(schema.items)) {
    value.forEach((_, i) => pruneNode(value, i, schema.items as Schema, `${path}[${i}]`, pruned));
  }
}

/** Structural defaulting: a missing property with a `default` gets it (under objects that exist). */
export function applyDefaults(value: unknown, schema: Schema): void {
  if (isObject(value) && isObject(schema.properties)) {
    for (const [k, s] of Object.entries(schema.properties)) {
      if (!isObject(s)) continue;
      if (value[k] === undefined && s.default !== undefined) value[k] = clone(s.default);
      if (value[k] !== undefined) applyDefaults(value[k], s);
    }
    if (isObject(schema.additionalProperties)) {
      for (const k of Object.keys(value)) if (!(isObject(schema.properties) && k in schema.properties)) applyDefaults(value[k], schema.additionalProperties);
    }
  } else if (Array.isArray(value) && isObject(schema.items)) {
    for (const item of value) applyDefaults(item, schema.items);
  }
}

/** Go's %v of a number as the messages print it. */
const num = (n: unknown) => String(n);

const formats: Record<string, (s: string) => boolean> = {
  'date-time': (s) => /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s),
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  ipv4: (s) => /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(s),
  hostname: (s) => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(s) && s.length <= 255,
  byte: (s) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0,
};

interface Result {
  errors: FieldError[];
}

/** Validates `value` (the whole object) against the schema; returns field errors in kube-openapi's order and words. */
export function validate(value: unknown, schema: Schema): FieldError[] {
  const r: Result = { errors: [] };
  validateNode(value, schema, '', r);
  return r.errors;
}

const composite = (message: string): FieldError => ({ type: 'FieldValueInvalid', field: '<nil>', value: '', detail: message });

function typeMatches(value: unknown, type: unknown, schema: Schema): boolean {
  if (schema['x-kubernetes-int-or-string'] === true) return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
  switch (type) {
    case 'object': return isObject(value);
    case 'array': return Array.isArray(value);
    case 'string': return typeof value === 'string';
    case 'integer': return typeof value === 'number' && Number.isInteger(value);
    case 'number': return typeof value === 'number';
    case 'boolean': return typeof value === 'boolean';
    default: return true;
  }
}

function validateNode(value: unknown, schema: Schema, path: string, r: Result): void {
  const name = path || '.';
  if (value === null) {
    if (schema.nullable === true || schema.type === undefined) return;
    r.errors.push(typeInvalid(path, 'null', `${name} in body must be of type ${String(schema.type)}: "null"`));
    return;
  }
  if (schema['x-kubernetes-int-or-string'] === true && !typeMatches(value, undefined, schema)) {
    // apiextensions validates int-or-string as anyOf: [{type: integer}, {type: string}].
    const actual = jsonTypeName(value);
    r.errors.push(composite(`${JSON.stringify(path)} must validate at least one schema (anyOf)`), typeInvalid(path, actual, `${name} in body must be of type integer: "${actual}"`));
    return;
  }
  if (schema.type !== undefined && !typeMatches(value, schema.type, schema)) {
    const actual = jsonTypeName(value);
    r.errors.push(typeInvalid(path, actual, `${name} in body must be of type ${String(schema.type)}: "${actual}"`));
    return;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    r.errors.push(notSupported(path, value, schema.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
  }
  if (typeof value === 'string') {
    if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) r.errors.push({ type: 'FieldValueTooLong', field: path, value, detail: `may not be longer than ${schema.maxLength}` });
    if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) r.errors.push(invalid(path, value, `${name} in body should be at least ${schema.minLength} chars long`));
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) r.errors.push(invalid(path, value, `${name} in body should match '${schema.pattern}'`));
    const check = typeof schema.format === 'string' ? formats[schema.format] : undefined;
    if (check && !check(value)) r.errors.push(typeInvalid(path, value, `${name} in body must be of type ${String(schema.format)}: ${JSON.stringify(value)}`));
  }
  if (typeof value === 'number') {
    if (typeof schema.maximum === 'number' && (schema.exclusiveMaximum === true ? value >= schema.maximum : value > schema.maximum)) {
      r.errors.push(invalid(path, value, `${name} in body should be less than ${schema.exclusiveMaximum === true ? '' : 'or equal to '}${num(schema.maximum)}`));
    }
    if (typeof schema.minimum === 'number' && (schema.exclusiveMinimum === true ? value <= schema.minimum : value < schema.minimum)) {
      r.errors.push(invalid(path, value, `${name} in body should be greater than ${schema.exclusiveMinimum === true ? '' : 'or equal to '}${num(schema.minimum)}`));
    }
    if (typeof schema.multipleOf === 'number' && schema.multipleOf > 0 && !Number.isInteger(value / schema.multipleOf)) {
      r.errors.push(invalid(path, value, `${name} in body should be a multiple of ${num(schema.multipleOf)}`));
    }
  }
  if (Array.isArray(value)) {
    if (isObject(schema.items)) value.forEach((item, i) => validateNode(item, schema.items as Schema, `${path}[${i}]`, r));
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) r.errors.push(invalid(path, value.length, `${name} in body should have at least ${schema.minItems} items`));
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) r.errors.push({ type: 'FieldValueTooMany', field: path, value: value.length, detail: `must have at most ${schema.maxItems} items` });
    if (schema['x-kubernetes-list-type'] === 'set' || schema['x-kubernetes-list-type'] === 'map') {
      const keys = schema['x-kubernetes-list-type'] === 'map' && Array.isArray(schema['x-kubernetes-list-map-keys']) ? (schema['x-kubernetes-list-map-keys'] as string[]) : undefined;
      const seen = new Set<string>();
      value.forEach((item, i) => {
        const id = keys && isObject(item) ? JSON.stringify(keys.map((k) => item[k] ?? null)) : JSON.stringify(item);
        if (seen.has(id)) r.errors.push({ type: 'FieldValueDuplicate', field: `${path}[${i}]`, value: keys && isObject(item) ? Object.fromEntries(keys.map((k) => [k, item[k]])) : item });
        seen.add(id);
      });
    }
  }
  if (isObject(value)) {
    const count = Object.keys(value).length;
    if (typeof schema.maxProperties === 'number' && count > schema.maxProperties) r.errors.push({ type: 'FieldValueTooMany', field: path, value: count, detail: `must have at most ${schema.maxProperties} items` });
    if (typeof schema.minProperties === 'number' && count < schema.minProperties) r.errors.push(invalid(path, count, `${name} in body should have at least ${schema.minProperties} properties`));
    for (const key of Array.isArray(schema.required) ? (schema.required as string[]) : []) {
      if (!Object.hasOwn(value, key)) r.errors.push(required(child(path, key)));
    }
    for (const [k, v] of Object.entries(value)) {
      if (path === '' && k === 'metadata') continue; // ObjectMeta is validated as for every kind
      const s = isObject(schema.properties) && isObject(schema.properties[k]) ? schema.properties[k] : isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
      if (s) validateNode(v, s, child(path, k), r);
    }
  }
  validateCombinators(value, schema, path, r);
}

function alternatives(value: unknown, list: unknown, path: string): { valid: number; best?: FieldError[] } {
  let valid = 0;
  let best: FieldError[] | undefined;
  for (const alt of Array.isArray(list) ? list : []) {
    if (!isObject(alt)) continue;
    const r: Result = { errors: [] };
    validateNode(value, alt, path, r);
    if (r.errors.length === 0) valid++;
    else if (!best || r.errors.length < best.length) best = r.errors;
  }
  return { valid, ...(best ? { best } : {}) };
}

function validateCombinators(value: unknown, schema: Schema, path: string, r: Result): void {
  const quoted = JSON.stringify(path);
  if (Array.isArray(schema.anyOf) && schema.anyOf.length) {
    const { valid, best } = alternatives(value, schema.anyOf, path);
    if (valid === 0) r.errors.push(composite(`${quoted} must validate at least one schema (anyOf)`), ...(best ?? []));
  }
  if (Array.isArray(schema.oneOf) && schema.oneOf.length) {
    const { valid, best } = alternatives(value, schema.oneOf, path);
    if (valid !== 1) {
      r.errors.push(composite(`${quoted} must validate one and only one schema (oneOf). ${valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`}`));
      if (valid === 0) r.errors.push(...(best ?? []));
    }
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length) {
    let valid = 0;
    for (const s of schema.allOf) {
      if (!isObject(s)) continue;
      const sub: Result = { errors: [] };
      validateNode(value, s, path, sub);
      if (sub.errors.length === 0) valid++;
      r.errors.push(...sub.errors);
    }
    if (valid !== schema.allOf.length) r.errors.push(composite(`${quoted} must validate all the schemas (allOf)${valid === 0 ? '. None validated' : ''}`));
  }
  if (isObject(schema.not)) {
    const sub: Result = { errors: [] };
    validateNode(value, schema.not, path, sub);
    if (sub.errors.length === 0) r.errors.push(composite(`${quoted} must not validate the schema (not)`));
  }
}
