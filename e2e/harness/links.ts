/**
 * Network-namespace plumbing shared by the harness mesh and the simulated node: `ip` inside a
 * namespace, IPv6 off (no router solicitations or DAD noise in captures, no v6 path around the
 * capture), and a pod namespace wired to a bridge with a veth pair.
 */
import { run } from './command';

export function ip(netns: string, ...args: string[]): Promise<unknown> {
  return run(['ip', '-n', netns, ...args]);
}

/** Sets sysctls inside a namespace (`net.ipv4.ip_forward=1` …). */
export function sysctl(netns: string, ...settings: string[]): Promise<unknown> {
  return run(['ip', 'netns', 'exec', netns, 'sysctl', '-q', '-w', ...settings]);
}

export function disableIpv6(netns: string): Promise<unknown> {
  return sysctl(netns, 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
}

/** Creates a namespace with loopback up and IPv6 off. */
export async function addNetns(netns: string): Promise<void> {
  await run(['ip', 'netns', 'add', netns]);
  await ip(netns, 'link', 'set', 'lo', 'up');
  await disableIpv6(netns);
}

export interface BridgePort {
  /** The namespace holding the bridge. */
  bridgeNetns: string;
  bridge: string;
  /** Name of the bridge-side end (unique in the bridge namespace, at most 15 characters). */
  veth: string;
  /** The namespace that gets `eth0`. */
  netns: string;
  /** `10.244.0.5/24` */
  address: string;
  gateway: string;
}

/** Wires `netns` to the bridge: eth0 with the address, a default route via the gateway. */
export async function attachToBridge(p: BridgePort): Promise<void> {
  await ip(p.bridgeNetns, 'link', 'add', p.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p.netns);
  await ip(p.bridgeNetns, 'link', 'set', p.veth, 'master', p.bridge, 'up');
  await ip(p.netns, 'addr', 'add', p.address, 'dev', 'eth0');
  await ip(p.netns, 'link', 'set', 'eth0', 'up');
  await ip(p.netns, 'route', 'add', 'default', 'via', p.gateway);
}
