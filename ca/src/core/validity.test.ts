import { isCaError } from './errors';
import { defaultValidityPolicy as policy, leafValidity } from './validity';

const now = new Date('2026-06-01T00:00:00Z');
const h = 3_600_000;
const issuer = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2036-01-01T00:00:00Z') };

describe('leafValidity', () => {
  it.each([
    ['absent → 24 h default', undefined, 24 * h],
    ['0 → 24 h default', 0, 24 * h],
    ['1 h', h, h],
    ['exactly the 90 d max', 90 * 24 * h, 90 * 24 * h],
  ])('%s', (_name, ttl, lifetime) => {
    const v = leafValidity(policy, now, ttl, issuer);
    expect(v.notAfter.getTime() - now.getTime()).toBe(lifetime);
    expect(now.getTime() - v.notBefore.getTime()).toBe(5 * 60_000);
  });

  it.each([
    ['over the maximum', 91 * 24 * h, 'invalid-argument', /exceeds the maximum 90d/],
    ['negative', -1000, 'invalid-argument', /at least 1s/],
    ['below 1 s', 500, 'invalid-argument', /at least 1s/],
    ['not a number', Number.NaN, 'invalid-argument', /invalid TTL/],
  ])('refuses a TTL %s', (_name, ttl, kind, message) => {
    let err: unknown;
    try {
      leafValidity(policy, now, ttl, issuer);
    } catch (e) {
      err = e;
    }
    expect(isCaError(err, kind as 'invalid-argument')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });

  it('caps not-after at the issuing CA certificate expiry, and not-before at its start', () => {
    const shortIssuer = { notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 2 * h) };
    const v = leafValidity(policy, now, 24 * h, shortIssuer);
    expect(v.notAfter).toEqual(shortIssuer.notAfter);
    expect(v.notBefore).toEqual(shortIssuer.notBefore);
  });

  it('refuses to sign with an expired or not-yet-valid CA', () => {
    expect(() => leafValidity(policy, now, h, { notBefore: issuer.notBefore, notAfter: now })).toThrow(/CA certificate expired/);
    expect(() => leafValidity(policy, now, h, { notBefore: new Date(now.getTime() + 1), notAfter: issuer.notAfter })).toThrow(/check the clock/);
  });
});
