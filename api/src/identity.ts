/**
 * The workload identity as the data plane consumes it. The CA client (ca/src/client) produces it;
 * the proxy's TLS code reads it and rebuilds its shared SecureContext when it changes. Private keys
 * stay in the process that made them.
 */
export interface WorkloadCertificate {
  /** The workload's SPIFFE id (the leaf's only URI SAN). */
  spiffeId: string;
  /** PEM: leaf first, then intermediates (not the root). */
  certChainPem: string;
  /** PEM private key (PKCS#8), generated in this process and never sent anywhere. */
  privateKeyPem: string;
  /** PEM trust bundle: every root currently trusted (several during a root rotation). */
  trustBundlePem: string;
  notBefore: Date;
  notAfter: Date;
}

export interface IdentityProvider {
  /** The current certificate, or undefined before the first one was issued. */
  current(): WorkloadCertificate | undefined;
  /** Called after every change (first issue and each rotation); returns an unsubscribe function. */
  onChange(listener: (cert: WorkloadCertificate) => void): () => void;
}
