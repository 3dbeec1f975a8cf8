import { callerSpiffeId, plainAddress, serverIdentity } from './identity';

describe('caller SPIFFE id from x-forwarded-client-cert', () => {
  it.each([
    ['By=spiffe://cluster.local/ns/a/sa/web;Hash=ab12;Subject="";URI=spiffe://cluster.local/ns/a/sa/client', 'spiffe://cluster.local/ns/a/sa/client'],
    ['Hash=1;URI=spiffe://td/ns/x/sa/first,By=b;Hash=2;URI=spiffe://td/ns/y/sa/last', 'spiffe://td/ns/y/sa/last'],
    ['Subject="CN=a,O=b;c";URI=spiffe://td/ns/q/sa/quoted', 'spiffe://td/ns/q/sa/quoted'],
    ['uri=spiffe://td/ns/l/sa/lower', 'spiffe://td/ns/l/sa/lower'],
    [['Hash=1;URI=spiffe://td/ns/x/sa/a', 'URI=spiffe://td/ns/x/sa/b'], 'spiffe://td/ns/x/sa/b'],
  ])('%j → %s', (xfcc, expected) => {
    expect(callerSpiffeId(xfcc)).toBe(expected);
  });

  it.each([undefined, '', 'Hash=abc', 'URI=https://example.com', 'By=spiffe://td/ns/a/sa/b'])('has no caller for %j', (xfcc) => {
    expect(callerSpiffeId(xfcc)).toBeNull();
  });
});

describe('server identity', () => {
  it('comes from the environment, with defaults', () => {
    expect(serverIdentity({ NAME: 'web', VERSION: 'v2', POD_NAME: 'web-v2', POD_NAMESPACE: 'shop' })).toEqual({ name: 'web', version: 'v2', pod: 'web-v2', namespace: 'shop' });
    expect(serverIdentity({})).toEqual({ name: 'echo', version: 'v1', pod: '', namespace: '' });
  });

  it('shows IPv4-mapped addresses as plain IPv4', () => {
    expect(plainAddress('::ffff:127.0.0.6')).toBe('127.0.0.6');
    expect(plainAddress('10.0.0.1')).toBe('10.0.0.1');
    expect(plainAddress(undefined)).toBe('');
  });
});
