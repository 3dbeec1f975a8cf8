/**
 * The workload identity in a client certificate (mTLS to the control plane: ADS streams and
 * certificate renewals). TLS already checked the chain against the trust bundle when the connection
 * was made; a connection can outlive that moment, so this check is made again for every stream and
 * every renewal against what is true *now*:
 * - the leaf is valid now (not expired, not yet valid → refused);
 * - it chains, through CA certificates this CA knows, to a root of the *current* trust bundle
 *   (a root retired from the bundle no longer authenticates anyone);
 * - it is a workload certificate: CA:false, exactly one URI SAN, a SPIFFE id in our trust domain.
 * Failures are CaError('unauthenticated') with the reason. Pure (time passed in).
 */
import { type SpiffeId, tryParseSpiffeId } from '../../../api/src/spiffe';
import { CaError } from './errors';
import { x509 } from './x509';

export interface TrustAnchors {
  trustDomain: string;
  /** Roots of the current trust bundle. */
  roots: readonly x509.X509Certificate[];
  /** CA certificates that may stand between a leaf and a root (the CA's chain, current and earlier). */
  intermediates: readonly x509.X509Certificate[];
}

const maxDepth = 5;

function validAt(cert: x509.X509Certificate, now: Date): boolean {
  return cert.notBefore.getTime() <= now.getTime() && now.getTime() < cert.notAfter.getTime();
}

async function signedBy(child: x509.X509Certificate, parent: x509.X509Certificate): Promise<boolean> {
  if (child.issuer !== parent.subject) return false;
  try {
    return await child.verify({ publicKey: parent.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

/** True when `leaf` reaches one of the roots through the known intermediates, everything valid at `now`. */
export async function chainsToRoot(leaf: x509.X509Certificate, anchors: Pick<TrustAnchors, 'roots' | 'intermediates'>, now: Date): Promise<boolean> {
  let current = leaf;
  for (let depth = 0; depth < maxDepth; depth++) {
    for (const root of anchors.roots) if (validAt(root, now) && (await signedBy(current, root))) return true;
    let parent: x509.X509Certificate | undefined;
    for (const candidate of anchors.intermediates) {
      if (!candidate.equal(current) && validAt(candidate, now) && (await signedBy(current, candidate))) {
        parent = candidate;
        break;
      }
    }
    if (!parent) return false;
    current = parent;
  }
  return false;
}

/** The SPIFFE id a verified workload certificate proves, or CaError('unauthenticated') saying why not. */
export async function workloadIdentityOf(der: Uint8Array, anchors: TrustAnchors, now: Date): Promise<SpiffeId> {
  let leaf: x509.X509Certificate;
  try {
    leaf = new x509.X509Certificate(new Uint8Array(der));
  } catch (err) {
    throw new CaError('unauthenticated', `client certificate is not valid X.509: ${(err as Error).message}`);
  }
  if (leaf.notAfter.getTime() <= now.getTime()) throw new CaError('unauthenticated', `client certificate expired at ${leaf.notAfter.toISOString()}`);
  if (leaf.notBefore.getTime() > now.getTime()) throw new CaError('unauthenticated', `client certificate is not valid before ${leaf.notBefore.toISOString()}`);
  if (leaf.getExtension(x509.BasicConstraintsExtension)?.ca) throw new CaError('unauthenticated', 'client certificate is a CA certificate, not a workload certificate');
  const names = leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON() ?? [];
  const id = names.length === 1 && names[0]!.type === 'url' ? tryParseSpiffeId(names[0]!.value) : undefined;
  if (!id) throw new CaError('unauthenticated', `client certificate is not a workload certificate: expected exactly one SPIFFE id SAN, got [${names.map((n) => `${n.type}:${n.value}`).join(', ')}]`);
  if (id.trustDomain !== anchors.trustDomain) throw new CaError('unauthenticated', `client certificate is for trust domain ${id.trustDomain}, this control plane serves ${anchors.trustDomain}`);
  if (!(await chainsToRoot(leaf, anchors, now))) {
    throw new CaError('unauthenticated', 'client certificate does not chain to a root of the current trust bundle (issued under a retired root, or by an unknown CA)');
  }
  return id;
}
