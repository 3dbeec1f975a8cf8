/**
 * Test support: (1) the Kubernetes structural-schema rules, as a checker; (2) a small OpenAPI v3
 * validator for the keywords Skein emits, behaving like the API server with strict field
 * validation (nulls pruned, unknown fields refused). Both are independent of the DSL interpreters
 * they check.
 */
import { re2Problem } from '../re2';

type Node = Record<string, unknown>;

const schemaKeys = new Set([
  'type',
  'description',
  'format',
  'properties',
  'additionalProperties',
  'required',
  'items',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'oneOf',
  'allOf',
  'anyOf',
  'not',
]);
/** Inside junctors Kubernetes allows value validations only: no type, description, default, properties' types. */
const junctionKeys = new Set(['required', 'anyOf', 'oneOf', 'allOf', 'not']);
const types = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/** Lists every violation of the structural-schema rules, with the schema path. */
export function structuralProblems(node: Node, path = '#'): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(node)) if (!schemaKeys.has(key)) problems.push(`${path}: keyword "${key}" is not allowed`);
  if (!types.has(node.type as string)) problems.push(`${path}: missing or unknown type ${JSON.stringify(node.type)}`);
  if (node.type === 'object') {
    if (node.properties && node.additionalProperties) problems.push(`${path}: both properties and additionalProperties`);
    const props = (node.properties ?? {}) as Record<string, Node>;
    for (const [name, child] of Object.entries(props)) problems.push(...structuralProblems(child, `${path}.properties.${name}`));
    if (node.additionalProperties) problems.push(...structuralProblems(node.additionalProperties as Node, `${path}.additionalProperties`));
    for (const name of (node.required ?? []) as string[]) if (!(name in props)) problems.push(`${path}: required "${name}" is not a property`);
    for (const junctor of ['oneOf', 'allOf', 'anyOf', 'not'] as const) {
      const value = node[junctor];
      if (value === undefined) continue;
      for (const j of Array.isArray(value) ? value : [value]) problems.push(...junctionProblems(j as Node, props, `${path}.${junctor}`));
    }
  } else if (node.type === 'array') {
    if (!node.items) problems.push(`${path}: array without items`);
    else problems.push(...structuralProblems(node.items as Node, `${path}.items`));
  }
  if (node.properties && node.type !== 'object') problems.push(`${path}: properties on a ${String(node.type)}`);
  if (typeof node.pattern === 'string') {
    const problem = re2Problem(node.pattern);
    if (problem) problems.push(`${path}: pattern ${problem}`);
  }
  if (node.enum && !(node.enum as unknown[]).every((v) => typeof v === 'string')) problems.push(`${path}: non-string enum`);
  return problems;
}

function junctionProblems(node: Node, props: Record<string, Node>, path: string): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(node)) if (!junctionKeys.has(key)) problems.push(`${path}: "${key}" is not allowed inside a junctor`);
  for (const name of (node.required ?? []) as string[]) if (!(name in props)) problems.push(`${path}: required "${name}" is not a property`);
  for (const junctor of ['oneOf', 'allOf', 'anyOf', 'not'] as const) {
    const value = node[junctor];
    if (value === undefined) continue;
    for (const j of Array.isArray(value) ? value : [value]) problems.push(...junctionProblems(j as Node, props, `${path}.${junctor}`));
  }
  return problems;
}

/** Validates a value the way the API server would against an emitted schema; returns error paths. */
export function openApiErrors(schema: Node, value: unknown, path = ''): string[] {
  const errs: string[] = [];
  const fail = (why: string) => errs.push(`${path || '<root>'}: ${why}`);
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return [`${path}: not a string`];
      if (schema.enum && !(schema.enum as string[]).includes(value)) fail('not in enum');
      if (typeof schema.minLength === 'number' && value.length < schema.minLength) fail('too short');
      if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) fail('too long');
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) fail('pattern');
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value))) return [`${path}: not an ${String(schema.type)}`];
      if (typeof schema.minimum === 'number' && value < schema.minimum) fail('below minimum');
      if (typeof schema.maximum === 'number' && value > schema.maximum) fail('above maximum');
      break;
    case 'boolean':
      if (typeof value !== 'boolean') fail('not a boolean');
      break;
    case 'array':
      if (!Array.isArray(value)) return [`${path}: not an array`];
      if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail('too few items');
      if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) fail('too many items');
      value.forEach((item, i) => errs.push(...openApiErrors(schema.items as Node, item, `${path}[${i}]`)));
      break;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: not an object`];
      const present = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null)); // pruned
      const props = schema.properties as Record<string, Node> | undefined;
      for (const [key, item] of Object.entries(present)) {
        const child = props?.[key] ?? (schema.additionalProperties as Node | undefined);
        if (child) errs.push(...openApiErrors(child, item, `${path}.${key}`));
        else if (props) fail(`unknown field ${key}`); // objects without properties keep nothing (pruned)
      }
      errs.push(...junctionErrors(schema, present, path));
      break;
    }
  }
  if (schema.not !== undefined && schema.type !== 'object' && junctionErrors(schema.not as Node, value, path).length === 0) fail('must not validate (not)');
  return errs;
}

function junctionErrors(node: Node, value: unknown, path: string): string[] {
  const errs: string[] = [];
  const obj = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  for (const name of (node.required ?? []) as string[]) if (!(name in obj)) errs.push(`${path}: required ${name}`);
  const ok = (j: unknown) => junctionErrors(j as Node, value, path).length === 0;
  if (node.oneOf && (node.oneOf as unknown[]).filter(ok).length !== 1) errs.push(`${path}: oneOf`);
  if (node.anyOf && !(node.anyOf as unknown[]).some(ok)) errs.push(`${path}: anyOf`);
  if (node.allOf && !(node.allOf as unknown[]).every(ok)) errs.push(`${path}: allOf`);
  if (node.not !== undefined && ok(node.not)) errs.push(`${path}: not`);
  return errs;
}
