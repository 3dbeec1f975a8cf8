import { pooledRandomHex } from './random-pool';

describe('pooledRandomHex', () => {
  it.each([1, 8, 16, 100])('returns %i bytes as lower-case hex', (n) => expect(pooledRandomHex(64)(n)).toMatch(new RegExp(`^[0-9a-f]{${n * 2}}$`)));

  it('hands out fresh bytes across refills (no id repeats)', () => {
    const random = pooledRandomHex(64);
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(random(16));
    expect(seen.size).toBe(1000);
  });

  it('serves a request larger than the pool on its own', () => {
    const random = pooledRandomHex(8);
    expect(random(32)).toHaveLength(64);
    expect(random(8)).toHaveLength(16);
  });
});
