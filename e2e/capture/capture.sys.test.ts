// Traffic capture end to end: the real `skein init-network` (from dist/) installs its rules in a
// pod network namespace; connections from the app, from the proxy's UID and from outside land
// where docs/traffic-capture.md says, and the addon reports the original destination.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ProxyGid, ProxyPorts, ProxyUid } from '../../api/src/names';
import { describeSystem } from '../support/system';
import { addresses, inNamespace, normalizedSave, PodNetwork, sh } from './pod-network';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'dist', 'cli', 'src', 'main.js');
const origDstModule = path.join(root, 'dist', 'proxy', 'src', 'original-dst.js');

const app = { uid: 1000, gid: 1000 };
const proxy = { uid: ProxyUid, gid: ProxyGid };
const appInProxyGroup = { uid: 1000, gid: ProxyGid };

/** The flags the webhook renders, plus this pod's exclusions. */
const initFlags = [
  '--proxy-uid', String(ProxyUid), '--proxy-gid', String(ProxyGid),
  '--inbound-capture-port', String(ProxyPorts.inbound), '--outbound-capture-port', String(ProxyPorts.outbound),
  '--exclude-inbound-ports', '15090,15021,15020', '--include-inbound-ports', '*',
  '--exclude-outbound-ports', '5432', '--exclude-outbound-cidrs', addresses.excludedCidr, '--include-outbound-cidrs', '*',
  '--ipv6', 'auto',
];

/** The test runs the built CLI: refuse a missing or stale dist/ rather than test old code. */
function assertBuilt(): void {
  if (!fs.existsSync(cli)) throw new Error(`${path.relative(root, cli)} is missing: run npm run build first`);
  const sources = ['cli/src/commands.ts', 'capture/src/init-network.ts', 'capture/src/iptables.ts', 'capture/src/flags.ts',
    'capture/src/core/capture-rules.ts', 'proxy/src/original-dst.ts'];
  for (const source of sources) {
    const built = path.join(root, 'dist', source.replace(/\.ts$/, '.js'));
    if (!fs.existsSync(built) || fs.statSync(path.join(root, source)).mtimeMs > fs.statSync(built).mtimeMs) {
      throw new Error(`${path.relative(root, built)} is missing or older than ${source}: run npm run build first`);
    }
  }
}

const tools = ['ip', 'setpriv', 'iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore',
  'iptables-legacy', 'iptables-legacy-save', 'iptables-nft', 'ip6tables-nft'];

