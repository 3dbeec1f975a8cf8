/**
 * The OpenAPI interpreter of the schema DSL: a Kubernetes *structural* schema for
 * `CustomResourceDefinition.spec.versions[].schema.openAPIV3Schema`.
 *
 * Rules kept (Kubernetes "structural schema"): every node has a `type`; objects have `properties`
 * or `additionalProperties`, never both; arrays have `items`; junctors (`oneOf`, `not`, `allOf`)
 * hold only value validations (`required`); no `$ref`, no `x-kubernetes-preserve-unknown-fields`.
 *
 * The API server can enforce the shape, ranges, enums, "exactly one of" and the refusal of
 * unsupported Istio fields (a property with `not: {}` fails whenever it is present, with the exact
 * path). Cross-field checks (weights summing to 100, regexes, durations) run in the validator and are
 * reported by the control plane as status conditions.
 */
import { type Field, Int32Max, type ObjectSchema, type Schema, type UnsupportedShape } from './dsl';

/** The subset of OpenAPI v3 that Skein emits. */
export interface OpenApiSchema {
  type: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema;
  required?: string[];
  items?: OpenApiSchema;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  oneOf?: OpenApiJunction[];
  allOf?: OpenApiJunction[];
  not?: OpenApiJunction;
}

/** Inside junctors only value validations are allowed (no type, no description). */
export interface OpenApiJunction {
  required?: string[];
  anyOf?: OpenApiJunction[];
  oneOf?: OpenApiJunction[];
  not?: OpenApiJunction;
}

export function toOpenApi(schema: Schema): OpenApiSchema {
  const description = schema.description === undefined ? {} : { description: schema.description };
  switch (schema.kind) {
    case 'string':
      return { type: 'string', ...description, ...schema.format?.openApi };
    case 'int':
      return { type: 'integer', ...description, format: schema.max > Int32Max ? 'int64' : 'int32', minimum: schema.min, maximum: schema.max };
    case 'number':
      return { type: 'number', ...description, format: 'double', minimum: schema.min, maximum: schema.max };
    case 'bool':
      return { type: 'boolean', ...description };
    case 'enum':
      return { type: 'string', ...description, enum: [...schema.values] };
    case 'array': {
      const out: OpenApiSchema = { type: 'array', ...description, items: toOpenApi(schema.items) };
      if (schema.minItems !== undefined) out.minItems = schema.minItems;
      if (schema.maxItems !== undefined) out.maxItems = schema.maxItems;
      return out;
    }
    case 'map':
      return { type: 'object', ...description, additionalProperties: toOpenApi(schema.values) };
    case 'object':
      return objectToOpenApi(schema, description);
  }
}

function objectToOpenApi(schema: ObjectSchema, description: { description?: string }): OpenApiSchema {
  const properties: Record<string, OpenApiSchema> = {};
  const required: string[] = [];
  for (const [name, field] of Object.entries(schema.fields)) {
    properties[name] = fieldToOpenApi(field);
    if (field.kind === 'required') required.push(name);
  }
  const out: OpenApiSchema = { type: 'object', ...description, properties };
  if (required.length > 0) out.required = required;
  const junctions: OpenApiJunction[] = schema.oneOf.map((group) =>
    group.required
      ? { oneOf: group.fields.map((f) => ({ required: [f] })) }
      : { not: { anyOf: pairs(group.fields).map((pair) => ({ required: pair })) } },
  );
  if (junctions.length === 1) Object.assign(out, junctions[0]);
  else if (junctions.length > 1) out.allOf = junctions;
  return out;
}

function fieldToOpenApi(field: Field): OpenApiSchema {
  if (field.kind === 'required') return toOpenApi(field.schema);
  if (field.kind === 'unsupported') return unsupportedToOpenApi(field.shape, field.reason);
  return toOpenApi(field);
}

/** A property that the API server refuses whenever it is present: `not: {}` never validates. */
function unsupportedToOpenApi(shape: UnsupportedShape, reason: string | undefined): OpenApiSchema {
  const description = `Not supported by Skein${reason ? `: ${reason}` : ''}. Setting it is an error.`;
  const base: OpenApiSchema =
    shape === 'array' ? { type: 'array', items: { type: 'object' } } : shape === 'object' ? { type: 'object' } : { type: shape };
  return { ...base, description, not: {} };
}

function pairs(fields: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < fields.length; i++) for (let j = i + 1; j < fields.length; j++) out.push([fields[i]!, fields[j]!]);
  return out;
}
