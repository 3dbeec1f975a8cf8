import { DefaultPathNormalization, normalizeTarget, PathNormalizations, removeDotSegments } from './path-normalize';

const { NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES } = PathNormalizations;

describe('normalizeTarget', () => {
  it('defaults to Istio MERGE_SLASHES', () => {
    expect(DefaultPathNormalization).toEqual(MERGE_SLASHES);
  });

  it.each([
    // target, expected path under the default (MERGE_SLASHES)
    ['/', '/'],
    ['/api/v1.0/items?x=1', '/api/v1.0/items?x=1'],
    ['/.well-known/x', '/.well-known/x'],
    ['//admin', '/admin'],
    ['///admin//x///', '/admin/x/'],
    ['/./admin', '/admin'],
    ['/admin/../admin/x', '/admin/x'],
    ['/public/../admin', '/admin'],
    ['/a/b/../../..', '/'],
    ['/ok/..', '/'],
    ['/ok/.', '/ok/'],
    ['/%2e/admin', '/admin'],
    ['/public/.%2E/admin', '/admin'],
    ['/%61dmin', '/admin'],
    ['/%41DMIN', '/ADMIN'],
    ['/a%2d%5f%7e%30', '/a-_~0'],
    ['/ADMIN', '/ADMIN'],
    ['/admin;a=b/x', '/admin;a=b/x'],
    ['/admin%3bx', '/admin%3Bx'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['\\admin\\x', '/admin/x'],
    ['/a\\..\\admin', '/admin'],
    ['/%2Fadmin', '/%2Fadmin'],
    ['/%2fadmin', '/%2Fadmin'],
    ['/%5cadmin', '/%5Cadmin'],
    ['/%252e/admin', '/%252e/admin'],
    ['/x?a=%2e%2e&b=//c', '/x?a=%2e%2e&b=//c'],
    ['/x/../y?q', '/y?q'],
  ])('%s → %s', (target, path) => {
    expect(normalizeTarget(target, 'GET', DefaultPathNormalization)).toEqual({ ok: true, path });
  });

  it.each([
    ['/admin%00', '%00 in path'],
    ['/a%zz', 'malformed percent-encoding in path'],
    ['/a%4', 'malformed percent-encoding in path'],
    ['/a%', 'malformed percent-encoding in path'],
    ['/a#frag', 'fragment in request target'],
    ['/a?b#frag', 'fragment in request target'],
    ['/public/..;/admin', 'ambiguous path segment "..;"'],
    ['/public/.;x/admin', 'ambiguous path segment ".;x"'],
    ['/a b', 'invalid byte in path'],
    ['/a\u0000b', 'invalid byte in path'],
    ['/caf\u00e9', 'invalid byte in path'],
    ['/a?b c', 'invalid byte in query'],
    ['admin', 'request target is not a path'],
    ['*', '"*" is only for OPTIONS'],
    ['http://user@host/admin', 'absolute-form target without a plain authority'],
    ['http:///admin', 'absolute-form target without a plain authority'],
  ])('refuses %s (%s)', (target, reason) => {
    expect(normalizeTarget(target, 'GET', DefaultPathNormalization)).toEqual({ ok: false, reason });
  });

  it.each([
    ['http://victim/admin/x', { ok: true, path: '/admin/x', authority: 'victim' }],
    ['HTTPS://victim:8443//admin', { ok: true, path: '/admin', authority: 'victim:8443' }],
    ['http://victim', { ok: true, path: '/', authority: 'victim' }],
    ['http://victim?x=1', { ok: true, path: '/?x=1', authority: 'victim' }],
  ])('absolute-form %s takes its path and its authority', (target, expected) => {
    expect(normalizeTarget(target, 'GET', DefaultPathNormalization)).toEqual(expected);
  });

  it('CONNECT takes an authority, OPTIONS may be "*"', () => {
    expect(normalizeTarget('victim:443', 'CONNECT', DefaultPathNormalization)).toEqual({ ok: true, path: 'victim:443', authority: 'victim:443' });
    expect(normalizeTarget('/x', 'CONNECT', DefaultPathNormalization)).toEqual({ ok: false, reason: 'CONNECT needs an authority-form target' });
    expect(normalizeTarget('*', 'OPTIONS', DefaultPathNormalization)).toEqual({ ok: true, path: '*' });
  });

  it.each([
    // target, NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES
    ['//a/./b/../c', '//a/./b/../c', '//a/c', '/a/c', '/a/c'],
    ['/a%2Fb', '/a%2Fb', '/a%2Fb', '/a%2Fb', '/a/b'],
    ['/a%5Cb//c', '/a%5Cb//c', '/a%5Cb//c', '/a%5Cb/c', '/a/b/c'],
    ['/%61%2e', '/%61%2e', '/a.', '/a.', '/a.'],
    ['/%2e%2e/%2fadmin', '/%2e%2e/%2fadmin', '/%2Fadmin', '/%2Fadmin', '/admin'],
  ])('Istio presets: %s → NONE %s, BASE %s, MERGE_SLASHES %s, DECODE_AND_MERGE_SLASHES %s', (target, none, base, merge, decode) => {
    expect([NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES].map((n) => normalizeTarget(target, 'GET', n))).toEqual([none, base, merge, decode].map((path) => ({ ok: true, path })));
  });

  it('escaped slashes can refuse the request (path_with_escaped_slashes_action REJECT_REQUEST)', () => {
    expect(normalizeTarget('/a%2fb', 'GET', { ...MERGE_SLASHES, escapedSlashes: 'reject' })).toEqual({ ok: false, reason: 'escaped slash in path' });
  });

  it('returns the very string when there is nothing to do (no copy on the hot path)', () => {
    const target = '/api/items?id=7';
    const r = normalizeTarget(target, 'GET', DefaultPathNormalization);
    expect(r.ok && r.path).toBe(target);
  });
});

describe('removeDotSegments (RFC 3986 §5.2.4)', () => {
  it.each([
    ['/a/b/c/./../../g', '/a/g'],
    ['/mid/content=5/../6', '/mid/6'],
    ['/..', '/'],
    ['/../a', '/a'],
    ['/a/..', '/'],
    ['/a/.', '/a/'],
    ['/a/b/', '/a/b/'],
  ])('%s → %s', (input, output) => {
    expect(removeDotSegments(input)).toBe(output);
  });
});
