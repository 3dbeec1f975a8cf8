import { createPicker, hash64, type LbHost, type PickContext } from './lb';

const hosts: LbHost[] = [{ key: 'a', weight: 1 }, { key: 'b', weight: 1 }, { key: 'c', weight: 2 }];
function seeded(seed = 7): () => number {
  return () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
}
function ctx(over: Partial<PickContext> = {}): PickContext {
  return { random: seeded(), activeRequests: () => 0, ...over };
}
function count(picks: (LbHost | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of picks) out[p!.key] = (out[p!.key] ?? 0) + 1;
  return out;
}

describe('load-balancer pickers', () => {
  it('returns undefined with no hosts, for every policy', () => {
    for (const p of ['round-robin', 'least-request', 'random', 'ring-hash'] as const) expect(createPicker(p, []).pick(ctx())).toBeUndefined();
  });

  it('round robin follows weights smoothly', () => {
    const picker = createPicker('round-robin', hosts);
    const c = ctx();
    const seq = Array.from({ length: 8 }, () => picker.pick(c)!.key);
    expect(count(seq.map((key) => ({ key, weight: 1 })))).toEqual({ a: 2, b: 2, c: 4 });
    expect(seq.slice(0, 4)).toEqual(['c', 'a', 'b', 'c']);
  });

  it('random honours weights', () => {
    const picker = createPicker('random', hosts);
    const c = ctx();
    const counts = count(Array.from({ length: 4000 }, () => picker.pick(c)));
    expect(counts.c! / 4000).toBeGreaterThan(0.45);
    expect(counts.c! / 4000).toBeLessThan(0.55);
  });

  it('least request prefers the less loaded of two random choices', () => {
    const load: Record<string, number> = { a: 10, b: 0, c: 10 };
    const picker = createPicker('least-request', hosts);
    const c = ctx({ activeRequests: (k) => load[k]! });
    const counts = count(Array.from({ length: 1000 }, () => picker.pick(c)));
    expect(counts.b).toBeGreaterThan(500);
  });

  it('ring hash is sticky per key and spreads keys', () => {
    const picker = createPicker('ring-hash', hosts, 1024);
    const c = ctx();
    const first = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (let u = 0; u < 200; u++) {
        const key = picker.pick({ ...c, hash: hash64(`user-${u}`) })!.key;
        if (round === 0) first.set(`user-${u}`, key);
        else expect(key).toBe(first.get(`user-${u}`));
      }
    }
    expect(new Set(first.values()).size).toBe(3);
  });

  it('ring hash moves few keys when a host is removed', () => {
    const before = createPicker('ring-hash', hosts, 1024);
    const after = createPicker('ring-hash', hosts.filter((h) => h.key !== 'a'), 1024);
    let moved = 0;
    let stayedCandidates = 0;
    for (let u = 0; u < 1000; u++) {
      const h = hash64(`k${u}`);
      const was = before.pick(ctx({ hash: h }))!.key;
      const now = after.pick(ctx({ hash: h }))!.key;
      if (was === 'a') continue;
      stayedCandidates++;
      if (was !== now) moved++;
    }
    // Keys of surviving hosts mostly stay (only re-balancing of the ring moves some).
    expect(moved / stayedCandidates).toBeLessThan(0.15);
  });
});
