/**
 * A small schema DSL: the ONE description of Skein's policy API. From a schema written with these
 * constructors we derive the TypeScript type (`Infer<typeof X>`), the validator with field-path
 * errors (validate.ts) and the OpenAPI v3 structural schema of the CRD (openapi.ts).
 *
 * Schemas are plain data; cross-field rules are `checks` attached to the object or array they
 * concern, and run only once that subtree is structurally valid (so they receive typed values).
 */

/** One validation problem: where (`spec.http[0].route[1].weight`) and why. */
export interface FieldError {
  path: string;
  message: string;
}

/** A segment of a field path: a field name, a list index, or a map key (`labels[app]`). */
export type PathSegment = string | number | MapKey;
export interface MapKey {
  mapKey: string;
}
export function mapKey(key: string): MapKey {
  return { mapKey: key };
}

/** Reports a problem at a path relative to the value a check was given (`[]` = the value itself). */
export type Report = (relativePath: PathSegment | readonly PathSegment[], message: string) => void;

/**
 * A semantic (cross-field) rule: what it requires, in words (for the generated reference), and the
 * code that checks it. Method syntax keeps `run` bivariant so specific schemas fit the general type.
 */
export interface Check<T> {
  rule: string;
  run(value: T, report: Report): void;
}

export function rule<T>(text: string, run: (value: T, report: Report) => void): Check<T> {
  return { rule: text, run };
}

/** A named rule for strings, checked by the validator and (where expressible) by the API server. */
export interface StringFormat {
  /** Shown in docs, e.g. `duration`, `DNS label`. */
  name: string;
  /** Returns why the value is invalid, or undefined when it is fine. */
  check(value: string): string | undefined;
  /** What the OpenAPI schema can enforce of it (the API server's patterns are RE2). */
  openApi?: { pattern?: string; minLength?: number; maxLength?: number };
}

interface Doc {
  description?: string;
}

export interface StringSchema extends Doc {
  kind: 'string';
  format?: StringFormat;
}
export interface IntSchema extends Doc {
  kind: 'int';
  min: number;
  max: number;
}
export interface NumberSchema extends Doc {
  kind: 'number';
  min: number;
  max: number;
}
export interface BoolSchema extends Doc {
  kind: 'bool';
}
export interface EnumSchema<V extends string = string> extends Doc {
  kind: 'enum';
  values: readonly V[];
  /** Values Istio knows that Skein refuses, with the reason. */
  rejected: Readonly<Record<string, string>>;
}
export interface ArraySchema<I extends Schema = Schema> extends Doc {
  kind: 'array';
  items: I;
  minItems?: number;
  maxItems?: number;
  checks: readonly Check<Infer<I>[]>[];
}
export interface MapSchema<V extends Schema = Schema> extends Doc {
  kind: 'map';
  values: V;
  keys?: StringFormat;
}
export interface ObjectSchema<F extends Fields = Fields> extends Doc {
  kind: 'object';
  /** Istio's message name (`HTTPRoute`), used by the generated reference to document it once. */
  title?: string;
  fields: F;
  /** Each group: exactly one of these fields must be set (`required`) or at most one. */
  oneOf: readonly OneOfGroup[];
  /** `reject` (policy objects) or `drop` (Kubernetes-owned fields we do not read, e.g. in metadata). */
  unknownFields: 'reject' | 'drop';
  checks: readonly Check<InferObject<F>>[];
}
export interface OneOfGroup {
  fields: readonly string[];
  required: boolean;
}

export type Schema = StringSchema | IntSchema | NumberSchema | BoolSchema | EnumSchema | ArraySchema | MapSchema | ObjectSchema;

export interface RequiredField<S extends Schema = Schema> {
  kind: 'required';
  schema: S;
}
/** The JSON shape of an unsupported field, so the CRD schema can still name (and refuse) it. */
export type UnsupportedShape = 'object' | 'array' | 'string' | 'boolean' | 'integer' | 'number';
/** A field Istio has and Skein refuses: an error naming the field, never silently dropped. */
export interface UnsupportedField {
  kind: 'unsupported';
  shape: UnsupportedShape;
  reason?: string;
}
export type Field = Schema | RequiredField | UnsupportedField;
export type Fields = Readonly<Record<string, Field>>;

