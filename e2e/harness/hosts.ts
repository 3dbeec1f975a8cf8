/**
 * The /etc/hosts a pod sees (`ip netns exec` bind-mounts /etc/netns/<netns>/hosts over it): the
 * pod's own name, and every service's names → its VIP, like cluster DNS would answer. Short names
 * (`web`) only resolve in the service's own namespace, as with Kubernetes search domains.
 */
import { readFileSync } from 'node:fs';

export const ClusterDomain = 'cluster.local';

export interface HostsPod {
  name: string;
  namespace: string;
  ip: string;
}

export interface HostsService {
  name: string;
  namespace: string;
  vip: string;
}

export function serviceFqdn(service: { name: string; namespace: string }): string {
  return `${service.name}.${service.namespace}.svc.${ClusterDomain}`;
}

export function hostsFile(pod: HostsPod, services: readonly HostsService[]): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${pod.ip}\t${pod.name}`];
  for (const s of services) {
    const names = [serviceFqdn(s), `${s.name}.${s.namespace}.svc`, `${s.name}.${s.namespace}`];
    if (s.namespace === pod.namespace) names.push(s.name);
    lines.push(`${s.vip}\t${names.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The pod's nsswitch.conf: the host's, with `hosts: files` only. Pods have no DNS server (the
 * hosts file is their cluster DNS); without this, a name missing from it waits for DNS timeouts.
 */
export function podNsswitch(hostNsswitch: string): string {
  const lines = hostNsswitch.split('\n').filter((line) => !/^\s*hosts\s*:/.test(line));
  return `${[...lines.filter((l) => l.trim() !== ''), 'hosts: files'].join('\n')}\n`;
}

/** podNsswitch of this machine's /etc/nsswitch.conf (an absent file counts as empty). */
export function podNsswitchFromHost(path = '/etc/nsswitch.conf'): string {
  let host = '';
  try {
    host = readFileSync(path, 'utf8');
  } catch {
    // no nsswitch.conf: glibc defaults, and ours says `hosts: files`
  }
  return podNsswitch(host);
}
