import type { Route, RouteConfiguration } from '../config/model';
import { pickWeighted, redirectLocation, rewritePath, selectRoute, selectVirtualHost, type RouteRequest } from './router';

function req(path: string, headers: Record<string, string> = {}, method = 'GET', authority = 'reviews:9080'): RouteRequest {
  return { method, path, authority, header: (n) => headers[n] };
}
const to = (cluster: string) => ({ kind: 'route' as const, cluster });

describe('selectVirtualHost', () => {
  const config: RouteConfiguration = {
    name: 'r',
    virtualHosts: [
      { name: 'any', domains: ['*'], routes: [] },
      { name: 'suffix', domains: ['*.example.com'], routes: [] },
      { name: 'longer-suffix', domains: ['*.api.example.com'], routes: [] },
      { name: 'prefix', domains: ['reviews.*'], routes: [] },
      { name: 'exact', domains: ['reviews', 'reviews.default.svc.cluster.local:9080'], routes: [] },
    ],
  };
  it.each([
    ['reviews', 'exact'],
    ['REVIEWS:9080', 'exact'],
    ['reviews.default.svc.cluster.local:9080', 'exact'],
    ['reviews.default', 'prefix'],
    ['a.example.com', 'suffix'],
    ['a.api.example.com:80', 'longer-suffix'],
    ['example.com', 'any'],
    ['other', 'any'],
  ])('%s → %s', (authority, name) => expect(selectVirtualHost(config, authority)?.name).toBe(name));
});

describe('selectRoute', () => {
  const routes: Route[] = [
    { name: 'exact', match: { path: { exact: '/login' } }, action: to('a') },
    { name: 'ci', match: { path: { prefix: '/API/' }, caseSensitive: false }, action: to('a') },
    { name: 'regex', match: { path: { regex: '/items/[0-9]+' } }, action: to('a') },
    { name: 'header-exact', match: { path: { prefix: '/' }, headers: [{ name: 'end-user', exact: 'jason' }] }, action: to('b') },
    { name: 'header-prefix', match: { headers: [{ name: 'x-ver', prefix: 'v2' }] }, action: to('b') },
    { name: 'header-regex', match: { headers: [{ name: 'x-ver', regex: 'v[3-4]' }] }, action: to('b') },
    { name: 'header-present-inverted', match: { headers: [{ name: 'x-canary', present: true, invert: true }, { name: 'x-only-without-canary', present: true }] }, action: to('b') },
    { name: 'method', match: { headers: [{ name: ':method', exact: 'DELETE' }] }, action: to('b') },
    { name: 'query', match: { queryParameters: [{ name: 'debug', exact: 'on' }] }, action: to('b') },
    { name: 'fallback', match: { path: { prefix: '/' } }, action: to('c') },
  ];
  const config: RouteConfiguration = { name: 'r', virtualHosts: [{ name: 'vh', domains: ['*'], routes }] };
  it.each<[string, RouteRequest, string]>([
    ['exact path', req('/login'), 'exact'],
    ['exact path ignores query', req('/login?next=/'), 'exact'],
    ['exact is exact', req('/login/x'), 'fallback'],
    ['case-insensitive prefix', req('/api/v1'), 'ci'],
    ['regex is anchored', req('/items/42'), 'regex'],
    ['regex anchored at end', req('/items/42/x'), 'fallback'],
    ['header exact', req('/x', { 'end-user': 'jason' }), 'header-exact'],
    ['header exact mismatch', req('/x', { 'end-user': 'json' }), 'fallback'],
    ['header prefix', req('/x', { 'x-ver': 'v2.1' }), 'header-prefix'],
    ['header regex', req('/x', { 'x-ver': 'v4' }), 'header-regex'],
    ['inverted present', req('/x', { 'x-only-without-canary': '1' }), 'header-present-inverted'],
    ['inverted present, header there', req('/x', { 'x-only-without-canary': '1', 'x-canary': '1' }), 'fallback'],
    ['method via :method', req('/x', {}, 'DELETE'), 'method'],
    ['query parameter', req('/x?a=1&debug=on'), 'query'],
    ['query parameter encoded', req('/x?debug=%6Fn'), 'query'],
    ['query parameter mismatch', req('/x?debug=off'), 'fallback'],
  ])('%s', (_n, r, name) => expect(selectRoute(config, r)?.route.name).toBe(name));

  it('returns undefined when no route matches (→ NR)', () => {
    const c: RouteConfiguration = { name: 'r', virtualHosts: [{ name: 'vh', domains: ['reviews'], routes: [{ match: { path: { exact: '/' } }, action: to('a') }] }] };
    expect(selectRoute(c, req('/x'))).toBeUndefined();
    expect(selectRoute(c, req('/', {}, 'GET', 'ratings'))).toBeUndefined();
  });
});

describe('pickWeighted', () => {
  const items = [{ name: 'a', weight: 80 }, { name: 'zero', weight: 0 }, { name: 'b', weight: 20 }];
  it.each([[0, 'a'], [0.79, 'a'], [0.8, 'b'], [0.999999, 'b']])('random %d → %s', (r, name) => expect(pickWeighted(items, r).name).toBe(name));
  it('splits by weight over many picks', () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) {
      const name = pickWeighted(items, rand()).name;
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts.zero).toBeUndefined();
    expect(counts.a! / 10_000).toBeGreaterThan(0.75);
    expect(counts.a! / 10_000).toBeLessThan(0.85);
  });
});

describe('rewrites and redirects', () => {
  const prefix: Route = { match: { path: { prefix: '/v1/' } }, action: { kind: 'route', cluster: 'a', prefixRewrite: '/' } };
  const whole: Route = { match: {}, action: { kind: 'route', cluster: 'a', pathRewrite: '/health' } };
  it.each<[Route, string, string]>([
    [prefix, '/v1/items?x=1', '/items?x=1'],
    [whole, '/anything?x=1', '/health?x=1'],
    [{ match: {}, action: to('a') }, '/same', '/same'],
  ])('rewrites %#', (route, path, want) => expect(rewritePath(route, path)).toBe(want));

  it.each<[Route['action'], string, string]>([
    [{ kind: 'redirect', scheme: 'https' }, 'reviews:9080', 'https://reviews:9080/a?q=1'],
    [{ kind: 'redirect', host: 'new', port: 8443, path: '/b' }, 'reviews:9080', 'http://new:8443/b?q=1'],
    [{ kind: 'redirect', prefixRewrite: '/new/', stripQuery: true }, 'reviews', 'http://reviews/new/a'],
  ])('redirect %#', (action, authority, want) => {
    const route: Route = { match: { path: { prefix: '/' } }, action };
    expect(redirectLocation(route, { path: '/a?q=1', authority, scheme: 'http' })).toBe(want);
  });
});
