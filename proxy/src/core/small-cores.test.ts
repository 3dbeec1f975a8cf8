import type { FilterChain } from '../config/model';
import { selectFilterChain } from './chain-match';
import { errorResponse, flagForUpstreamError, grpcStatusForHttp } from './errors';
import { H2Preface, sniff } from './sniff';
import { TokenBucket } from './token-bucket';
import { formatXfcc, parseXfcc } from './xfcc';

const chain = (name: string, match: FilterChain['match']): FilterChain => ({ name, match, filter: { type: 'tcp', statPrefix: name, passthrough: true } });

describe('selectFilterChain', () => {
  const chains = [
    chain('any', {}),
    chain('port-tls', { destinationPort: 9080, transport: 'tls' }),
    chain('port-plain', { destinationPort: 9080, transport: 'plaintext' }),
    chain('vip', { destinationAddresses: ['10.96.0.10'], destinationPort: 80 }),
    chain('vip-http', { destinationAddresses: ['10.96.0.10'], destinationPort: 80, applicationProtocol: 'http' }),
  ];
  it.each<[object, string | undefined]>([
    [{ destinationPort: 9080, transport: 'tls' }, 'port-tls'],
    [{ destinationPort: 9080, transport: 'plaintext' }, 'port-plain'],
    [{ destinationPort: 9081, transport: 'tls' }, 'any'],
    [{ destinationAddress: '::ffff:10.96.0.10', destinationPort: 80, applicationProtocol: 'tcp' }, 'vip'],
    [{ destinationAddress: '10.96.0.10', destinationPort: 80, applicationProtocol: 'http' }, 'vip-http'],
  ])('%j → %s', (facts, name) => expect(selectFilterChain(chains, facts)?.name).toBe(name));
  it('STRICT (tls chain only) has no chain for plaintext', () => expect(selectFilterChain([chains[1]!], { destinationPort: 9080, transport: 'plaintext' })).toBeUndefined());
});

describe('sniff', () => {
  const b = (s: string | number[]) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s));
  it.each<[string, Uint8Array, boolean, object]>([
    ['ClientHello', b([0x16, 0x03, 0x01, 0x02, 0x00]), false, { transport: 'tls' }],
    ['HTTP/1 GET', b('GET / HTTP/1.1\r\n'), false, { transport: 'plaintext', protocol: 'http1' }],
    ['h2c preface', b(H2Preface), false, { transport: 'plaintext', protocol: 'h2c' }],
    ['partial preface', b('PRI * HT'), false, { needMore: true }],
    ['partial method', b('GE'), false, { needMore: true }],
    ['partial method at EOF', b('GE'), true, { transport: 'plaintext', protocol: 'tcp' }],
    ['garbage', b([0xde, 0xad, 0xbe, 0xef]), false, { transport: 'plaintext', protocol: 'tcp' }],
    ['unknown word', b('HELLO world'), false, { transport: 'plaintext', protocol: 'tcp' }],
    ['nothing yet', b(''), false, { needMore: true }],
    ['server-first protocol (nothing at timeout)', b(''), true, { transport: 'plaintext', protocol: 'tcp' }],
  ])('%s', (_n, bytes, final, want) => expect(sniff(bytes, final)).toEqual(want));
});

describe('errors', () => {
  it.each([['NR', 404], ['UH', 503], ['UT', 504], ['UF', 503], ['UAEX', 403], ['RL', 429], ['DPE', 400]] as const)('%s → %d', (flag, status) => {
    expect(errorResponse(flag)).toMatchObject({ flag, status });
  });
  it('RBAC denial has Envoy\'s body', () => expect(errorResponse('UAEX').body).toBe('RBAC: access denied'));
  it.each([
    ['ECONNREFUSED', 'UF'], ['ETIMEDOUT', 'UF'], ['SKEIN_PEER_IDENTITY', 'UF'], ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'UF'], ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UF'],
    ['ECONNRESET', 'UC'], [undefined, 'UC'], ['ERR_HTTP2_STREAM_ERROR', 'UR'], ['HPE_INVALID_CONSTANT', 'UPE'],
  ])('upstream error %s → %s', (code, flag) => expect(flagForUpstreamError({ code })).toBe(flag));
  it.each([[503, 14], [404, 12], [403, 7], [500, 2]])('HTTP %d → grpc %d', (http, grpc) => expect(grpcStatusForHttp(http)).toBe(grpc));
});

describe('xfcc', () => {
  it('formats and parses Envoy style', () => {
    const v = formatXfcc({ by: 'spiffe://cluster.local/ns/b/sa/b', hash: 'ab12', uri: 'spiffe://cluster.local/ns/a/sa/a' });
    expect(v).toBe('By=spiffe://cluster.local/ns/b/sa/b;Hash=ab12;URI=spiffe://cluster.local/ns/a/sa/a');
    expect(parseXfcc(v)).toEqual({ by: 'spiffe://cluster.local/ns/b/sa/b', hash: 'ab12', uri: 'spiffe://cluster.local/ns/a/sa/a' });
  });
  it('quotes values with separators', () => expect(parseXfcc(formatXfcc({ uri: 'a;b' }))).toEqual({ uri: 'a;b' }));
});

describe('TokenBucket', () => {
  it('allows a burst, then refills per interval', () => {
    const bucket = new TokenBucket({ maxTokens: 2, tokensPerFill: 1, fillIntervalMs: 1000 }, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, false]);
    expect(bucket.take(999)).toBe(false);
    expect(bucket.take(1000)).toBe(true);
    expect(bucket.take(10_000)).toBe(true);
    expect(bucket.take(10_000)).toBe(true);
    expect(bucket.take(10_000)).toBe(false);
  });
});
