/**
 * Authenticates a caller by the workload certificate it presented in the TLS handshake (renewals,
 * ADS streams). The TLS layer has verified the chain when the connection was made; this checks it
 * again against the current trust bundle and clock (ca/src/core/client-certificate.ts).
 */
import { type SpiffeId } from '../../../api/src/spiffe';
import { type TrustAnchors, workloadIdentityOf } from '../core/client-certificate';
import { type ProvenCaller } from './authenticator';

export const clientCertificateAuthenticatorName = 'client-certificate';

export class ClientCertificateAuthenticator {
  readonly name = clientCertificateAuthenticatorName;

  constructor(
    private readonly anchors: () => TrustAnchors,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The SPIFFE id of `der`, the peer certificate as the TLS layer gives it (`PeerCertificate.raw`). */
  identify(der: Uint8Array): Promise<SpiffeId> {
    return workloadIdentityOf(der, this.anchors(), this.now());
  }

  async authenticate(der: Uint8Array): Promise<ProvenCaller> {
    const id = await this.identify(der);
    return { namespace: id.namespace, serviceAccount: id.serviceAccount, authenticator: this.name };
  }
}
