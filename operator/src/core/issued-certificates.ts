/**
 * The workload certificates this control plane's CA issued, so that `/debug/syncz` (and `skein
 * proxy-status`) can show each proxy's certificate expiry. Kept per pod when the CA knew the pod
 * (Kubernetes: the token's bound pod) and per identity otherwise (local mode: join tokens name a
 * namespace and service account only); a proxy is matched by its pod first, then by its identity
 * (the latest certificate issued to that identity, which is its own unless pods share one).
 * Bounded: the oldest entries go first. Pure: times are passed in.
 */
import { parseSpiffeId } from '../../../api/src/spiffe';

export interface IssuedCertificate {
  spiffeId: string;
  serialNumber: string;
  notAfter: string;
  issuedAt: string;
}

export interface CertificateMatch extends IssuedCertificate {
  /** How the proxy was matched to it. */
  matchedBy: 'pod' | 'identity';
}

export class IssuedCertificates {
  private readonly byPod = new Map<string, IssuedCertificate>();
  private readonly byIdentity = new Map<string, IssuedCertificate>();

  constructor(private readonly limit = 10_000) {}

  record(event: { spiffeId: string; serialNumber: string; notAfter: string; podName?: string }, at: string): void {
    const cert: IssuedCertificate = { spiffeId: event.spiffeId, serialNumber: event.serialNumber, notAfter: event.notAfter, issuedAt: at };
    remember(this.byIdentity, event.spiffeId, cert, this.limit);
    if (event.podName) {
      let namespace: string;
      try {
        namespace = parseSpiffeId(event.spiffeId).namespace;
      } catch {
        return;
      }
      remember(this.byPod, `${namespace}/${event.podName}`, cert, this.limit);
    }
  }

  /** The proxy's certificate: by pod, else by `spiffeId` (when the caller knows the proxy's identity). */
  forProxy(pod: { namespace: string; podName: string }, spiffeId?: string): CertificateMatch | undefined {
    const byPod = this.byPod.get(`${pod.namespace}/${pod.podName}`);
    if (byPod) return { ...byPod, matchedBy: 'pod' };
    const byIdentity = spiffeId === undefined ? undefined : this.byIdentity.get(spiffeId);
    return byIdentity ? { ...byIdentity, matchedBy: 'identity' } : undefined;
  }
}

function remember(map: Map<string, IssuedCertificate>, key: string, cert: IssuedCertificate, limit: number): void {
  map.delete(key); // re-insert: the newest last
  map.set(key, cert);
  if (map.size > limit) map.delete(map.keys().next().value!);
}
