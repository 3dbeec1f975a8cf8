/**
 * SPIFFE ids of Skein workloads: `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`.
 * One place parses, formats and validates them; the CA, the control plane and the proxy use it.
 */
import { DefaultTrustDomain } from './names';

export interface SpiffeId {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

// Trust domain: lowercase DNS-ish name (SPIFFE spec: [a-z0-9._-]).
const trustDomainPattern = /^[a-z0-9]([a-z0-9._-]{0,253}[a-z0-9])?$/;
// Kubernetes names: namespaces are DNS labels; service accounts are DNS subdomains.
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export class SpiffeIdError extends Error {
  override name = 'SpiffeIdError';
}

export function validateTrustDomain(trustDomain: string): string {
  if (!trustDomainPattern.test(trustDomain)) {
    throw new SpiffeIdError(`invalid trust domain "${trustDomain}": use lowercase letters, digits, '.', '-', '_' (e.g. ${DefaultTrustDomain})`);
  }
  return trustDomain;
}

/** Builds a SPIFFE id after checking each part; throws SpiffeIdError with the bad part named. */
export function spiffeId(trustDomain: string, namespace: string, serviceAccount: string): SpiffeId {
  validateTrustDomain(trustDomain);
  if (!dnsLabel.test(namespace)) throw new SpiffeIdError(`invalid namespace "${namespace}" in SPIFFE id: must be a DNS label`);
  if (!dnsSubdomain.test(serviceAccount)) {
    throw new SpiffeIdError(`invalid service account "${serviceAccount}" in SPIFFE id: must be a DNS subdomain name`);
  }
  return { trustDomain, namespace, serviceAccount };
}

export function formatSpiffeId(id: SpiffeId): string {
  return `spiffe://${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

/** Parses `spiffe://td/ns/NS/sa/SA`; anything else (query, fragment, port, extra segments) throws. */
export function parseSpiffeId(uri: string): SpiffeId {
  const m = /^spiffe:\/\/([^/?#:@]+)\/ns\/([^/?#]+)\/sa\/([^/?#]+)$/.exec(uri);
  if (!m) throw new SpiffeIdError(`invalid SPIFFE id "${uri}": expected spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`);
  return spiffeId(m[1]!, m[2]!, m[3]!);
}

/** Parses without throwing; for peer certificates where "not a Skein identity" is a normal answer. */
export function tryParseSpiffeId(uri: string): SpiffeId | undefined {
  try {
    return parseSpiffeId(uri);
  } catch {
    return undefined;
  }
}

export function sameSpiffeId(a: SpiffeId, b: SpiffeId): boolean {
  return a.trustDomain === b.trustDomain && a.namespace === b.namespace && a.serviceAccount === b.serviceAccount;
}
