import { captureSettings, initNetworkArgs } from './capture';

describe('captureSettings → init-network flags', () => {
  it('defaults: proxy ports excluded inbound, everything captured', () => {
    expect(initNetworkArgs(captureSettings({}))).toEqual([
      'init-network', '--proxy-uid', '1337', '--proxy-gid', '1337', '--inbound-capture-port', '15006', '--outbound-capture-port', '15001',
      '--exclude-inbound-ports', '15020,15021,15090', '--include-inbound-ports', '*', '--include-outbound-cidrs', '*',
    ]);
  });

  it('annotations add to the flags; duplicates and spaces are tidied', () => {
    const s = captureSettings({
      'traffic.skein.dev/excludeInboundPorts': '8081, 15021',
      'traffic.skein.dev/includeInboundPorts': '8080',
      'traffic.skein.dev/excludeOutboundPorts': '5432,5432',
      'traffic.skein.dev/excludeOutboundIPRanges': ' 10.96.0.1/32 ',
      'traffic.skein.dev/includeOutboundIPRanges': '*',
    });
    expect(s).toEqual({
      excludeInboundPorts: [15020, 15021, 15090, 8081],
      includeInboundPorts: [8080],
      excludeOutboundPorts: [5432],
      excludeOutboundCidrs: ['10.96.0.1/32'],
      includeOutboundCidrs: '*',
    });
    expect(initNetworkArgs(s).join(' ')).toContain('--exclude-outbound-ports 5432 --exclude-outbound-cidrs 10.96.0.1/32 --include-outbound-cidrs *');
  });

  it('empty exclusion annotations mean none', () => {
    expect(captureSettings({ 'traffic.skein.dev/excludeOutboundPorts': '' }).excludeOutboundPorts).toEqual([]);
  });

  it.each([
    ['traffic.skein.dev/excludeInboundPorts', 'http', /excludeInboundPorts: "http" is not a port/],
    ['traffic.skein.dev/excludeInboundPorts', '0', /"0" is not a port/],
    ['traffic.skein.dev/excludeInboundPorts', '65536', /"65536" is not a port/],
    ['traffic.skein.dev/excludeInboundPorts', '80,,81', /empty item/],
    ['traffic.skein.dev/includeInboundPorts', '8080,-1', /"-1" is not a port/],
    ['traffic.skein.dev/includeInboundPorts', ' ', /empty; use "\*"/],
    ['traffic.skein.dev/excludeOutboundPorts', '5432/tcp', /"5432\/tcp" is not a port/],
    ['traffic.skein.dev/excludeOutboundIPRanges', '10.0.0.1', /"10.0.0.1" is not a CIDR/],
    ['traffic.skein.dev/excludeOutboundIPRanges', '10.0.0.0/40', /is not a CIDR/],
    ['traffic.skein.dev/includeOutboundIPRanges', 'cluster', /includeOutboundIPRanges: "cluster" is not a CIDR/],
    ['traffic.skein.dev/includeOutboundIPRanges', '', /empty; use "\*"/],
  ])('%s: %j is refused', (annotation, value, message) => {
    expect(() => captureSettings({ [annotation]: value })).toThrow(message);
  });
});
