import {
  authzPath,
  dnsLabel,
  dnsSubdomain,
  duration,
  exportTarget,
  hostOrWildcard,
  httpMethod,
  ipBlock,
  labelKey,
  labelValue,
  portString,
  principal,
  serviceHost,
} from './formats';
import { type StringFormat } from './schema/dsl';

const cases: [StringFormat, string[], string[]][] = [
  [dnsLabel, ['a', 'reviews-v1', '0abc', 'a'.repeat(63)], ['', 'A', '-a', 'a-', 'a.b', 'a'.repeat(64)]],
  [dnsSubdomain, ['a', 'a.b-c.d', 'reviews'], ['', 'a..b', 'A', `${'a'.repeat(64)}.b`, `${'a.'.repeat(127)}ab`]],
  [serviceHost, ['reviews', 'reviews.prod', 'reviews.prod.svc.cluster.local'], ['*.prod', 'Reviews', 'reviews_', '']],
  [hostOrWildcard, ['reviews', '*.prod.svc.cluster.local'], ['*', 'a.*.b', '*a.b', '**.b']],
  [exportTarget, ['.', '*', 'prod'], ['~', '', 'Prod', 'a.b']],
  [duration(), ['1ms', '0.5s', '7s', '3m', '1h30m', '1d'], ['0s', '0.5ms', '10', 's', '-1s', '1 s']],
  [duration({ min: 0 }), ['0s', '1h'], ['x']],
  [duration({ min: 1000, wholeSeconds: true }), ['1s', '2h'], ['1500ms', '0s']],
  [labelKey, ['app', 'app.kubernetes.io/name', 'a_b.c-d'], ['', '/a', 'a/', 'A b', 'Example.com/a', `${'a'.repeat(64)}`]],
  [labelValue, ['', 'v1', 'a.b_c-d'], ['-a', 'a b', 'a'.repeat(64)]],
  [portString, ['1', '8080', '65535'], ['0', '65536', '080', 'http', '']],
  [principal, ['cluster.local/ns/default/sa/sleep', '*', '*/sa/sleep', 'cluster.local/*'], ['', 'spiffe://cluster.local/ns/a/sa/b', 'a*b', '*a*']],
  [authzPath, ['/info', '/api/*', '*.png', '*'], ['/api/{*}', '/a/{**}', '', '/a*b']],
  [ipBlock, ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1', '0.0.0.0/0'], ['10.0.0.0/33', '10.0.0/8', 'ten', '2001:db8::/129', '10.0.0.0/8/1', '10.0.0.0/']],
  [httpMethod, ['GET', 'POST', '*', 'P*', '*T'], ['get', '', 'G ET']],
];

describe.each(cases.map(([format, good, bad]) => ({ name: format.name, format, good, bad })))('$name', ({ format, good, bad }) => {
  it.each(good)(`accepts %j`, (v) => expect(format.check(v)).toBeUndefined());
  it.each(bad)(`rejects %j with a reason`, (v) => expect(format.check(v)).toEqual(expect.any(String)));

  it('has an OpenAPI pattern that agrees on these values (where it has one)', () => {
    const pattern = format.openApi?.pattern;
    if (pattern === undefined) return;
    const re = new RegExp(pattern);
    for (const v of good) expect([v, re.test(v)]).toEqual([v, true]);
  });
});
