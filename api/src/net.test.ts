import { cidrContains, controlPlaneTlsName, ipFamily, parseCidr } from './net';

describe('ipFamily', () => {
  it.each([
    ['10.1.2.3', 'ipv4'], ['0.0.0.0', 'ipv4'], ['::', 'ipv6'], ['::1', 'ipv6'], ['2001:db8::1', 'ipv6'],
    ['1:2:3:4:5:6:7:8', 'ipv6'], ['::ffff:10.0.0.1', 'ipv6'],
  ])('%s is %s', (text, family) => expect(ipFamily(text)).toBe(family));

  it.each(['256.0.0.1', '01.2.3.4', '10.0.0', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'fe80::1%eth0', '', 'x'])(
    '%j is not an address',
    (text) => expect(ipFamily(text)).toBeUndefined(),
  );
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', 'ipv4', '10.0.0.0/8'], ['0.0.0.0/0', 'ipv4', '0.0.0.0/0'], ['192.168.1.7/32', 'ipv4', '192.168.1.7/32'],
    ['fd00::/8', 'ipv6', 'fd00::/8'], ['::/0', 'ipv6', '::/0'], ['::ffff:10.0.0.1/128', 'ipv6', '::ffff:10.0.0.1/128'],
    ['1:2:3:4:5:6:7:8/64', 'ipv6', '1:2:3:4:5:6:7:8/64'],
  ])('%s → %s %s', (text, family, normalized) => {
    expect(parseCidr(text, { bareAddress: false })).toEqual({ family, text: normalized });
  });

  it.each([['10.1.2.3', '10.1.2.3/32'], ['::1', '::1/128']])('bare %s → %s only when allowed', (text, normalized) => {
    expect(parseCidr(text, { bareAddress: true })).toEqual(expect.objectContaining({ text: normalized }));
    expect(parseCidr(text, { bareAddress: false })).toEqual({ error: expect.stringMatching(/ADDRESS\/PREFIX/) });
  });

  it.each([
    ['10.0.0.0/33', /prefix length must be 0-32/], ['fd00::/129', /0-128/], ['10.0.0.0/08', /prefix length/],
    ['256.0.0.0/8', /not an IPv4 or IPv6/], ['01.0.0.0/8', /not an IPv4/], ['x/8', /not an IPv4/], ['/8', /not an IPv4/],
    ['1::2::3/64', /not an IPv4/], ['10.0.0.0/8/1', /ADDRESS\/PREFIX/],
  ])('%j is refused: %s', (text, reason) => {
    const result = parseCidr(text, { bareAddress: true });
    expect('error' in result && result.error).toMatch(reason);
  });
});

describe('controlPlaneTlsName', () => {
  it.each([
    ['skein-controlplane.skein-system.svc:15012', 'skein-controlplane.skein-system.svc'],
    ['localhost:15012', 'localhost'],
    ['10.77.0.1:15012', 'cp.svc'],
    ['[::1]:15012', 'cp.svc'],
  ])('%s → %s', (address, name) => expect(controlPlaneTlsName(address, 'cp.svc')).toBe(name));
});

describe('cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['10.96.0.20/32', '10.96.0.20', true],
    ['10.96.0.20', '10.96.0.21', false],
    ['0.0.0.0/0', '192.168.1.1', true],
    ['192.168.1.0/33', '192.168.1.1', false],
    ['fd00::/8', 'fd00::1', false],
  ])('cidrContains(%s, %s) = %s', (cidr, ip, inside) => expect(cidrContains(cidr, ip)).toBe(inside));
});
