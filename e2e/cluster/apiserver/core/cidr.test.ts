import { contains, firstAddress, nextFree, parseCidr } from './cidr';

describe('ClusterIP allocation', () => {
  it('reserves the first address for the kubernetes Service and allocates the lowest free one', () => {
    const c = parseCidr('10.96.0.0/16');
    expect(firstAddress(c)).toBe('10.96.0.1');
    expect(nextFree(c, new Set(['10.96.0.2']))).toBe('10.96.0.3');
    expect(contains(c, '10.96.255.254')).toBe(true);
    expect(contains(c, '10.97.0.1')).toBe(false);
  });
  it('reports a full range', () => {
    const c = parseCidr('10.0.0.0/30');
    expect(nextFree(c, new Set(['10.0.0.2']))).toBeUndefined();
  });
  it.each(['10.0.0.0', '10.0.0.0/33', '300.0.0.0/16', 'fd00::/64'])('refuses %s', (text) => {
    expect(() => parseCidr(text)).toThrow(/expected an IPv4 CIDR/);
  });
});
