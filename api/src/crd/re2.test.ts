import { MaxRegexLength, re2Problem } from './re2';

describe('re2Problem', () => {
  it.each([
    '/api/v[0-9]+/.*',
    '^/(users|orders)/[^/]+$',
    '[(?=]literal', // inside a class, (?= is just characters
    '\\(\\?=escaped',
    'a{2,1000}',
    '(?:non-capturing)',
    '(?<name>named)',
    '[]a]',
  ])('accepts %s', (pattern) => expect(re2Problem(pattern)).toBeUndefined());

  it.each([
    ['/api/(?=v1)', 'regex uses a lookahead (?=…), which RE2 (used by Envoy) does not support'],
    ['/api/(?!v1)', 'regex uses a negative lookahead (?!…), which RE2 (used by Envoy) does not support'],
    ['(?<=a)b', 'regex uses a lookbehind (?<=…), which RE2 (used by Envoy) does not support'],
    ['(?<!a)b', 'regex uses a negative lookbehind (?<!…), which RE2 (used by Envoy) does not support'],
    ['(a)\\1', 'regex uses a backreference (\\1), which RE2 (used by Envoy) does not support'],
    ['(?<x>a)\\k<x>', 'regex uses a named backreference (\\k<…>), which RE2 (used by Envoy) does not support'],
    ['(?>a)', 'regex uses an atomic group (?>…), which RE2 (used by Envoy) does not support'],
    ['a++', 'regex uses a possessive quantifier, which RE2 (used by Envoy) does not support'],
    ['a{1001}', 'regex uses a repeat count above 1000, which RE2 (used by Envoy) does not support'],
    ['a{1,5000}', 'regex uses a repeat count above 1000, which RE2 (used by Envoy) does not support'],
    ['x'.repeat(MaxRegexLength + 1), `regex is longer than ${MaxRegexLength} characters`],
  ])('rejects %s', (pattern, message) => expect(re2Problem(pattern)).toBe(message));

  it.each(['([a-z', '*a', '(?i)abc'])('rejects %s, which JavaScript cannot compile', (pattern) => {
    expect(re2Problem(pattern)).toMatch(/^invalid regex: /);
  });
});
