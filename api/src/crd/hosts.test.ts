import { hostMatches, resolveHost } from './hosts';

describe('resolveHost', () => {
  it.each([
    ['reviews', 'prod', undefined, 'reviews.prod.svc.cluster.local'],
    ['reviews', 'prod', 'example.org', 'reviews.prod.svc.example.org'],
    ['reviews.other', 'prod', undefined, 'reviews.other'],
    ['reviews.other.svc.cluster.local', 'prod', undefined, 'reviews.other.svc.cluster.local'],
    ['*.other.svc.cluster.local', 'prod', undefined, '*.other.svc.cluster.local'],
  ])('%s in %s (domain %s) → %s', (host, ns, domain, fqdn) => expect(resolveHost(host, ns, domain)).toBe(fqdn));
});

describe('hostMatches', () => {
  it.each([
    ['reviews.prod.svc.cluster.local', 'reviews.prod.svc.cluster.local', true],
    ['reviews.prod.svc.cluster.local', 'ratings.prod.svc.cluster.local', false],
    ['*.prod.svc.cluster.local', 'reviews.prod.svc.cluster.local', true],
    ['*.prod.svc.cluster.local', 'a.b.prod.svc.cluster.local', true],
    ['*.prod.svc.cluster.local', 'prod.svc.cluster.local', false],
    ['*.prod.svc.cluster.local', 'xprod.svc.cluster.local', false],
  ])('%s covers %s: %s', (pattern, host, expected) => expect(hostMatches(pattern, host)).toBe(expected));
});