describeSystem('skein init-network: traffic capture in a network namespace', () => {
  const net = new PodNetwork(`${process.pid}`);
  let before: { v4: string; v6: string };
  const saves = () => ({ v4: normalizedSave(net.pod, 'iptables-save'), v6: normalizedSave(net.pod, 'ip6tables-save') });
  const initNetwork = (...extra: string[]) => sh(inNamespace(net.pod, [process.execPath, cli, 'init-network', ...extra]));
  const loAddresses = () => sh(inNamespace(net.pod, ['ip', '-6', 'addr', 'show', 'dev', 'lo']));

  beforeAll(async () => {
    assertBuilt();
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build-addon.js')], { stdio: 'ignore', timeout: 120_000 });
    net.create();
    // The proxy runs as UID 1337: it must be able to run node and read the build.
    try {
      sh(inNamespace(net.pod, [process.execPath, '-e', 'require(process.argv[1])', origDstModule], proxy));
    } catch (err) {
      throw new Error(`UID ${ProxyUid} cannot run ${process.execPath} or read ${origDstModule} (the checkout and node must be readable by other users): ${String(err)}`);
    }
    // Rules the pod already has: init-network must add to them and cleanup must leave them.
    sh(inNamespace(net.pod, ['iptables', '-t', 'nat', '-N', 'APP_DNS']));
    sh(inNamespace(net.pod, ['iptables', '-t', 'nat', '-A', 'OUTPUT', '-p', 'udp', '--dport', '53', '-j', 'APP_DNS']));
    sh(inNamespace(net.pod, ['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']));
    sh(inNamespace(net.pod, ['ip6tables', '-t', 'nat', '-A', 'OUTPUT', '-p', 'udp', '--dport', '53', '-j', 'RETURN']));
    before = saves();

    initNetwork(...initFlags);

    // The "proxy": UID 1337, listening on both capture ports, reporting original destinations.
    await net.startServer(net.pod, { name: 'sidecar', ports: [ProxyPorts.outbound, ProxyPorts.inbound], origDstModule }, proxy);
    // The pod's health port (excluded from inbound capture); it also reports what the addon says.
    await net.startServer(net.pod, { name: 'pod-health', ports: [ProxyPorts.health], origDstModule });
    // The application itself.
    await net.startServer(net.pod, { name: 'app', ports: [8080] }, app);
    // The real destinations behind the VIPs.
    await net.startServer(net.peer, { name: 'peer', ports: [80, 5432] });
  }, 90_000);

  afterAll(() => net.destroy(), 30_000);

  it('an app connecting to a service VIP lands on :15001 with the VIP as original destination', () => {
    expect(net.connect(net.pod, addresses.vip, 80, app)).toEqual({
      server: 'sidecar', port: ProxyPorts.outbound, original: { address: addresses.vip, port: 80, family: 'IPv4' },
    });
  });

  it('IPv6: the same for a v6 VIP (ip6tables rules, IP6T_SO_ORIGINAL_DST)', () => {
    expect(net.connect(net.pod, addresses.vipV6, 80, app)).toEqual({
      server: 'sidecar', port: ProxyPorts.outbound, original: { address: addresses.vipV6, port: 80, family: 'IPv6' },
    });
  });

  it('the proxy (UID 1337) is not captured: it reaches the real destination', () => {
    expect(net.connect(net.pod, addresses.vip, 80, proxy)).toMatchObject({ server: 'peer' });
    expect(net.connect(net.pod, addresses.vipV6, 80, proxy)).toMatchObject({ server: 'peer' });
  });

  it('a process in the proxy group (GID 1337) is not captured either', () => {
    expect(net.connect(net.pod, addresses.vip, 80, appInProxyGroup)).toMatchObject({ server: 'peer' });
  });

  it('excluded outbound ports and CIDRs are not captured', () => {
    expect(net.connect(net.pod, addresses.vip, 5432, app)).toMatchObject({ server: 'peer', port: 5432 });
    expect(net.connect(net.pod, addresses.excludedVip, 80, app)).toMatchObject({ server: 'peer', port: 80 });
  });

  it('loopback traffic of the app is not captured', () => {
    expect(net.connect(net.pod, '127.0.0.1', ProxyPorts.health, app)).toEqual({ server: 'pod-health', port: ProxyPorts.health, original: null });
  });

  it('inbound connections to the pod address land on :15006 with the pod address as original destination', () => {
    expect(net.connect(net.peer, addresses.pod, 8080)).toEqual({
      server: 'sidecar', port: ProxyPorts.inbound, original: { address: addresses.pod, port: 8080, family: 'IPv4' },
    });
    expect(net.connect(net.peer, addresses.podV6, 8080)).toEqual({
      server: 'sidecar', port: ProxyPorts.inbound, original: { address: addresses.podV6, port: 8080, family: 'IPv6' },
    });
  });

  it('the proxy calling its own pod address goes through inbound (:15006), except on excluded inbound ports', () => {
    expect(net.connect(net.pod, addresses.pod, 8080, proxy)).toEqual({
      server: 'sidecar', port: ProxyPorts.inbound, original: { address: addresses.pod, port: 8080, family: 'IPv4' },
    });
    expect(net.connect(net.pod, addresses.pod, ProxyPorts.health, proxy)).toMatchObject({ server: 'pod-health' });
  });

  it('the inbound proxy reaches the app from 127.0.0.6 (IPv6: ::6) without being captured again', () => {
    expect(net.connect(net.pod, addresses.pod, 8080, proxy, '127.0.0.6')).toMatchObject({ server: 'app' });
    expect(net.connect(net.pod, addresses.podV6, 8080, proxy, '::6')).toMatchObject({ server: 'app' });
    // The same call from another source is the proxy calling its own pod: it goes through inbound.
    expect(net.connect(net.pod, addresses.podV6, 8080, proxy)).toMatchObject({ server: 'sidecar', port: ProxyPorts.inbound });
  });

  it('the app calling its own pod address is not captured', () => {
    expect(net.connect(net.pod, addresses.pod, 8080, app)).toMatchObject({ server: 'app' });
  });

  it('excluded inbound ports reach the pod directly (and the addon says: not redirected)', () => {
    expect(net.connect(net.peer, addresses.pod, ProxyPorts.health)).toEqual({ server: 'pod-health', port: ProxyPorts.health, original: null });
  });

  it('IPv6 capture adds ::6 to lo for the inbound passthrough', () => {
    expect(loAddresses()).toContain('inet6 ::6/128');
  });

  it('applying twice yields the same rules', () => {
    const once = saves();
    expect(once.v4).toContain(':SKEIN_OUTPUT');
    expect(once.v4).toContain('-A OUTPUT -p udp -m udp --dport 53 -j APP_DNS');
    initNetwork(...initFlags);
    expect(saves()).toEqual(once);
    expect(net.connect(net.pod, addresses.vip, 80, app)).toMatchObject({ server: 'sidecar' });
  });

  it('--dry-run prints the rules without changing them', () => {
    const installed = saves();
    const out = initNetwork(...initFlags, '--dry-run');
    expect(out).toMatch(/^# iptables-restore --noflush\n\*nat\n:SKEIN_INBOUND - \[0:0\]/);
    expect(out).toContain('# ip6tables-restore --noflush');
    expect(saves()).toEqual(installed);
  });

  it('a bad flag value is a usage error naming the flag, and changes nothing', () => {
    const installed = saves();
    let failure: { status?: number; stderr?: string } = {};
    try {
      initNetwork('--exclude-outbound-cidrs', '10.0.0.0/40');
    } catch (err) {
      failure = err as typeof failure;
    }
    expect(failure.status).toBe(2);
    expect(failure.stderr).toMatch(/--exclude-outbound-cidrs: invalid value "10.0.0.0\/40"/);
    expect(saves()).toEqual(installed);
  });

  it('--cleanup leaves iptables-save as it was before, and traffic flows uncaptured', () => {
    initNetwork('--cleanup');
    expect(saves()).toEqual(before);
    expect(loAddresses()).not.toContain('::6');
    expect(net.connect(net.pod, addresses.vip, 80, app)).toMatchObject({ server: 'peer' });
    expect(net.connect(net.peer, addresses.pod, 8080)).toMatchObject({ server: 'app' });
    expect(initNetwork('--cleanup')).toBe('no Skein capture rules found; nothing to remove\n');
  });

  it('without root (no NET_ADMIN) it fails with iptables\' own reason', () => {
    let failure: { status?: number; stderr?: string } = {};
    try {
      sh(inNamespace(net.pod, [process.execPath, cli, 'init-network'], app));
    } catch (err) {
      failure = err as typeof failure;
    }
    expect(failure.status).toBe(1);
    expect(failure.stderr).toMatch(/skein init-network: iptables-save -t nat failed .*Permission denied/);
    expect(saves()).toEqual(before);
  });

  it('auto backend: a pod whose rules are in iptables-legacy gets Skein rules there too, and loses them on cleanup', () => {
    const inPod = (...argv: string[]) => sh(inNamespace(net.pod, argv));
    for (const tool of ['iptables-nft', 'ip6tables-nft']) for (const table of ['nat', 'filter']) for (const op of ['-F', '-X']) inPod(tool, '-t', table, op);
    inPod('iptables-legacy', '-t', 'nat', '-A', 'OUTPUT', '-p', 'udp', '--dport', '53', '-j', 'RETURN');
    const legacyBefore = inPod('iptables-legacy-save', '-t', 'nat').replace(/^#.*\n/gm, '');

    expect(initNetwork(...initFlags)).toMatch(/^# applied with iptables-legacy-restore --noflush\n/);
    expect(inPod('iptables-legacy-save', '-t', 'nat')).toContain('-j SKEIN_OUTPUT');
    expect(inPod('ip6tables-legacy-save', '-t', 'nat')).toContain('-j SKEIN_OUTPUT');
    expect(inPod('iptables-nft-save')).not.toContain('SKEIN');
    expect(net.connect(net.pod, addresses.vip, 80, app)).toMatchObject({ server: 'sidecar', original: { address: addresses.vip, port: 80 } });
    expect(net.connect(net.pod, addresses.vipV6, 80, app)).toMatchObject({ server: 'sidecar', original: { address: addresses.vipV6, port: 80 } });

    expect(initNetwork('--cleanup')).toContain('# removed with iptables-legacy-restore --noflush');
    expect(inPod('iptables-legacy-save', '-t', 'nat').replace(/^#.*\n/gm, '').replace(/\[\d+:\d+\]/g, '[0:0]')).toBe(legacyBefore.replace(/\[\d+:\d+\]/g, '[0:0]'));
    expect(net.connect(net.pod, addresses.vip, 80, app)).toMatchObject({ server: 'peer' });
  });
}, tools);
