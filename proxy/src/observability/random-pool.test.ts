import { pooledRandomBytes } from './random-pool';

describe('pooledRandomBytes', () => {
  it.each([1, 8, 16, 100])('returns %i bytes per call', (n) => expect(pooledRandomBytes(64)(n)).toHaveLength(n));

  it('hands out fresh bytes across refills (no id repeats)', () => {
    const random = pooledRandomBytes(64);
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(Buffer.from(random(16)).toString('hex'));
    expect(seen.size).toBe(1000);
  });

  it('serves a request larger than the pool from its own buffer', () => {
    const random = pooledRandomBytes(8);
    expect(random(32)).toHaveLength(32);
    expect(random(8)).toHaveLength(8);
  });
});
