/**
 * kube-proxy's iptables mode, for the node's network namespace: the nat and filter tables that
 * send a packet addressed to a Service's ClusterIP:port to one of its endpoints (DNAT, picked at
 * random with `-m statistic` like kube-proxy), following EndpointSlices — ready endpoints only, or
 * serving-and-terminating ones when none is ready — and reject it (connection refused) when the
 * Service has no usable endpoint. Hairpin traffic (a pod reaching itself through its Service) is
 * masqueraded as kube-proxy does. Chain names are kube-proxy's (KUBE-SVC-<hash>, KUBE-SEP-<hash>).
 */
import { createHash } from 'node:crypto';
import { type EndpointSlice, type Service } from './types';

export const ServiceNameLabel = 'kubernetes.io/service-name';
const MasqMark = '0x4000/0x4000';

export interface ServicePortTarget {
  /** `namespace/name:portName`. */
  servicePort: string;
  clusterIP: string;
  port: number;
  protocol: string;
  /** `ip:port` endpoints traffic is sent to. */
  endpoints: string[];
}

/** The ClusterIP ports of every Service with the endpoints kube-proxy would use for each. */
export function serviceTargets(services: readonly Service[], slices: readonly EndpointSlice[]): ServicePortTarget[] {
  const targets: ServicePortTarget[] = [];
  for (const svc of services) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None' || svc.spec?.type === 'ExternalName') continue;
    const ns = svc.metadata?.namespace ?? 'default';
    const name = svc.metadata?.name ?? '';
    const own = slices.filter((s) => (s.metadata?.namespace ?? 'default') === ns && s.metadata?.labels?.[ServiceNameLabel] === name && (s.addressType ?? 'IPv4') === 'IPv4');
    for (const port of svc.spec?.ports ?? []) {
      const protocol = port.protocol ?? 'TCP';
      const ready: string[] = [];
      const terminating: string[] = [];
      for (const slice of own) {
        const slicePort = (slice.ports ?? []).find((p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === protocol);
        if (slicePort?.port === undefined) continue;
        for (const ep of slice.endpoints ?? []) {
          const c = ep.conditions ?? {};
          const address = ep.addresses[0];
          if (!address) continue;
          const target = `${address}:${slicePort.port}`;
          if (c.ready !== false) ready.push(target);
          else if (c.serving === true && c.terminating === true) terminating.push(target);
        }
      }
      const endpoints = [...new Set(ready.length > 0 ? ready : terminating)].sort();
      targets.push({ servicePort: `${ns}/${name}:${port.name ?? ''}`, clusterIP: ip, port: port.port, protocol, endpoints });
    }
  }
  return targets.sort((a, b) => a.servicePort.localeCompare(b.servicePort) || a.protocol.localeCompare(b.protocol));
}

const base32Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += base32Alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += base32Alphabet[(value << (5 - bits)) & 31];
  return out;
}

function chainHash(text: string): string {
  return base32(createHash('sha256').update(text).digest()).slice(0, 16);
}

export function serviceChain(t: Pick<ServicePortTarget, 'servicePort' | 'protocol'>): string {
  return `KUBE-SVC-${chainHash(t.servicePort + t.protocol.toLowerCase())}`;
}

export function endpointChain(t: Pick<ServicePortTarget, 'servicePort' | 'protocol'>, endpoint: string): string {
  return `KUBE-SEP-${chainHash(t.servicePort + t.protocol.toLowerCase() + endpoint)}`;
}

/** `iptables-restore` input for the nat and filter tables of the node namespace. */
export function iptablesRules(targets: readonly ServicePortTarget[]): string {
  const natChains = ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ'];
  const nat: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    `-A KUBE-MARK-MASQ -j MARK --set-xmark ${MasqMark}`,
    `-A KUBE-POSTROUTING -m mark ! --mark ${MasqMark} -j RETURN`,
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE',
  ];
  const filter: string[] = [
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  ];
  for (const t of targets) {
    const proto = t.protocol.toLowerCase();
    const match = `-d ${t.clusterIP}/32 -p ${proto} -m ${proto} --dport ${t.port}`;
    if (t.endpoints.length === 0) {
      filter.push(`-A KUBE-SERVICES ${match} -m comment --comment "${t.servicePort} has no endpoints" -j REJECT --reject-with icmp-port-unreachable`);
      continue;
    }
    const svcChain = serviceChain(t);
    natChains.push(svcChain);
    nat.push(`-A KUBE-SERVICES ${match} -m comment --comment "${t.servicePort} cluster IP" -j ${svcChain}`);
    t.endpoints.forEach((endpoint, i) => {
      const sep = endpointChain(t, endpoint);
      natChains.push(sep);
      const remaining = t.endpoints.length - i;
      const pick = remaining > 1 ? ` -m statistic --mode random --probability ${(1 / remaining).toFixed(10)}` : '';
      nat.push(`-A ${svcChain} -m comment --comment "${t.servicePort} -> ${endpoint}"${pick} -j ${sep}`);
      nat.push(`-A ${sep} -s ${endpoint.split(':')[0]}/32 -m comment --comment "${t.servicePort}" -j KUBE-MARK-MASQ`);
      nat.push(`-A ${sep} -p ${proto} -m comment --comment "${t.servicePort}" -m ${proto} -j DNAT --to-destination ${endpoint}`);
    });
  }
  return [
    '*nat',
    ...['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'].map((c) => `:${c} ACCEPT [0:0]`),
    ...natChains.map((c) => `:${c} - [0:0]`),
    ...nat,
    'COMMIT',
    '*filter',
    ...['INPUT', 'FORWARD', 'OUTPUT'].map((c) => `:${c} ACCEPT [0:0]`),
    ':KUBE-SERVICES - [0:0]',
    ...filter,
    'COMMIT',
    '',
  ].join('\n');
}
