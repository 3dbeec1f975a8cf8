import { applyDefaults, prune, type Schema, validate } from './openapi-schema';
import { fieldErrorText } from './status';

const schema: Schema = {
  type: 'object',
  required: ['spec'],
  properties: {
    apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: {
        hosts: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'string', maxLength: 10, pattern: '^[a-z]+$' } },
        mode: { type: 'string', enum: ['STRICT', 'PERMISSIVE'] },
        port: { type: 'integer', format: 'int32', minimum: 1, maximum: 65535 },
        weight: { type: 'number', minimum: 0, maximum: 100, exclusiveMaximum: true },
        timeout: { type: 'string', default: '15s' },
        target: { 'x-kubernetes-int-or-string': true },
        headers: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        maybe: { type: 'string', nullable: true },
        route: { type: 'object', oneOf: [{ required: ['a'] }, { required: ['b'] }], properties: { a: { type: 'string' }, b: { type: 'string' } } },
        cors: { type: 'object', not: {} },
        servers: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' } } } },
      },
    },
  },
};

const errors = (spec: unknown) => validate({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n' }, spec }, schema).map(fieldErrorText);

describe('openAPIV3Schema validation (kube-openapi wording)', () => {
  it.each([
    [{}, []],
    [{ hosts: 'a' }, ['spec.hosts: Invalid value: "string": spec.hosts in body must be of type array: "string"']],
    [{ hosts: [] }, ['spec.hosts: Invalid value: 0: spec.hosts in body should have at least 1 items']],
    [{ hosts: ['a', 'b', 'c'] }, ['spec.hosts: Too many: 3: must have at most 2 items']],
    [{ hosts: ['ABC'] }, ['spec.hosts[0]: Invalid value: "ABC": spec.hosts[0] in body should match \'^[a-z]+$\'']],
    [{ hosts: ['abcdefghijk'] }, ['spec.hosts[0]: Too long: may not be longer than 10']],
    [{ mode: 'OFF' }, ['spec.mode: Unsupported value: "OFF": supported values: "STRICT", "PERMISSIVE"']],
    [{ port: 0 }, ['spec.port: Invalid value: 0: spec.port in body should be greater than or equal to 1']],
    [{ port: 1.5 }, ['spec.port: Invalid value: "number": spec.port in body must be of type integer: "number"']],
    [{ weight: 100 }, ['spec.weight: Invalid value: 100: spec.weight in body should be less than 100']],
    [{ target: 'http' }, []],
    [{ target: 8080 }, []],
    [{ target: true }, ['<nil>: Invalid value: "": "spec.target" must validate at least one schema (anyOf)', 'spec.target: Invalid value: "boolean": spec.target in body must be of type integer: "boolean"']],
    [{ headers: { a: 1 } }, ['spec.headers.a: Invalid value: "integer": spec.headers.a in body must be of type string: "integer"']],
    [{ free: { anything: [1, { x: 2 }] } }, []],
    [{ maybe: null }, []],
    [{ route: {} }, ['<nil>: Invalid value: "": "spec.route" must validate one and only one schema (oneOf). Found none valid', 'spec.route.a: Required value']],
    [{ route: { a: 'x', b: 'y' } }, ['<nil>: Invalid value: "": "spec.route" must validate one and only one schema (oneOf). Found 2 valid alternatives']],
    [{ cors: {} }, ['<nil>: Invalid value: "": "spec.cors" must not validate the schema (not)']],
    [{ servers: [{ name: 'a' }, { name: 'a' }] }, ['spec.servers[1]: Duplicate value: map[string]interface {}{"name":"a"}']],
  ])('%j → %j', (spec, expected) => {
    expect(errors(spec)).toEqual(expected);
  });

  it('requires what the root requires', () => {
    expect(validate({ apiVersion: 'x/v1', kind: 'X', metadata: {} }, schema).map(fieldErrorText)).toEqual(['spec: Required value']);
  });
});

describe('pruning and defaulting (structural schemas)', () => {
  it('drops unknown fields everywhere but under x-kubernetes-preserve-unknown-fields, and non-nullable nulls', () => {
    const obj = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n', bogus: 1 }, spec: { hosts: ['a'], extra: 1, free: { kept: { deep: 1 } }, route: { a: 'x', c: 'gone' }, mode: null, maybe: null }, status: { x: 1 } };
    expect(prune(obj, schema).sort()).toEqual(['metadata.bogus', 'spec.extra', 'spec.route.c', 'status']);
    expect(obj).toEqual({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'n' }, spec: { hosts: ['a'], free: { kept: { deep: 1 } }, route: { a: 'x' }, maybe: null } });
  });

  it('fills defaults where the parent exists', () => {
    const obj: Record<string, unknown> = { spec: {} };
    applyDefaults(obj, schema);
    expect(obj).toEqual({ spec: { timeout: '15s' } });
    const none: Record<string, unknown> = {};
    applyDefaults(none, schema);
    expect(none).toEqual({});
  });
});
