/** An IdentityProvider whose certificate the test sets (first issue and rotations). */
import type { IdentityProvider, WorkloadCertificate } from '../../../api/src/identity';

export class TestIdentity implements IdentityProvider {
  private cert: WorkloadCertificate | undefined;
  private readonly listeners = new Set<(cert: WorkloadCertificate) => void>();
  constructor(cert?: WorkloadCertificate) {
    this.cert = cert;
  }
  current(): WorkloadCertificate | undefined {
    return this.cert;
  }
  onChange(listener: (cert: WorkloadCertificate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(cert: WorkloadCertificate): void {
    this.cert = cert;
    for (const l of this.listeners) l(cert);
  }
}
