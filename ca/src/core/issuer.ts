/**
 * The issuer: turns a checked request into a certificate chain (leaf first, root last).
 * Time and randomness are passed in, so tests control validity and serial numbers.
 */
import { formatSpiffeId, type SpiffeId } from '../../../api/src/spiffe';
import { type SigningAuthority } from './authority';
import { checkCsr } from './csr';
import { allowedKeyType } from './keys';
import { createLeafCertificate, type LeafParams, serialNumberFrom } from './profiles';
import { defaultValidityPolicy, leafValidity, type ValidityPolicy } from './validity';
import { type x509 } from './x509';

export interface IssuerDeps {
  now: () => Date;
  randomBytes: (size: number) => Uint8Array;
  policy?: ValidityPolicy;
}

/** The workload the caller proved to be (from an authenticator). */
export interface ProvenIdentity {
  namespace: string;
  serviceAccount: string;
}

export interface IssuedChain {
  /** PEM certificates: leaf first, then the CA certificate and its issuers, the root last. */
  chainPem: string[];
  notAfter: Date;
  serialNumber: string;
}

export class CertificateIssuer {
  readonly policy: ValidityPolicy;

  constructor(
    readonly authority: SigningAuthority,
    private readonly deps: IssuerDeps,
  ) {
    this.policy = deps.policy ?? defaultValidityPolicy;
  }

  spiffeIdOf(proven: ProvenIdentity): SpiffeId {
    return { trustDomain: this.authority.trustDomain, namespace: proven.namespace, serviceAccount: proven.serviceAccount };
  }

  /** Signs a CSR for the proven identity. */
  async issueForIdentity(csrPem: string, requestedTtlMs: number | undefined, proven: ProvenIdentity): Promise<IssuedChain> {
    const spiffeId = formatSpiffeId(this.spiffeIdOf(proven));
    const publicKey = await checkCsr(csrPem, spiffeId);
    return this.issue(publicKey, [{ type: 'url', value: spiffeId }], requestedTtlMs);
  }

  /** Signs a public key for the given names (CLI issue, the CA's own serving certificate). */
  async issue(publicKey: x509.PublicKey, names: LeafParams['names'], requestedTtlMs: number | undefined): Promise<IssuedChain> {
    allowedKeyType(publicKey);
    const [caCert] = this.authority.chain;
    const validity = leafValidity(this.policy, this.deps.now(), requestedTtlMs, caCert!);
    const leaf = await createLeafCertificate({
      issuer: caCert!,
      signingKey: this.authority.key,
      signingKeyType: this.authority.keyType,
      publicKey,
      names,
      validity,
      serialNumber: serialNumberFrom(this.deps.randomBytes(16)),
    });
    return { chainPem: [leaf, ...this.authority.chain].map((c) => c.toString('pem')), notAfter: leaf.notAfter, serialNumber: leaf.serialNumber };
  }

  /** The trust bundle as PEM (all roots). */
  trustBundlePem(): string {
    return this.authority.roots.map((r) => r.toString('pem')).join('\n') + '\n';
  }
}
