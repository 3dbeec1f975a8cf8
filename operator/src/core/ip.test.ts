import { cidrContains, isIP, isIPv4, isIPv6 } from './ip';

describe('ip', () => {
  it.each(['0.0.0.0', '10.0.0.5', '255.255.255.255', '127.0.0.1'])('IPv4 %s', (a) => expect(isIPv4(a)).toBe(true));
  it.each(['256.0.0.1', '10.0.0', '01.2.3.4', 'a.b.c.d', ''])('not IPv4 %j', (a) => expect(isIPv4(a)).toBe(false));
  it.each(['::1', 'fd00::1', '2001:db8:0:0:0:0:2:1', '::ffff:10.0.0.1', '::'])('IPv6 %s', (a) => expect(isIPv6(a)).toBe(true));
  it.each(['1:2:3', ':::1', '1::2::3', 'g::1', '10.0.0.1'])('not IPv6 %j', (a) => expect(isIPv6(a)).toBe(false));
  it.each([
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.96.0.20/32', '10.96.0.20', true],
    ['10.96.0.20', '10.96.0.21', false],
    ['0.0.0.0/0', '192.168.1.1', true],
    ['192.168.1.0/33', '192.168.1.1', false],
    ['fd00::/8', 'fd00::1', false],
  ])('cidrContains(%s, %s) = %s', (cidr, ip, inside) => expect(cidrContains(cidr, ip)).toBe(inside));

  it('isIP is either', () => expect([isIP('10.0.0.1'), isIP('::1'), isIP('x')]).toEqual([true, true, false]));
});
