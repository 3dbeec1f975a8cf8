/** The DSL's validator interpreter on small schemas: paths, nulls, groups, checks, inference. */
import { type Infer, array, bool, enumOf, int, map, mapKey, number, object, required, rule, string, unsupported } from './dsl';
import { formatPath, parseWithSchema } from './validate';

const Item = object(
  {
    name: required(string()),
    count: int({ min: 1, max: 10 }),
    ratio: number({ min: 0, max: 1 }),
    on: bool(),
    mode: enumOf(['A', 'B'], { rejected: { C: 'C is retired' } }),
    tags: map(string(), { keys: { name: 'tag', check: (k) => (k.startsWith('x') ? undefined : 'must start with x') } }),
    a: string(),
    b: string(),
    old: unsupported('string', 'use name'),
  },
  {
    atMostOneOf: [['a', 'b']],
    checks: [rule('seven is unlucky', (item, report) => item.count === 7 && report('count', 'seven is unlucky'))],
  },
);
const Root = object({ items: required(array(Item, { maxItems: 3, checks: [rule('no pairs', (items, report) => items.length === 2 && report([], 'two is a crowd'))] })) });

type Root = Infer<typeof Root>;
// Inference: required fields are required, others optional, enums are literal unions, unsupported absent.
const typed: Root = { items: [{ name: 'n', mode: 'A', tags: { x: 'y' } }] };
// @ts-expect-error 'C' is rejected, so not part of the type
const badMode: Infer<typeof Item>['mode'] = 'C';
// @ts-expect-error unsupported fields are not part of the type
const noOld: Infer<typeof Item> = { name: 'n', old: 'x' };
void badMode;
void noOld;

function errorsOf(value: unknown): [string, string][] {
  const result = parseWithSchema(Root, value);
  return result.ok ? [] : result.errors.map((e) => [e.path, e.message]);
}

describe('parseWithSchema', () => {
  it('returns a typed clean copy without nulls', () => {
    const result = parseWithSchema(Root, { items: [{ name: 'n', count: null, mode: 'A', tags: { x: 'y' } }] });
    expect(result).toEqual({ ok: true, value: typed });
  });

  it.each([
    ['a missing required field', { items: [{}] }, [['items[0].name', 'required']]],
    ['a required field set to null', { items: [{ name: null }] }, [['items[0].name', 'required']]],
    ['a wrong type', { items: 'x' }, [['items', 'must be a list']]],
    ['an out-of-range int', { items: [{ name: 'n', count: 11 }] }, [['items[0].count', 'must be an integer 1..10']]],
    ['a fraction for an int', { items: [{ name: 'n', count: 1.5 }] }, [['items[0].count', 'must be an integer 1..10']]],
    ['NaN for a number', { items: [{ name: 'n', ratio: Number.NaN }] }, [['items[0].ratio', 'must be a number 0..1']]],
    ['a string for a boolean', { items: [{ name: 'n', on: 'yes' }] }, [['items[0].on', 'must be a boolean (true or false)']]],
    ['a rejected enum value', { items: [{ name: 'n', mode: 'C' }] }, [['items[0].mode', '"C" is not supported by Skein: C is retired']]],
    ['an unknown enum value', { items: [{ name: 'n', mode: 'D' }] }, [['items[0].mode', 'must be one of A, B']]],
    ['a bad map key', { items: [{ name: 'n', tags: { y: 'v' } }] }, [['items[0].tags[y]', 'invalid key: must start with x']]],
    ['a map value of the wrong type', { items: [{ name: 'n', tags: { x: 1 } }] }, [['items[0].tags[x]', 'must be a string']]],
    ['two of an at-most-one group', { items: [{ name: 'n', a: '1', b: '2' }] }, [['items[0]', 'set only one of a, b (found a and b)']]],
    ['an unsupported field', { items: [{ name: 'n', old: 'x' }] }, [['items[0].old', 'not supported by Skein: use name']]],
    ['a misspelt field', { items: [{ name: 'n', nmae: 'x' }] }, [['items[0].nmae', 'unknown field, did you mean "name"? (supported: name, count, ratio, on, mode, tags, a, b)']]],
    ['a wrongly cased field', { items: [{ name: 'n', MODE: 'A' }] }, [['items[0].MODE', 'unknown field, did you mean "mode"? (supported: name, count, ratio, on, mode, tags, a, b)']]],
    ['an unknown field', { items: [{ name: 'n', colour: 'x' }] }, [['items[0].colour', 'unknown field (supported: name, count, ratio, on, mode, tags, a, b)']]],
    ['too many items', { items: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }] }, [['items', 'must have at most 3 items']]],
    ['a failing object check', { items: [{ name: 'n', count: 7 }] }, [['items[0].count', 'seven is unlucky']]],
    ['a failing list check', { items: [{ name: 'a' }, { name: 'b' }] }, [['items', 'two is a crowd']]],
    ['not an object at all', [], [['', 'must be an object (a mapping of field names to values)']]],
  ])('reports %s', (_name, value, expected) => {
    expect(errorsOf(value)).toEqual(expected);
  });

  it('runs checks only on valid subtrees (they get typed values)', () => {
    // The list check would fire for two items, but an item is invalid, so only that is reported.
    expect(errorsOf({ items: [{ name: 'a' }, { count: 2 }] })).toEqual([['items[1].name', 'required']]);
  });

  it('drops unknown fields where the schema says so (Kubernetes-owned metadata)', () => {
    const Meta = object({ name: string() }, { unknownFields: 'drop' });
    expect(parseWithSchema(Meta, { name: 'a', managedFields: [] })).toEqual({ ok: true, value: { name: 'a' } });
  });

  it('keeps a map key named __proto__ as an entry (no prototype change, nothing lost)', () => {
    const Headers = map(object({ exact: string() }));
    const result = parseWithSchema(Headers, JSON.parse('{"__proto__": {"exact": "x"}, "a": {"exact": "y"}}'));
    expect(result.ok).toBe(true);
    const value = result.ok ? result.value : {};
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.entries(value)).toEqual([
      ['__proto__', { exact: 'x' }],
      ['a', { exact: 'y' }],
    ]);
  });

  it('does not treat inherited properties as fields', () => {
    expect(parseWithSchema(object({ a: string() }), JSON.parse('{"constructor": 1, "toString": "x"}'))).toEqual({
      ok: false,
      errors: [
        { path: 'constructor', message: 'unknown field (supported: a)' },
        { path: 'toString', message: 'unknown field (supported: a)' },
      ],
    });
  });
});

describe('formatPath', () => {
  it.each([
    [[], ''],
    [['spec'], 'spec'],
    [['spec', 'http', 0, 'route', 1, 'weight'], 'spec.http[0].route[1].weight'],
    [['spec', 'portLevelMtls', mapKey('8080'), 'mode'], 'spec.portLevelMtls[8080].mode'],
  ])('%j → %s', (segments, text) => expect(formatPath(segments)).toBe(text));
});
