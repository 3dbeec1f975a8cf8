import { pickAvoiding } from './pick';

function roundRobin(hosts: string[]): () => string {
  let i = 0;
  return () => hosts[i++ % hosts.length]!;
}

describe('pickAvoiding', () => {
  const all = ['a', 'b', 'c', 'd'];
  const base = { all, key: (h: string) => h, panicThresholdPercent: 50 };
  it('passes the balancer choice through when nothing is ejected', () => {
    expect(pickAvoiding({ ...base, pick: roundRobin(all), ejected: () => false })).toBe('a');
  });
  it('skips ejected endpoints', () => {
    const pick = roundRobin(all);
    const got = [1, 2, 3, 4].map(() => pickAvoiding({ ...base, pick, ejected: (h) => h === 'a' || h === 'c' }));
    expect(got).toEqual(['b', 'd', 'b', 'd']);
  });
  it('in panic (fewer healthy than the threshold) uses ejected endpoints too', () => {
    expect(pickAvoiding({ ...base, pick: roundRobin(all), ejected: (h) => h !== 'd' })).toBe('a');
  });
  it('with panic disabled and everything ejected, there is no endpoint (503 UH)', () => {
    expect(pickAvoiding({ ...base, panicThresholdPercent: 0, pick: roundRobin(all), ejected: () => true })).toBeUndefined();
  });
  it('a retry avoids hosts already tried when another is available', () => {
    expect(pickAvoiding({ ...base, pick: roundRobin(all), ejected: () => false, tried: new Set(['a', 'b']) })).toBe('c');
  });
  it('a retry reuses a tried host when it is the only one left', () => {
    expect(pickAvoiding({ ...base, all: ['a'], pick: () => 'a', ejected: () => false, tried: new Set(['a']) })).toBe('a');
  });
  it('a balancer stuck on one host (ring hash) still yields an allowed host', () => {
    expect(pickAvoiding({ ...base, pick: () => 'a', ejected: (h) => h === 'a' })).toBe('b');
    expect(pickAvoiding({ ...base, pick: () => 'a', ejected: () => false, tried: new Set(['a']) })).toBe('b');
  });
});
