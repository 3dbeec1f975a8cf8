import { mirrorTargets, shadowAuthority } from './mirror';

describe('shadowAuthority', () => {
  it.each([
    ['reviews', 'reviews-shadow'],
    ['reviews:9080', 'reviews-shadow:9080'],
    ['reviews.default.svc.cluster.local:9080', 'reviews.default.svc.cluster.local-shadow:9080'],
    ['[::1]:80', '[::1]-shadow:80'],
    ['', '-shadow'],
  ])('%s → %s', (a, want) => expect(shadowAuthority(a)).toBe(want));
});

describe('mirrorTargets', () => {
  it.each<[number, number | undefined, boolean]>([
    [0.0, 25, true],
    [0.249, 25, true],
    [0.25, 25, false],
    [0.99, undefined, true],
    [0.0, 0, false],
  ])('random %d, percent %s → mirrored %s', (r, percent, want) => {
    expect(mirrorTargets([{ cluster: 'm', percent }], () => r)).toEqual(want ? ['m'] : []);
  });
  it('no policies, no mirrors', () => expect(mirrorTargets(undefined, () => 0)).toEqual([]));
});
