/**
 * How Skein (like Istio) reads host names in policies: a name without a dot is short and belongs
 * to the namespace of the resource that wrote it (`reviews` in `prod` →
 * `reviews.prod.svc.cluster.local`); a name with a dot is taken as written.
 */

/** The default cluster DNS domain (Kubernetes' `cluster.local`). */
export const DefaultClusterDomain = 'cluster.local';

export function resolveHost(host: string, namespace: string, clusterDomain: string = DefaultClusterDomain): string {
  if (host.includes('.')) return host;
  return `${host}.${namespace}.svc.${clusterDomain}`;
}

/** Whether a policy host (`*.prod.svc.cluster.local` or a name) covers a fully qualified host. */
export function hostMatches(pattern: string, fqdn: string): boolean {
  if (pattern.startsWith('*.')) return fqdn.endsWith(pattern.slice(1)) && fqdn.length > pattern.length - 1;
  return pattern === fqdn;
}
