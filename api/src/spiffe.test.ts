import { formatSpiffeId, parseSpiffeId, spiffeId, tryParseSpiffeId, validateTrustDomain } from './spiffe';

describe('SPIFFE ids', () => {
  it.each([
    ['spiffe://cluster.local/ns/default/sa/default', 'cluster.local', 'default', 'default'],
    ['spiffe://example.org/ns/shop-prod/sa/cart.v2', 'example.org', 'shop-prod', 'cart.v2'],
  ])('parses and formats %s', (uri, td, ns, sa) => {
    const id = parseSpiffeId(uri);
    expect(id).toEqual({ trustDomain: td, namespace: ns, serviceAccount: sa });
    expect(formatSpiffeId(id)).toBe(uri);
  });

  it.each([
    ['http://cluster.local/ns/a/sa/b', /expected spiffe:/],
    ['spiffe://cluster.local/ns/a/sa/b/extra', /expected spiffe:/],
    ['spiffe://cluster.local/ns/a/sa/b?x=1', /expected spiffe:/],
    ['spiffe://cluster.local:8443/ns/a/sa/b', /expected spiffe:/],
    ['spiffe://user@cluster.local/ns/a/sa/b', /expected spiffe:/],
    ['spiffe://Cluster.Local/ns/a/sa/b', /invalid trust domain/],
    ['spiffe://cluster.local/ns/A_B/sa/b', /invalid namespace/],
    ['spiffe://cluster.local/ns/a/sa/-b', /invalid service account/],
    ['spiffe://cluster.local/sa/b/ns/a', /expected spiffe:/],
  ])('rejects %s', (uri, message) => {
    expect(() => parseSpiffeId(uri)).toThrow(message);
    expect(tryParseSpiffeId(uri)).toBeUndefined();
  });

  it('validates parts when building', () => {
    expect(() => spiffeId('cluster.local', 'ns', 'sa')).not.toThrow();
    expect(() => spiffeId('', 'ns', 'sa')).toThrow(/trust domain/);
    expect(() => validateTrustDomain('a..b-')).toThrow(/trust domain/);
  });
});