// ---- type inference -------------------------------------------------------------------------

type Expand<T> = T extends infer O ? { [K in keyof O]: O[K] } : never;
type RequiredKeys<F> = { [K in keyof F]: F[K] extends RequiredField ? K : never }[keyof F];
type OptionalKeys<F> = { [K in keyof F]: F[K] extends Schema ? K : never }[keyof F];

/** The TypeScript type of the values a schema accepts (after validation; nulls removed). */
export type Infer<S> = S extends StringSchema
  ? string
  : S extends IntSchema | NumberSchema
    ? number
    : S extends BoolSchema
      ? boolean
      : S extends EnumSchema<infer V>
        ? V
        : S extends ArraySchema<infer I>
          ? Infer<I>[]
          : S extends MapSchema<infer V>
            ? { [key: string]: Infer<V> }
            : S extends ObjectSchema<infer F>
              ? InferObject<F>
              : never;

export type InferObject<F extends Fields> = Expand<
  { [K in RequiredKeys<F>]: F[K] extends RequiredField<infer S> ? Infer<S> : never } & { [K in OptionalKeys<F>]?: Infer<F[K]> }
>;

// ---- constructors ---------------------------------------------------------------------------

export function string(opts: { format?: StringFormat; description?: string } = {}): StringSchema {
  return { kind: 'string', ...opts };
}

/** Largest int32, the range of most Istio counters. */
export const Int32Max = 2_147_483_647;
export const Uint32Max = 4_294_967_295;

export function int(opts: { min?: number; max?: number; description?: string } = {}): IntSchema {
  const { min = 0, max = Int32Max, description } = opts;
  return { kind: 'int', min, max, description };
}

export function number(opts: { min: number; max: number; description?: string }): NumberSchema {
  return { kind: 'number', ...opts };
}

export function bool(opts: { description?: string } = {}): BoolSchema {
  return { kind: 'bool', ...opts };
}

export function enumOf<const V extends string>(
  values: readonly V[],
  opts: { rejected?: Record<string, string>; description?: string } = {},
): EnumSchema<V> {
  return { kind: 'enum', values, rejected: opts.rejected ?? {}, description: opts.description };
}

export function array<I extends Schema>(
  items: I,
  opts: { minItems?: number; maxItems?: number; checks?: Check<Infer<I>[]>[]; description?: string } = {},
): ArraySchema<I> {
  const { checks = [], ...rest } = opts;
  return { kind: 'array', items, checks, ...rest };
}

export function map<V extends Schema>(values: V, opts: { keys?: StringFormat; description?: string } = {}): MapSchema<V> {
  return { kind: 'map', values, ...opts };
}

export function object<F extends Fields>(
  fields: F,
  opts: {
    exactlyOneOf?: readonly (keyof F & string)[][];
    atMostOneOf?: readonly (keyof F & string)[][];
    unknownFields?: 'reject' | 'drop';
    checks?: Check<InferObject<F>>[];
    description?: string;
  } = {},
): ObjectSchema<F> {
  const oneOf = [
    ...(opts.exactlyOneOf ?? []).map((group) => ({ fields: group, required: true })),
    ...(opts.atMostOneOf ?? []).map((group) => ({ fields: group, required: false })),
  ];
  return {
    kind: 'object',
    fields,
    oneOf,
    unknownFields: opts.unknownFields ?? 'reject',
    checks: opts.checks ?? [],
    description: opts.description,
  };
}

export function required<S extends Schema>(schema: S): RequiredField<S> {
  return { kind: 'required', schema };
}

export function unsupported(shape: UnsupportedShape, reason?: string): UnsupportedField {
  return { kind: 'unsupported', shape, reason };
}

/** The schema of a field, whether it is required or not (undefined for unsupported fields). */
export function fieldSchema(field: Field): Schema | undefined {
  if (field.kind === 'required') return field.schema;
  if (field.kind === 'unsupported') return undefined;
  return field;
}

/** Names an object schema after Istio's message (`HTTPRoute`) for the generated reference. */
export function titled<S extends ObjectSchema>(title: string, schema: S): S {
  return { ...schema, title };
}

/** The same schema with a description for this use of it (shown by `kubectl explain` and the reference). */
export function doc<S extends Schema>(schema: S, description: string): S {
  return { ...schema, description };
}
