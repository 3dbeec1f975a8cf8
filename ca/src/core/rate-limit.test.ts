import { isCaError } from './errors';
import { defaultIssuanceLimits, formatRateLimit, IssuanceLimiter, parseRateLimit } from './rate-limit';

describe('parseRateLimit', () => {
  it.each([
    ['1/s:100', { perSecond: 1, burst: 100 }],
    ['600/m', { perSecond: 10, burst: 600 }],
    ['36/h:2', { perSecond: 0.01, burst: 2 }],
    [' 5 / s : 7 ', { perSecond: 5, burst: 7 }],
  ])('%s', (text, limit) => {
    expect(parseRateLimit(text)).toEqual(limit);
  });

  it.each(['', '10', '0/s', '1/d', '1/s:0', '-1/s', '1.5/s', '1/s:2000000', 'lots'])('refuses %j with the expected form', (text) => {
    expect(() => parseRateLimit(text)).toThrow(/expected RATE\/UNIT\[:BURST\] with UNIT s, m or h/);
  });

  it.each([
    [{ perSecond: 1, burst: 100 }, '1/s:100'],
    [{ perSecond: 10 / 60, burst: 5 }, '10/m:5'],
    [{ perSecond: 4 / 3600, burst: 4 }, '4/h:4'],
  ])('formats %j as %s (and back)', (limit, text) => {
    expect(formatRateLimit(limit)).toBe(text);
    expect(parseRateLimit(text).burst).toBe(limit.burst);
  });
});

describe('IssuanceLimiter (fake time)', () => {
  const limits = { perIdentity: { perSecond: 1, burst: 3 }, global: { perSecond: 1, burst: 4 } };

  it('lets a burst through, refuses the next with the wait, refills at the rate', () => {
    const l = new IssuanceLimiter(limits, 0);
    expect([0, 0, 0, 0].map(() => l.take('alice', 0))).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: false, scope: 'identity', retryAfterMs: 1000 }]);
    expect(l.take('alice', 500)).toEqual({ ok: false, scope: 'identity', retryAfterMs: 500 });
    expect(l.take('alice', 1000)).toEqual({ ok: true });
    // Another identity has its own bucket, but everyone shares the global one (4 + 1 refilled, 4 taken).
    expect(l.take('bob', 1000)).toEqual({ ok: true });
    expect(l.take('carol', 1000)).toEqual({ ok: false, scope: 'global', retryAfterMs: 1000 });
    expect(l.take('carol', 2000)).toEqual({ ok: true });
  });

  it('a refusal takes no token', () => {
    const l = new IssuanceLimiter({ perIdentity: { perSecond: 1, burst: 1 }, global: { perSecond: 1, burst: 1 } }, 0);
    expect(l.take('alice', 0).ok).toBe(true);
    for (let i = 0; i < 5; i++) expect(l.take('bob', 0)).toMatchObject({ ok: false, scope: 'global' });
    expect(l.take('bob', 1000).ok).toBe(true);
  });

  it('check() throws resource-exhausted saying which limit and when to retry', () => {
    const l = new IssuanceLimiter({ perIdentity: { perSecond: 1 / 60, burst: 1 }, global: defaultIssuanceLimits.global }, 0);
    l.check('spiffe://cluster.local/ns/a/sa/b', 0);
    let err: unknown;
    try {
      l.check('spiffe://cluster.local/ns/a/sa/b', 30_000);
    } catch (e) {
      err = e;
    }
    expect(isCaError(err, 'resource-exhausted')).toBe(true);
    expect((err as Error).message).toBe('the issuance rate limit for spiffe://cluster.local/ns/a/sa/b (1/m:1) is exhausted; retry in 30s');
  });

  it('tracks a bounded number of identities, dropping idle ones first', () => {
    const l = new IssuanceLimiter({ perIdentity: { perSecond: 1, burst: 1 }, global: { perSecond: 1000, burst: 1000 } }, 0, 3);
    for (const id of ['a', 'b', 'c']) l.take(id, 0);
    expect(l.take('d', 5000).ok).toBe(true); // a, b, c are full again (idle): dropped
    expect(l.tracked()).toBe(1);
    for (const id of ['e', 'f']) l.take(id, 5000);
    expect(l.take('g', 5000).ok).toBe(true); // all busy: the oldest (d) goes
    expect(l.tracked()).toBe(3);
    expect(l.take('e', 5000)).toMatchObject({ ok: false, scope: 'identity' });
  });

  it('the defaults let a 100-replica deployment start at once and renew forever', () => {
    const l = new IssuanceLimiter(defaultIssuanceLimits, 0);
    for (let i = 0; i < 100; i++) expect(l.take('spiffe://cluster.local/ns/shop/sa/web', 0).ok).toBe(true);
    expect(l.take('spiffe://cluster.local/ns/shop/sa/web', 0).ok).toBe(false);
    // 100 replicas renewing every 12 h: ~0.002/s, far under 1/s.
    for (let h = 1; h <= 48; h++) for (let i = 0; i < 100; i++) expect(l.take('spiffe://cluster.local/ns/shop/sa/web', h * 43_200_000 + i * 1000).ok).toBe(true);
  });
});
