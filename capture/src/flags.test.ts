import { UsageError } from '../../api/src/command';
import { defaultCaptureConfig } from './core/capture-rules';
import { parseCidr, parseInitNetworkArgs } from './flags';

/** The exact flags the webhook renders into the skein-init container. */
const webhookFlags = [
  '--proxy-uid', '1337', '--proxy-gid', '1337', '--inbound-capture-port', '15006', '--outbound-capture-port', '15001',
  '--exclude-inbound-ports', '15090,15021,15020', '--include-inbound-ports', '*',
  '--exclude-outbound-ports', '', '--exclude-outbound-cidrs', '', '--include-outbound-cidrs', '*',
];

describe('init-network flags', () => {
  it('the webhook flags give the default capture config', () => {
    const options = parseInitNetworkArgs(webhookFlags);
    expect(options).toEqual({
      config: { ...defaultCaptureConfig, excludeInboundPorts: [15090, 15021, 15020] }, ipv6: 'auto', backend: 'auto', dryRun: false, cleanup: false,
    });
    expect(parseInitNetworkArgs([]).config).toEqual(defaultCaptureConfig);
  });

  it('reads lists, selections, CIDRs of both families, modes and switches', () => {
    const options = parseInitNetworkArgs([
      '--include-inbound-ports', '8080, 9090,8080', '--exclude-outbound-ports', '5432',
      '--exclude-outbound-cidrs', '169.254.169.254,fd00::/8', '--include-outbound-cidrs', '10.96.0.0/12',
      '--ipv6', 'off', '--iptables-backend', 'legacy', '--dry-run',
    ]);
    expect(options.config.includeInboundPorts).toEqual([8080, 9090]);
    expect(options.config.excludeOutboundPorts).toEqual([5432]);
    expect(options.config.excludeOutboundCidrs).toEqual([{ family: 'ipv4', text: '169.254.169.254/32' }, { family: 'ipv6', text: 'fd00::/8' }]);
    expect(options.config.includeOutboundCidrs).toEqual([{ family: 'ipv4', text: '10.96.0.0/12' }]);
    expect(options.ipv6).toBe('off');
    expect(options.backend).toBe('legacy');
    expect(options.dryRun).toBe(true);
    expect(parseInitNetworkArgs(['--cleanup']).cleanup).toBe(true);
    expect(parseInitNetworkArgs(['--include-inbound-ports', '']).config.includeInboundPorts).toEqual([]);
  });

  it.each([
    [['--proxy-uid', 'root'], /--proxy-uid: invalid value "root"/],
    [['--proxy-uid', '0'], /--proxy-uid: .*must not be 0/],
    [['--proxy-gid=-1'], /--proxy-gid: invalid value/],
    [['--inbound-capture-port', '70000'], /--inbound-capture-port: .*1-65535/],
    [['--outbound-capture-port', '0'], /--outbound-capture-port: .*1-65535/],
    [['--outbound-capture-port', '15006'], /--outbound-capture-port: .*must differ/],
    [['--exclude-inbound-ports', '15090,abc'], /--exclude-inbound-ports: invalid value "abc": expected a port/],
    [['--exclude-inbound-ports', '*'], /--exclude-inbound-ports: .*'\*' is not allowed/],
    [['--exclude-outbound-ports', '1000-2000'], /--exclude-outbound-ports: .*ranges are not supported/],
    [['--include-inbound-ports', '80,,81'], /--include-inbound-ports: invalid value/],
    [['--exclude-outbound-cidrs', '10.0.0.0/33'], /--exclude-outbound-cidrs: .*prefix length must be 0-32/],
    [['--exclude-outbound-cidrs', '10.0.0/8'], /--exclude-outbound-cidrs: .*not an IPv4 or IPv6 address/],
    [['--include-outbound-cidrs', 'fd00::/129'], /--include-outbound-cidrs: .*0-128/],
    [['--include-outbound-cidrs', 'example.com'], /--include-outbound-cidrs: .*not an IPv4 or IPv6/],
    [['--include-outbound-cidrs', '10.0.0.0/8/1'], /--include-outbound-cidrs: .*ADDRESS\/PREFIX/],
    [['--ipv6', 'yes'], /--ipv6: invalid value "yes": expected auto, on or off/],
    [['--iptables-backend', 'xtables'], /--iptables-backend: invalid value "xtables": expected auto, nft or legacy/],
    [['--dry-run', '--cleanup'], /cannot be combined/],
    [['--no-such-flag'], /no-such-flag/],
    [['extra'], /extra/],
  ])('%j is a usage error naming the flag', (args, message) => {
    let error: unknown;
    try {
      parseInitNetworkArgs(args);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ['10.1.2.3', 'ipv4', '10.1.2.3/32'],
    ['0.0.0.0/0', 'ipv4', '0.0.0.0/0'],
    ['::1', 'ipv6', '::1/128'],
    ['::', 'ipv6', '::/128'],
    ['2001:db8::/32', 'ipv6', '2001:db8::/32'],
    ['1:2:3:4:5:6:7:8/64', 'ipv6', '1:2:3:4:5:6:7:8/64'],
    ['::ffff:10.0.0.1', 'ipv6', '::ffff:10.0.0.1/128'],
  ])('CIDR %s is %s %s', (text, family, normalized) => {
    expect(parseCidr('x', text)).toEqual({ family, text: normalized });
  });

  it.each(['256.0.0.1', '01.2.3.4', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'fe80::1%eth0', ''])('CIDR %j is rejected', (text) => {
    expect(() => parseCidr('exclude-outbound-cidrs', text)).toThrow(/--exclude-outbound-cidrs: invalid value/);
  });
});
